"""Curators' tools: add a source with its sentence anchors, suggest facts, map errors to lines."""
