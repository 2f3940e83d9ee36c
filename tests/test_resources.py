"""Every IRI minted in the real release dereferences, in every format, through `defkg serve`.

For each IRI in ``defkg.trig`` and ``void.ttl`` under the base: ``GET`` with each media type
answers 303 to the document URL of that format, and the document answers 200 with the right
type, validators, ``Vary`` and ``Link``, and RDF that mentions the IRI. Hash IRIs
(``…/dataset#dist-defkg.nt``) are checked in the document of the IRI before the ``#``.
Over the real reports (the seed, every report) every document of every IRI is fetched; the
generated corpus repeats the real reports' kinds of resource many times over (some 2,400
resources, 83 kinds), so there every IRI is negotiated in every format and fetched as
N-Triples, and the documents of every format are fetched for the two resources of each kind
(its path's pattern and its types) the dataset mentions most and least.
Also: every competency query answers from the endpoint the query UI sends it to.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, URIRef

from defkg.iris import DEFAULT_BASE
from defkg.release import read_examples
from reasoned_graph import reasoned_store, select_values
from test_pages_support import FORMATS, RDFLIB, fetch, post_form

PROJECT_ROOT = Path(__file__).resolve().parent.parent


#: The corpora of real reports, where every document of every minted IRI is fetched.
EVERY_DOCUMENT = {"seed", "all"}


def _quads(dist: Path) -> list[tuple]:
    """The quads of the release's dump and the triples of its VoID."""
    dataset = Dataset()
    dataset.parse(dist / "defkg.trig", format="trig")
    void = Graph().parse(dist / "void.ttl", format="turtle")
    return [*dataset.quads(), *((s, p, o, None) for s, p, o in void)]


def minted_iris(dist: Path) -> set[str]:
    """Every IRI under the base in the release's dump and VoID (graph names included)."""
    return {
        str(node)
        for quad in _quads(dist)
        for node in quad
        if isinstance(node, URIRef) and str(node).startswith(DEFAULT_BASE)
    }


def kind_extremes(dist: Path) -> set[str]:
    """Of each kind of resource (the pattern of its path, its types), the two the release
    mentions most and least: the longest and the barest document of that kind."""
    types: dict[str, set[str]] = {}
    mentions: Counter[str] = Counter()
    for s, p, o, _g in _quads(dist):
        if p == RDF.type:
            types.setdefault(str(s).split("#", 1)[0], set()).add(str(o))
        for node in (s, o):
            if isinstance(node, URIRef) and str(node).startswith(DEFAULT_BASE):
                mentions[str(node).split("#", 1)[0]] += 1
    kinds: dict[tuple, list[str]] = {}
    for resource in mentions:
        # dataset, id/{x}, id/{x}/{x} (a sentence, its selectors), ontology/{x}, ...
        pattern = re.sub(r"/[^/]+", "/{x}", resource[len(DEFAULT_BASE) :])
        kind = (pattern, tuple(sorted(types.get(resource, ()))))
        kinds.setdefault(kind, []).append(resource)
    extremes = set()
    for members in kinds.values():
        ranked = sorted(members, key=lambda r: (mentions[r], r))
        extremes |= {ranked[0], ranked[-1]}
    return extremes


def check_iri(
    site: str, iri: str, documents: dict[tuple[str, str], Graph], formats: set[str]
) -> list[str]:
    """Problems with dereferencing ``iri`` in every format (an empty list when none): the 303
    of each, and the documents of ``formats`` (extensions)."""
    problems = []
    resource = iri.split("#", 1)[0]
    path = resource[len(DEFAULT_BASE) :]
    for ext, media_type in FORMATS.items():
        where = f"{iri} as {media_type}"
        see = fetch(site + urllib.parse.quote(path), {"Accept": media_type})
        if see.status != 303 or see.headers.get("location") != f"/{path}.{ext}":
            problems.append(f"{where}: {see.status} {see.headers.get('location')}")
            continue
        if "Accept" not in see.headers.get("vary", ""):
            problems.append(f"{where}: 303 without Vary: Accept")
        if ext not in formats:
            continue
        key = (resource, ext)
        if key not in documents:
            answer = fetch(site + see.headers["location"].lstrip("/"))
            if answer.status != 200:
                problems.append(f"{where}: document {answer.status}")
                continue
            for header in ("etag", "last-modified", "cache-control", "link", "vary"):
                if header not in answer.headers:
                    problems.append(f"{where}: document without {header}")
            if not answer.headers.get("content-type", "").startswith(media_type):
                problems.append(f"{where}: content type {answer.headers.get('content-type')}")
            if ext == "html":
                documents[key] = Graph()
                if "<h1>" not in answer.text:
                    problems.append(f"{where}: page without a title")
                continue
            try:
                documents[key] = Graph().parse(data=answer.body, format=RDFLIB[ext])
            except Exception as error:  # any parser error is a finding, reported with the IRI
                problems.append(f"{where}: unparsable: {error}")
                continue
        if ext != "html":
            graph, node = documents[key], URIRef(iri)
            if (node, None, None) not in graph and (None, None, node) not in graph:
                problems.append(f"{where}: the document does not mention the IRI")
    return problems


