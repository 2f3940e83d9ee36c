"""Blueprint: sparql (to be written; see docs/architecture.md)."""

from flask import Blueprint

blueprint = Blueprint("sparql", __name__)
