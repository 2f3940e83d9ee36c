"""Rendering a release's graphs: stable Turtle/TriG/JSON-LD text, per-subject fragments, VoID."""
