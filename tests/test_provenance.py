"""Provenance: every quote matches the shipped text at its offsets, the anchors are the source's
sentences, and every fact has a sentence and a speaker (and every figure is typed and bounded).

Each check is a plain function returning the problems it finds; each is run on the real graph
(no problems) and on a deliberately broken copy (the problem is found), so none can pass
vacuously.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from defkg.curate.sources import FACTS_MARKER, anchors_turtle, split_sentences
from defkg.iris import IriScheme
from reasoned_graph import corpus_root, loaded_project, reasoned_store, run_select

OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DEFKG = Namespace("https://w3id.org/defkg/ontology/")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

PREFIXES = """
PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX oa:    <http://www.w3.org/ns/oa#>
PREFIX rdfs:  <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
"""


def source_graphs(corpus: str) -> dict[URIRef, Graph]:
    """The graph of every source document of ``corpus`` (every graph whose document has a text
    file)."""
    project = loaded_project(corpus)
    return {
        name: project.graph(name)
        for name in project.asserted_graph_names()
        if (None, DEFKG.textFile, None) in project.graph(name)
    }


def anchors(graph: Graph) -> list[tuple[URIRef, str, int, int]]:
    """(anchor, exact, start, end) for every sentence anchor of a source graph, by start."""
    found = []
    for anchor in graph.subjects(OA.hasSource, None):
        selectors = list(graph.objects(anchor, OA.hasSelector))
        quote = next(s for s in selectors if (s, OA.exact, None) in graph)
        position = next(s for s in selectors if (s, OA.start, None) in graph)
        exact = graph.value(quote, OA.exact)
        start = graph.value(position, OA.start).toPython()
        end = graph.value(position, OA.end).toPython()
        found.append((anchor, str(exact), start, end))
    return sorted(found, key=lambda a: a[2])


def quote_mismatches(graph: Graph, text: str) -> list[str]:
    """Anchors whose oa:exact is not the text at their offsets."""
    return [
        f"{anchor}: text[{start}:{end}] is {text[start:end]!r}, the quote is {exact!r}"
        for anchor, exact, start, end in anchors(graph)
        if text[start:end] != exact
    ]


def text_path(graph: Graph, corpus: str) -> Path:
    return corpus_root(corpus) / str(next(graph.objects(None, DEFKG.textFile)))


def text_of(graph: Graph, corpus: str) -> str:
    return text_path(graph, corpus).read_text(encoding="utf-8")


def each_source(corpus: str, problems_of: Callable[[URIRef, Graph], list[str]]) -> list[str]:
    """The problems ``problems_of(name, graph)`` finds in every source of ``corpus``, each
    prefixed with the source's name (a corpus may hold one report or many)."""
    found = []
    for name, graph in sorted(source_graphs(corpus).items()):
        found += [f"{name.rsplit('/', 1)[-1]}: {p}" for p in problems_of(name, graph)]
    return found


# --- the quotes ------------------------------------------------------------------------------


def test_every_report_is_a_source_with_anchors(corpus: str) -> None:
    graphs = source_graphs(corpus)
    slugs = {str(name).rsplit("/", 1)[-1] for name in graphs}
    texts = {p.stem for p in (corpus_root(corpus) / "data").glob("*.txt")}
    assert slugs == texts  # every report's text has its source graph, and no other
    assert all(len(anchors(g)) > 0 for g in graphs.values())


def test_every_quote_equals_the_text_at_its_offsets(corpus: str) -> None:
    assert each_source(corpus, lambda _, g: quote_mismatches(g, text_of(g, corpus))) == []


def test_anchors_are_the_sentences_of_the_text(corpus: str) -> None:
    def misplaced(_: URIRef, graph: Graph) -> list[str]:
        text = text_of(graph, corpus)
        got = [(str(a).rsplit("/", 1)[1], s, e) for a, _, s, e in anchors(graph)]
        expected = [(f"s{s.n}", s.start, s.end) for s in split_sentences(text)]
        return [] if got == expected else [f"anchors {got} are not the sentences {expected}"]

    assert each_source(corpus, misplaced) == []


def test_anchor_section_is_what_add_source_writes(corpus: str) -> None:
    # A curator can regenerate the anchors with `defkg add-source` and get the same bytes.
    def rewritten(name: URIRef, graph: Graph) -> list[str]:
        path = loaded_project(corpus).files[name]
        written = path.read_text(encoding="utf-8")
        start = written.index("# --- Sentence anchors (")
        section = written[written.index("\n\n", start) + 2 : written.index(FACTS_MARKER)]
        text = text_of(graph, corpus)
        expected = anchors_turtle(path.stem, split_sentences(text), IriScheme())
        # a blank line precedes the marker
        same = section.rstrip("\n") == expected.rstrip("\n")
        return [] if same else [f"{path.name}: the anchors differ from what add-source writes"]

    assert each_source(corpus, rewritten) == []


def test_the_document_records_the_digest_of_its_text(corpus: str) -> None:
    def wrong_digest(_: URIRef, graph: Graph) -> list[str]:
        digest = hashlib.sha256(text_of(graph, corpus).encode("utf-8")).hexdigest()
        recorded = str(next(graph.objects(None, DEFKG.sha256)))
        return [] if recorded == digest else [f"records {recorded}, the text's is {digest}"]

    assert each_source(corpus, wrong_digest) == []


