"""Search (issue 15 point 1): the build writes ``search.sqlite`` into the release — the same
bytes for the same inputs, listed in SHA256SUMS — and the server answers ``/search`` and
``/search.json`` from it over real HTTP: forgiving (alternative names in every language,
prefixes, misspellings), ranked, each hit with its kind and its source."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import http_fetch
from defkg.config import Settings
from defkg.pipeline.load import load_project
from defkg.pipeline.render.search import entries, facts_of_lines, search_index, search_index_of
from defkg.release import SEARCH_FILE


def hits(live_server: str, q: str) -> dict:
    answer = http_fetch("GET", f"{live_server}search.json?q={quote(q)}")
    assert answer.status == 200, answer.text
    assert answer.header("Content-Type").startswith("application/json")
    return json.loads(answer.body)


def test_the_release_lists_its_search_index_in_sha256sums(built_release: Path) -> None:
    data = (built_release / SEARCH_FILE).read_bytes()
    sums = (built_release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert f"{hashlib.sha256(data).hexdigest()}  {SEARCH_FILE}" in sums


def test_the_index_is_the_same_bytes_for_the_same_triples(project_root: Path) -> None:
    project = load_project(Settings(root=project_root))
    triples = [t for name in project.asserted_graph_names() for t in project.triples(name)]
    first = search_index(triples)
    again = search_index(list(reversed(triples)))  # the order triples come in does not matter
    assert first == again
    assert first[:16] == b"SQLite format 3\x00"
    fewer = search_index(triples[: len(triples) // 2])
    assert fewer != first  # and it does depend on them


def test_the_index_of_each_graphs_lines_is_the_index_of_all_triples(project_root: Path) -> None:
    """The build makes the index from each graph's lines, united (a subject several graphs
    describe, a triple two graphs state): the same bytes as from all the triples at once."""
    project = load_project(Settings(root=project_root))
    names = project.asserted_graph_names()
    triples = [t for name in names for t in project.triples(name)]
    by_graph = search_index_of(facts_of_lines(project.lines(name)) for name in names)
    assert by_graph == search_index(triples)
    assert by_graph != search_index_of(facts_of_lines(project.lines(n)) for n in names[1:])


def test_every_named_resource_is_indexed_once(project_root: Path) -> None:
    project = load_project(Settings(root=project_root))
    triples = [t for name in project.asserted_graph_names() for t in project.triples(name)]
    rows = entries(triples)
    iris = [r.iri for r in rows]
    assert len(iris) == len(set(iris)) and iris == sorted(iris)
    region = next(r for r in rows if r.iri.endswith("/id/zhambyl-region"))
    assert region.kind == "region" and "Jambyl Region" in region.names


@pytest.mark.parametrize("query", ["Jambyl", "jambyl region", "Zhambyl", "Жамбыл"])
def test_any_name_of_the_zhambyl_region_finds_it_first(live_server: str, query: str) -> None:
    answer = hits(live_server, query)
    first = answer["hits"][0]
    assert first["iri"].endswith("/id/zhambyl-region"), answer
    assert first["label"] == "Zhambyl Region" and first["kind"] == "region"
    assert first["page"] == "/id/zhambyl-region"


@pytest.mark.parametrize("query", ["Kamaletdinov", "kamal", "Kamaletdinow"])
def test_kamaletdinov_finds_his_page_first(live_server: str, query: str) -> None:
    answer = hits(live_server, query)
    assert answer["hits"][0]["iri"].endswith("/id/sultan-kamaletdinov"), answer
    assert answer["match"] == ("similar spelling" if query.endswith("w") else "all words")


def test_a_sentence_hit_names_its_kind_and_its_source(live_server: str) -> None:
    answer = hits(live_server, "helicopters")
    every = list(answer["hits"])
    while len(every) < answer["total"]:  # many reports: the figures may fill the first page
        page = http_fetch("GET", f"{live_server}search.json?q=helicopters&offset={len(every)}")
        more = json.loads(page.body)["hits"]
        assert more, "a page within the total is empty"
        every += more
    sentences = [h for h in every if h["kind"] == "sentence"]
    assert sentences, answer
    for hit in sentences:
        assert "helicopter" in hit["snippet"].lower()
        assert hit["source"] and hit["source_page"].startswith("/id/")
    assert answer["total"] >= len(answer["hits"])


def test_long_answers_are_paged(live_server: str) -> None:
    everything = hits(live_server, "the")
    assert everything["total"] > 3
    page = json.loads(http_fetch("GET", f"{live_server}search.json?q=the&limit=2&offset=1").body)
    assert [h["iri"] for h in page["hits"]] == [h["iri"] for h in everything["hits"][1:3]]


def test_the_search_page_shows_the_hits(live_server: str) -> None:
    answer = http_fetch("GET", f"{live_server}search?q=Jambyl", headers={"Accept": "text/html"})
    assert answer.status == 200
    assert 'href="/id/zhambyl-region"' in answer.text
    assert "Nothing matches" in http_fetch("GET", f"{live_server}search?q=qqqxxzz").text


def test_a_release_without_an_index_says_so(sparql_server: object) -> None:
    answer = http_fetch("GET", f"{sparql_server.url}search.json?q=x")  # type: ignore[attr-defined]
    assert answer.status == 503
    assert SEARCH_FILE in answer.text


def test_a_derived_figure_is_found_and_says_it_is_derived(live_server: str) -> None:
    answer = hits(live_server, "medals in all")
    derived = [h for h in answer["hits"] if h["kind"] == "derived figure"]
    assert derived, answer
    assert all("computed by defkg" in h["label"] for h in derived)
