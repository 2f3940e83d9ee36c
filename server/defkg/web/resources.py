"""Blueprint: resources (to be written; see docs/architecture.md)."""

from flask import Blueprint

blueprint = Blueprint("resources", __name__)
