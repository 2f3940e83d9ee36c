"""The server's front, over real HTTP against `defkg serve`: security headers on every page,
slow, idle and non-reading clients, absolute URLs from configuration, per-client fairness.
"""

from __future__ import annotations

import re
import urllib.parse

from conftest import ServerProcess, http_fetch

HTML_PAGES = ("", "sparql", "id/kazakhstan", "ontology/Country")


def test_every_html_page_has_a_policy_without_inline_script(sparql_server: ServerProcess) -> None:
    for path in HTML_PAGES:
        answer = http_fetch("GET", sparql_server.url + path, headers={"Accept": "text/html"})
        assert answer.status == 200, (path, answer.status)
        assert answer.headers["content-type"].startswith("text/html"), path
        policy = answer.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert directives["object-src"] == "'none'", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"], path
        text = answer.text
        # No script the policy would refuse: every <script> is a file or a JSON data block.
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), path
        assert "javascript:" not in text.lower(), path


def test_answers_that_are_not_pages_are_not_sniffed(sparql_server: ServerProcess) -> None:
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    for url in (sparql_server.url + "sparql?" + query, sparql_server.url + "healthz"):
        answer = http_fetch("GET", url)
        assert answer.status == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in answer.headers  # only pages need one
