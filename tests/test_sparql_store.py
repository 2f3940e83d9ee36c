"""The embedded store: the on-disk cache keyed by the release, reuse on restart, trusted queries."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from conftest import http_fetch, start_server, write_fixture_release
from defkg.config import Settings
from defkg.errors import DefkgError
from defkg.store import open_store
from defkg.store.embedded import EmbeddedStore, prepare_store, store_path_for

BASE = "https://w3id.org/defkg/"
PREFIXES = f"PREFIX kg: <{BASE}id/> PREFIX defkg: <{BASE}ontology/>\n"


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_fixture_release(tmp_path / "dist")


def test_the_store_lives_outside_the_release_keyed_by_its_checksums(release: Path) -> None:
    path = prepare_store(release)
    assert path.parent == release.parent / ".defkg-cache"
    assert path.name.startswith("store-v") and len(path.name.rsplit("-", 1)[1]) == 16
    assert not any(p.name.startswith(".defkg") for p in release.iterdir())
    # A different release (other checksums) gets another store.
    other = release.parent / "other"
    shutil.copytree(release, other)
    (other / "SHA256SUMS").write_text("0" * 64 + "  defkg.trig\n")
    assert store_path_for(other) != path


def test_preparing_again_reuses_the_store_without_loading(
    release: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="defkg.store.embedded"):
        first = prepare_store(release)
        assert any("loading" in r.message for r in caplog.records)
        caplog.clear()
        (release / "defkg.trig").write_text("this would not parse")  # proof nothing is read
        assert prepare_store(release) == first
        assert not any("loading" in r.message for r in caplog.records)
    leftovers = [p for p in first.parent.iterdir() if ".loading-" in p.name]
    assert leftovers == []


def test_a_missing_or_broken_release_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DefkgError, match="SHA256SUMS"):
        prepare_store(tmp_path / "nowhere")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "SHA256SUMS").write_text("x\n")
    (dist / "defkg.trig").write_text("<a> <b> {")
    with pytest.raises(DefkgError, match=r"defkg\.trig: cannot be parsed"):
        prepare_store(dist)
    assert not (tmp_path / ".defkg-cache" / store_path_for(dist).name).exists()


def test_trusted_queries_through_open_store(release: Path) -> None:
    store = open_store(Settings(dist=release))
    assert isinstance(store, EmbeddedStore)
    assert store.graph_names() == sorted(
        BASE + "graph/" + g
        for g in ("ontology", "entities", "kz-mod-2023-12-27", "inferred", "shapes")
    )
    rows = store.select(PREFIXES + "SELECT ?l WHERE { kg:lebanon ?p ?l FILTER(isLiteral(?l)) }")
    assert rows == [{"l": Literal("Lebanon", lang="en")}]
    place = PREFIXES + "ASK { kg:lebanon a defkg:Place }"
    assert store.ask(place) is False
    assert store.ask(place, inferred=True) is True
    graph = store.construct(PREFIXES + "CONSTRUCT WHERE { kg:lebanon ?p ?o }")
    assert isinstance(graph, Graph)
    assert (URIRef(BASE + "id/lebanon"), RDF.type, URIRef(BASE + "ontology/Country")) in graph


def test_a_restarted_server_reuses_the_store(release: Path, tmp_path: Path) -> None:
    first = start_server(release, tmp_path / "first.log")
    first.stop()
    assert "loading" in first.log()
    second = start_server(release, tmp_path / "second.log")
    second.stop()
    assert "loading" not in second.log()
    assert str(store_path_for(release)) in second.log()


def test_serve_builds_the_release_first_when_there_is_none(
    tiny_project: Path, tmp_path: Path
) -> None:
    dist = tmp_path / "fresh" / "dist"
    dist.parent.mkdir()
    server = start_server(dist, tmp_path / "build.log", args=("--root", str(tiny_project)))
    try:
        answer = http_fetch(
            "GET", server.url + "sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D&format=json"
        )
    finally:
        server.stop()
    assert (dist / "SHA256SUMS").is_file() and (dist / "defkg.trig").is_file()
    assert "building it from" in server.log()
    assert answer.status == 200 and b'"boolean":true' in answer.body


def test_the_default_graph_is_the_asserted_view_materialised(release: Path) -> None:
    import pyoxigraph as ox
    from rdflib import Dataset

    store = ox.Store.read_only(str(prepare_store(release)))
    in_default = {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    }
    # Counted independently: rdflib's merge of every graph but the inferences and the shapes.
    dataset = Dataset()
    dataset.parse(release / "defkg.trig", format="trig")
    asserted = {
        triple
        for graph in dataset.graphs()
        if not str(graph.identifier).endswith(("/graph/inferred", "/graph/shapes"))
        for triple in graph
    }
    assert len(in_default) == len(asserted) > 0
    # An inference (see test_trusted_queries_through_open_store) stays out of it.
    inferred_only = (
        ox.NamedNode(BASE + "id/lebanon"),
        ox.NamedNode(str(RDF.type)),
        ox.NamedNode(BASE + "ontology/Place"),
    )
    assert inferred_only not in in_default
