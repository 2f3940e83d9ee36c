"""The format registry: one table answers every 'which format?' question consistently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Dataset, Graph, URIRef
from rdflib.plugin import Serializer, get

from conftest import ServerProcess, http_fetch, start_server
from defkg import formats
from defkg.iris import DOCUMENT_EXTENSIONS, SD


def test_document_formats_are_the_page_and_graph_formats_in_order() -> None:
    assert tuple(f.key for f in formats.of_kind("page", "graph")) == DOCUMENT_EXTENSIONS


@pytest.mark.parametrize("fmt", formats.of_kind("graph", "dataset"), ids=lambda f: f.key)
def test_every_rdf_format_names_a_real_rdflib_serializer_and_oxigraph_format(
    fmt: formats.Format,
) -> None:
    assert get(fmt.rdflib, Serializer) is not None
    assert ox.RdfFormat.from_media_type(fmt.media_type) is not None
    data = Dataset() if fmt.kind == "dataset" else Graph()
    named = data.graph(URIRef("http://example.org/g")) if isinstance(data, Dataset) else data
    named.add((URIRef("http://example.org/s"), RDFS.label, URIRef("http://example.org/o")))
    assert "http://example.org/s" in data.serialize(format=fmt.rdflib)


@pytest.mark.parametrize(
    ("key", "kind", "media_type"),
    [
        ("json", "results", "application/sparql-results+json"),
        ("json", "graph", "application/ld+json"),
        ("xml", "graph", "application/rdf+xml"),
        ("turtle", "graph", "text/turtle"),
        ("text/csv", "results", "text/csv"),
        ("csv", "graph", None),
    ],
)
def test_format_parameter_values(key: str, kind: formats.Kind, media_type: str | None) -> None:
    found = formats.by_key(key, kind)
    assert (found.media_type if found else None) == media_type


def test_generic_media_types_stand_for_their_specific_format_and_are_offered_last() -> None:
    assert formats.by_media_type("application/json", "results").key == "json"
    assert formats.by_media_type("application/json", "graph").key == "jsonld"
    assert formats.by_media_type("text/plain; charset=utf-8", "graph").key == "nt"
    offered = formats.offered("graph")
    assert offered[: len(formats.media_types("graph"))] == formats.media_types("graph")
    assert "application/json" in offered[len(formats.media_types("graph")) :]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("defkg.trig", "application/trig"),
        ("defkg.nq", "application/n-quads"),
        ("defkg.jsonld", "application/ld+json"),
        ("defkg.nt.gz", "application/gzip"),
        ("SHA256SUMS", "text/plain"),
        ("unknown.bin", "application/octet-stream"),
    ],
)
def test_release_file_media_types(name: str, media_type: str) -> None:
    assert formats.media_type_for_file(name) == media_type


# --- the registry holds the implementations; everything else derives from it -------------------


@pytest.mark.parametrize("fmt", formats.of_kind("graph", "dataset"), ids=lambda f: f.key)
def test_every_rdf_format_has_its_writer_and_w3c_name(fmt: formats.Format) -> None:
    assert fmt.rdf_format() == ox.RdfFormat.from_media_type(fmt.media_type)
    assert fmt.w3c, "sd:resultFormat needs the format's name in http://www.w3.org/ns/formats/"


@pytest.mark.parametrize("fmt", formats.of_kind("results"), ids=lambda f: f.key)
def test_every_results_format_writes_select_and_ask_answers(fmt: formats.Format) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    solutions = store.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert isinstance(solutions, ox.QuerySolutions)
    written = solutions.serialize(format=fmt.results_format())
    assert written is not None and b"http://e/s" in written
    assert fmt.min_row_bytes > 0 and fmt.w3c
    for value in (True, False):
        answer = fmt.ask_answer(value)
        if fmt.key in ("csv", "tsv"):  # no standard ASK form: a one-cell table says it plainly
            assert answer.decode().splitlines()[-1] == str(value).lower()
        else:
            parsed = ox.parse_query_results(answer, format=fmt.results_format())
            assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) is value


def test_the_cli_and_the_query_uis_menus_come_from_the_registry() -> None:
    from defkg.cli import main

    choice = next(p for p in main.commands["query"].params if p.name == "output_format")
    assert tuple(choice.type.choices) == formats.query_output_names()  # type: ignore[attr-defined]
    names = formats.query_output_names()
    assert names[0] == "table"
    assert set(names[1:]) == {f.key for f in formats.of_kind("results", "graph")}
    menus = formats.menus()
    assert [key for key, _ in menus["solutions"]] == [f.key for f in formats.of_kind("results")]
    assert [key for key, _ in menus["graph"]] == [f.key for f in formats.of_kind("graph")]


def test_the_query_page_and_the_service_description_offer_the_registrys_formats(
    sparql_server: ServerProcess,
) -> None:
    page = http_fetch("GET", sparql_server.url + "sparql", headers={"Accept": "text/html"})
    found = re.search(
        r'<script type="application/json" id="result-formats">(.*?)</script>', page.text, re.S
    )
    assert found, "the query page carries its download menus"
    menus = formats.menus()
    assert json.loads(found.group(1)) == {kind: [list(e) for e in m] for kind, m in menus.items()}
    for key, label in menus["solutions"] + menus["graph"]:  # the menu without JavaScript
        assert f'<option value="{key}">{label}</option>' in page.text
    description = Graph().parse(
        data=http_fetch(
            "GET", sparql_server.url + "sparql", headers={"Accept": "text/turtle"}
        ).text,
        format="turtle",
    )
    offered = {str(o) for o in description.objects(None, URIRef(str(SD) + "resultFormat"))}
    expected = {
        f"http://www.w3.org/ns/formats/{f.w3c}" for f in formats.of_kind("results", "graph")
    }
    assert offered == expected


# --- resource documents: each graph format's writer is the registry's ---------------------------


def test_every_graph_format_writes_resource_documents() -> None:
    assert all(f.document is not None for f in formats.of_kind("graph"))
    assert tuple(f.key for f in formats.of_kind("graph")) == DOCUMENT_EXTENSIONS[1:]


def _document(server: ServerProcess, path: str, parser: str) -> tuple[str, Graph]:
    """The document at ``path``: its media type, and its graph as rdflib's ``parser`` reads it."""
    answer = http_fetch("GET", server.url + path)
    assert answer.status == 200, (path, answer.status, answer.text[:300])
    media_type = (answer.header("content-type") or "").split(";")[0]
    return media_type, Graph().parse(data=answer.text, format=parser)


