"""The web layer: a Flask app factory and one blueprint per concern.

- ``sparql``    — the SPARQL 1.1 Protocol endpoint, its service description and the query UI;
- ``resources`` — dereferenceable IRIs: content negotiation, HTML pages, RDF documents;
- ``downloads`` — the release files;
- ``health``    — liveness and readiness.

Views are thin: they parse the request, call plain functions (``negotiation``, ``limits``, the
store) and shape the response.
"""

from defkg.web.app import create_app

__all__ = ["create_app"]