def test_a_shifted_offset_is_caught(corpus: str) -> None:
    graph = next(iter(source_graphs(corpus).values()))
    broken = Graph()
    broken += graph
    anchor, _, start, _ = anchors(graph)[2]
    position = next(
        s for s in broken.objects(anchor, OA.hasSelector) if (s, OA.start, None) in broken
    )
    broken.set((position, OA.start, Literal(start + 1)))
    problems = quote_mismatches(broken, text_of(graph, corpus))
    assert len(problems) == 1 and str(anchor) in problems[0]


# --- every fact has a sentence and a speaker ---------------------------------------------------

FACTS_WITHOUT_PROVENANCE = (
    PREFIXES
    + """
SELECT DISTINCT ?fact WHERE {
  ?fact a defkg:Fact .
  # MINUS, not FILTER NOT EXISTS: the engine evaluates the pattern once, not once per fact
  MINUS {
    ?fact prov:wasDerivedFrom ?sentence .
    ?sentence a oa:SpecificResource ; oa:hasSource ?source ;
        oa:hasSelector ?quote , ?position .
    ?quote a oa:TextQuoteSelector ; oa:exact ?exact .
    ?position a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
  }
}"""
)

FACTS_WITHOUT_SPEAKER = (
    PREFIXES
    + """
SELECT DISTINCT ?fact WHERE {
  ?fact a defkg:Fact .
  FILTER NOT EXISTS {
    ?fact prov:wasAttributedTo ?speaker .
    { ?speaker a defkg:Person } UNION { ?speaker a defkg:Organization }
  }
}"""
)

BAD_QUANTITIES = (
    PREFIXES
    + """
SELECT DISTINCT ?q ?why WHERE {
  {
    ?q a defkg:Quantity .
    FILTER NOT EXISTS { ?q defkg:numericValue ?v
                        FILTER(DATATYPE(?v) IN (xsd:integer, xsd:decimal)) }
    BIND("no numeric value typed xsd:integer or xsd:decimal" AS ?why)
  } UNION {
    ?q a defkg:Quantity .
    FILTER NOT EXISTS { ?q defkg:bound ?b }
    BIND("no bound" AS ?why)
  } UNION {
    ?q a defkg:Quantity .
    FILTER NOT EXISTS { { ?q defkg:unit ?u } UNION { ?q defkg:countOf ?c }
                        UNION { ?q defkg:currency ?m } }
    BIND("neither a unit, nor what it counts, nor a currency" AS ?why)
  } UNION {
    ?q a defkg:Quantity .
    FILTER NOT EXISTS { ?q rdfs:label ?l FILTER(LANG(?l) = "en") }
    BIND("no English label" AS ?why)
  }
}"""
)

CURATORS_NOTES_WITHOUT_GROUNDS = (
    PREFIXES
    + """
SELECT DISTINCT ?note WHERE {
  { ?note a defkg:Interpretation } UNION { ?note a defkg:DataQualityFinding }
  FILTER NOT EXISTS {
    ?note prov:wasDerivedFrom ?sentence ;
        prov:wasAttributedTo <https://w3id.org/defkg/id/defkg-curators> ;
        defkg:explanation ?why .
    ?sentence a oa:SpecificResource .
  }
}"""
)


def problems(query: str, store: ox.Store) -> list[str]:
    return sorted(str(next(iter(row.values())).value) for row in run_select(query, store))


def test_there_are_facts_to_check(corpus: str) -> None:
    count = PREFIXES + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a defkg:Fact }"
    assert int(run_select(count, reasoned_store(corpus))[0]["n"].value) > 30


@pytest.mark.parametrize(
    "query",
    [
        FACTS_WITHOUT_PROVENANCE,
        FACTS_WITHOUT_SPEAKER,
        BAD_QUANTITIES,
        CURATORS_NOTES_WITHOUT_GROUNDS,
    ],
    ids=["sentence", "speaker", "quantities", "curators-notes"],
)
def test_the_real_graph_has_no_provenance_problem(query: str, corpus: str) -> None:
    assert problems(query, reasoned_store(corpus)) == []


def copy_without(predicate: str, subject: str, corpus: str) -> ox.Store:
    """A copy of the reasoned store of ``corpus`` with every ``subject predicate ?o`` quad
    removed."""
    copy = ox.Store()
    dump = reasoned_store(corpus).dump(format=ox.RdfFormat.N_QUADS)
    copy.load(dump, format=ox.RdfFormat.N_QUADS)
    for quad in list(copy.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)):
        copy.remove(quad)
    return copy


FIGURE = "https://w3id.org/defkg/id/kz-2023-zhambyl-people-saved"


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        (FACTS_WITHOUT_PROVENANCE, str(PROV.wasDerivedFrom)),
        (FACTS_WITHOUT_SPEAKER, str(PROV.wasAttributedTo)),
        (BAD_QUANTITIES, str(DEFKG.bound)),
        (BAD_QUANTITIES, str(DEFKG.numericValue)),
    ],
    ids=["sentence", "speaker", "bound", "value"],
)
def test_a_dropped_link_is_caught(query: str, predicate: str, corpus: str) -> None:
    assert FIGURE in problems(query, copy_without(predicate, FIGURE, corpus))


def test_a_count_written_as_a_string_is_caught(corpus: str) -> None:
    store = copy_without(str(DEFKG.numericValue), FIGURE, corpus)
    value = ox.NamedNode(str(DEFKG.numericValue))
    store.add(ox.Quad(ox.NamedNode(FIGURE), value, ox.Literal("200")))
    assert FIGURE in problems(BAD_QUANTITIES, store)


def test_the_text_files_use_unix_line_endings(corpus: str) -> None:
    for graph in source_graphs(corpus).values():
        path = text_path(graph, corpus)
        assert b"\r" not in path.read_bytes(), path.name