@pytest.mark.parametrize("fmt", formats.of_kind("graph"), ids=lambda f: f.key)
def test_a_resource_document_in_each_graph_format_is_the_same_graph(
    sparql_server: ServerProcess, fmt: formats.Format
) -> None:
    from rdflib.compare import isomorphic

    _type, turtle = _document(sparql_server, "id/kazakhstan.ttl", "turtle")
    assert len(turtle) > 2
    media_type, graph = _document(sparql_server, f"id/kazakhstan.{fmt.key}", fmt.rdflib or "")
    assert media_type == fmt.media_type
    assert isomorphic(graph, turtle)


#: A format added as one entry of the registry, in the server's process before it starts.
N3_ENTRY = (
    "import defkg.formats as f\n"
    "f.FORMATS = f.FORMATS + (f.Format('n3', 'text/n3', 'Notation3', 'graph', 'n3', w3c='N3',"
    " oxigraph='N3', document=f._rdflib_document('n3')),)\n"
)


def test_a_format_added_to_the_registry_is_served_as_documents(
    fixture_release: Path, tmp_path: Path
) -> None:
    from rdflib.compare import isomorphic

    server = start_server(fixture_release, tmp_path / "serve.log", prelude=N3_ENTRY)
    try:
        _type, turtle = _document(server, "id/kazakhstan.ttl", "turtle")
        media_type, graph = _document(server, "id/kazakhstan.n3", "n3")
        assert media_type == "text/n3" and isomorphic(graph, turtle)
        # negotiated: the IRI's 303 (followed) leads to the new document
        seen = http_fetch("GET", server.url + "id/kazakhstan", headers={"Accept": "text/n3"})
        assert seen.status == 200 and seen.header("content-location") == "/id/kazakhstan.n3"
        assert '/id/kazakhstan.n3>; rel="alternate"; type="text/n3"' in (seen.header("link") or "")
    finally:
        server.stop()


def test_the_same_document_is_the_same_bytes_in_every_process(
    built_release: Path, tmp_path: Path
) -> None:
    """Two servers whose Python hash seeds differ write every document byte for byte alike:
    the ETag names the release, so a document must not depend on the process that wrote it
    (rdflib's RDF/XML and JSON-LD writers walked sets, in an order that follows the seed)."""
    servers = [
        start_server(built_release, tmp_path / f"seed-{seed}.log", {"PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]
    try:
        paths = [
            f"{resource}.{fmt.key}"
            for resource in ("id/kazakhstan", "ontology/Fact", "graph/entities", "dataset")
            for fmt in formats.of_kind("graph")
        ]
        for path in paths:
            bodies = [http_fetch("GET", server.url + path) for server in servers]
            assert all(answer.status == 200 for answer in bodies), path
            assert bodies[0].body == bodies[1].body, path
    finally:
        for server in servers:
            server.stop()