def test_every_minted_iri_dereferences_in_every_format(
    built_release: Path, live_server: str, corpus: str
) -> None:
    iris = sorted(minted_iris(built_release))
    assert len(iris) > 100  # the real release, not a stub
    kinds = {i[len(DEFAULT_BASE) :].split("/")[0].split("#")[0].split(".")[0] for i in iris}
    assert {"id", "ontology", "graph", "shapes", "dataset"} <= kinds
    # Documents are fetched once per resource and format; hash IRIs share their document.
    by_resource: dict[str, list[str]] = {}
    for iri in iris:
        by_resource.setdefault(iri.split("#", 1)[0], []).append(iri)
    every = set(FORMATS)
    fully = set(by_resource) if corpus in EVERY_DOCUMENT else kind_extremes(built_release)
    assert fully <= set(by_resource)

    def check_group(resource: str) -> list[str]:
        documents: dict[tuple[str, str], Graph] = {}
        formats = every if resource in fully else {"nt"}
        group = by_resource[resource]
        return [p for iri in group for p in check_iri(live_server, iri, documents, formats)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for found in pool.map(check_group, by_resource) for p in found]
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:20])


def test_the_jsonld_context_is_the_one_shipped_in_the_release(
    built_release: Path, live_server: str
) -> None:
    """The server runs outside the project (no ontology/ beside it): the context it serves and
    compacts with comes from the release, and is the project's own context."""
    project_context = json.loads((PROJECT_ROOT / "ontology" / "context.jsonld").read_text())
    shipped = json.loads((built_release / "context.jsonld").read_text(encoding="utf-8"))
    served = json.loads(fetch(live_server + "context.jsonld").body)
    assert served == shipped
    assert served["@context"] == project_context["@context"]
    document = json.loads(fetch(live_server + "id/unifil.jsonld").body)
    assert document["@context"] == served["@context"]


def test_a_mission_page_shows_its_sources_and_wikidata(live_server: str) -> None:
    page = fetch(live_server + "id/unifil.html").text
    assert "<h1>United Nations Interim Force in Lebanon</h1>" in page
    assert 'href="http://www.wikidata.org/entity/Q160805"' in page
    assert "rotations of the Kazakh contingent" in page
    assert "Kamaletdinov" in page


def test_a_figure_page_marks_its_figure_in_the_sentence(live_server: str) -> None:
    """The Abai firefighting's personnel: "over 500" is marked in the quoted sentence."""
    rows = json.loads(
        fetch(
            live_server
            + "sparql?format=json&query="
            + urllib.parse.quote(
                "PREFIX defkg: <https://w3id.org/defkg/ontology/> "
                "SELECT ?q WHERE { ?q defkg:numericValue 500 "
                # the seed's figure (a generated report may state a 500 of its own)
                'FILTER(STRSTARTS(STR(?q), "https://w3id.org/defkg/id/kz-2023-")) } LIMIT 1'
            )
        ).body
    )["results"]["bindings"]
    assert rows, "the release has no figure of 500"
    path = rows[0]["q"]["value"][len(DEFAULT_BASE) :]
    page = fetch(f"{live_server}{path}.html").text
    assert "<mark>over 500</mark>" in page


@pytest.fixture(scope="module")
def examples() -> Iterator[list]:
    yield read_examples(PROJECT_ROOT / "queries")


def _rows(site: str, query: str, inferred: bool) -> list[tuple]:
    endpoint = "sparql/inferred" if inferred else "sparql"
    answer = post_form(
        site + endpoint, {"query": query}, {"Accept": "application/sparql-results+json"}
    )
    assert answer.status == 200, answer.text
    data = json.loads(answer.body)
    if "boolean" in data:
        return [(data["boolean"],)]
    names = data["head"]["vars"]
    return sorted(
        tuple(b.get(n, {}).get("value", "") for n in names) for b in data["results"]["bindings"]
    )


def test_every_competency_query_answers_where_the_query_ui_sends_it(
    live_server: str, examples: list, corpus: str
) -> None:
    """The UI runs a query without inferences unless its comments say it relies on them; the
    answer there must be the answer with every inference (what the competency tests check)."""
    assert len(examples) == len(list((PROJECT_ROOT / "queries").glob("cq*.rq"))) >= 20
    store = reasoned_store(corpus)
    for example in examples:
        ui_rows = _rows(live_server, example.query, example.inferred)
        full_rows = _rows(live_server, example.query, True)
        # a question may have no answer in a corpus (the seed alone corroborates nothing)
        answered = bool(select_values(example.query, store))
        assert bool(ui_rows) == answered, f"{example.name}: answered {answered} elsewhere"
        assert ui_rows == full_rows, f"{example.name}: needs the inferences but is not marked"
