"""The query UI's page: the editor, the release's example queries, the prefixes.

``/sparql`` (``defkg.web.sparql``) renders ``query.html`` for a browser; the context processor
here gives that template ``query_ui()``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, request

from defkg.web.downloads import current_release, current_settings

blueprint = Blueprint("query_ui", __name__)


@blueprint.app_context_processor
def query_ui_context() -> dict[str, Any]:
    """Gives every template ``query_ui()``: the prefixes and examples of the query editor."""

    def query_ui() -> dict[str, Any]:
        settings = current_settings()
        return {
            "prefixes": settings.iris.prefixes(),
            "examples": [asdict(e) for e in current_release().examples()],
            "initial": request.args.get("edit", ""),
        }

    return {"query_ui": query_ui}
