"""The baseline of the benchmarks: a plain Flask SPARQL endpoint answering with rdflib's engine.

It loads one N-Triples file (the release's asserted view, ``dist/defkg.nt``, the same triples as
defkg's default graph) into an in-memory ``rdflib.Graph`` and answers ``/sparql`` (GET
``?query=`` or a POST form) in SPARQL JSON. No limits, no caching: what a minimal rdflib
endpoint does. Run under gunicorn like defkg:

    DEFKG_BENCH_DATA=dist/defkg.nt gunicorn -k gthread --threads 8 -b 127.0.0.1:8010 \
        --chdir benchmarks rdflib_endpoint:app
"""

from __future__ import annotations

import os

import rdflib
from flask import Flask, Response, request


def create_app(data: str) -> Flask:
    """A Flask app answering SPARQL over the triples of ``data`` (N-Triples)."""
    graph = rdflib.Graph()
    graph.parse(data, format="nt")
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        query = request.values.get("query")
        if not query:
            return Response("no query\n", status=400, mimetype="text/plain")
        try:
            result = graph.query(query)
        except Exception as error:  # a baseline: report any failure as the client's fault
            return Response(f"{error}\n", status=400, mimetype="text/plain")
        return Response(result.serialize(format="json"), mimetype="application/sparql-results+json")

    @app.route("/healthz")
    def healthz() -> Response:
        return Response(f"{len(graph)} triples\n", mimetype="text/plain")

    return app


app = create_app(os.environ["DEFKG_BENCH_DATA"]) if "DEFKG_BENCH_DATA" in os.environ else None
