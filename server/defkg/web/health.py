"""Blueprint: ``/healthz``, liveness and readiness in one small JSON answer."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the store is open and answers; 503 with the reason otherwise."""
    publication = current_app.extensions["defkg"]
    try:
        graphs = len(publication.graph_names)
        publication.store.ask("ASK { }")
    except Exception as error:  # any failure here means "not ready", said plainly
        return jsonify(status="unavailable", reason=str(error)), 503
    return jsonify(
        status="ok",
        release=str(publication.release.directory),
        graphs=graphs,
        query_workers=publication.query_workers_alive(),
        result_cache=publication.result_cache.stats(),
    )
