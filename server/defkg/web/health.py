"""Blueprint: health (to be written; see docs/architecture.md)."""

from flask import Blueprint

blueprint = Blueprint("health", __name__)
