"""The format registry: one table answers every 'which format?' question consistently."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Dataset, Graph, URIRef
from rdflib.plugin import Serializer, get

from defkg import formats
from defkg.iris import DOCUMENT_EXTENSIONS


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
