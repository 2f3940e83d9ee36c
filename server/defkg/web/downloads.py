"""Blueprint: downloads (to be written; see docs/architecture.md)."""

from flask import Blueprint

blueprint = Blueprint("downloads", __name__)
