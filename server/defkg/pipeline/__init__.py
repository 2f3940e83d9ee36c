"""The write side: load → reason → validate → render → publish, with the build's cache."""
