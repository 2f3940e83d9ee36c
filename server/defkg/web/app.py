"""``create_app(settings)``: the one place where the Flask app is assembled and configured."""

from __future__ import annotations

from flask import Flask

from defkg.config import Settings, settings_from_env


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app for one release (``settings.dist``) and one store (``settings.store``)."""
    settings = settings or settings_from_env()
    app = Flask(__name__)
    app.config["DEFKG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes

    from defkg.web import downloads, health, resources, sparql

    for module in (health, sparql, downloads, resources):
        app.register_blueprint(module.blueprint)
    return app
