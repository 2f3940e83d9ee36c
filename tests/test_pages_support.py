"""Helpers for the page, dereferencing and download tests (no tests here).

:func:`write_pages_release` turns ``test_pages_fixture.trig`` into a release directory shaped
like the build's (dumps, a ``.gz`` twin, VoID, validation report, SHA256SUMS), and
:func:`fetch` makes one real HTTP request without following redirects.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

#: The document formats of a minted IRI, as the specs name their media types, and the rdflib
#: parser of each RDF one (what the tests read the answers back with).
FORMATS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
RDFLIB = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}


FIXTURE_TRIG = Path(__file__).with_name("test_pages_fixture.trig")

VOID_TTL = """\
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .

<https://w3id.org/defkg/dataset> a void:Dataset , dcat:Dataset ;
    rdfs:label "defkg test dataset"@en ;
    dcterms:description "A small dataset for the page tests."@en ;
    dcterms:license <http://creativecommons.org/publicdomain/zero/1.0/> ;
    owl:versionInfo "0.0.1" ;
    void:uriSpace "https://w3id.org/defkg/" ;
    dcterms:hasVersion <https://w3id.org/defkg/dataset/0.0.1> ;
    void:subset <https://w3id.org/defkg/dataset#graph-entities> ,
        <https://w3id.org/defkg/dataset#graph-shapes> ,
        <https://w3id.org/defkg/dataset#graph-kz-mod-2023-12-27> .
<https://w3id.org/defkg/dataset#graph-entities> a void:Dataset ; void:triples 17 ;
    sd:name <https://w3id.org/defkg/graph/entities> .
<https://w3id.org/defkg/dataset#graph-shapes> a void:Dataset ; void:triples 8 ;
    sd:name <https://w3id.org/defkg/graph/shapes> .
<https://w3id.org/defkg/dataset#graph-kz-mod-2023-12-27> a void:Dataset ; void:triples 42 ;
    sd:name <https://w3id.org/defkg/graph/kz-mod-2023-12-27> .
<https://w3id.org/defkg/dataset/0.0.1> a dcat:Dataset ;
    rdfs:label "defkg 0.0.1"@en ;
    dcterms:issued "2023-12-28"^^xsd:date ;
    dcterms:modified "2023-12-28"^^xsd:date .
"""

REPORT_TTL = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
[] a sh:ValidationReport ; sh:conforms true .
"""


def write_pages_release(dist: Path) -> Path:
    """A release directory holding the page fixture; returns ``dist``."""
    dist.mkdir(parents=True, exist_ok=True)
    trig = FIXTURE_TRIG.read_bytes()
    files = {
        "defkg.trig": trig,
        "defkg.ttl": b"# the asserted view would be here\n",
        "void.ttl": VOID_TTL.encode(),
        "validation-report.ttl": REPORT_TTL.encode(),
    }
    files["defkg.ttl.gz"] = gzip.compress(files["defkg.ttl"], mtime=0)
    for name, data in files.items():
        (dist / name).write_bytes(data)
    sums = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    (dist / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return dist


@dataclass
class Answer:
    """One HTTP response: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def post_form(url: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
    """A real form POST (``application/x-www-form-urlencoded``) to ``url``."""
    from urllib.parse import urlencode

    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return fetch(url, all_headers, "POST", urlencode(fields).encode("utf-8"))


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
) -> Answer:
    """One real HTTP request to ``url`` (never following redirects); the raw path is sent as
    given, so tests can send percent-encoded and dotted paths untouched."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path or "/", body=body, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        names: dict[str, str] = {}
        for name, value in response.getheaders():
            # Repeated headers (two Vary lines) read as one comma-separated value.
            key = name.lower()
            names[key] = f"{names[key]}, {value}" if key in names else value
        return Answer(response.status, names, body)
    finally:
        connection.close()


def serve(dist: Path, log_dir: Path, root: Path | None = None) -> Iterator[str]:
    """Run `defkg serve` over the release in ``dist`` (with ``root`` as the project, for the
    query UI's examples and the JSON-LD context) and yield its base URL, ending in '/'."""
    from conftest import start_server

    env = {"DEFKG_ROOT": str(root)} if root is not None else None
    server = start_server(dist, log_dir / "server.log", env)
    try:
        yield server.url
    finally:
        server.stop()
