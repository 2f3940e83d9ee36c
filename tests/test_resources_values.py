"""The plain functions behind the pages: human values, figures in sentences, document paths,
query examples."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from defkg.iris import SCHEMA, UNIT, IriScheme
from defkg.release import read_examples
from defkg.web.pages.common import is_safe_iri
from defkg.web.pages.values import (
    figure_spans,
    format_literal,
    format_number,
    highlight_segments,
    human_value,
    number_spellings,
    quantity_phrase,
)
from defkg.web.resources import split_document_path, wanted_ext

SCHEME = IriScheme()
V = SCHEME.vocab
K = SCHEME.resource


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        (Literal("2023-12-26", datatype=XSD.date), "26 December 2023"),
        (Literal("2023-07", datatype=XSD.gYearMonth), "July 2023"),
        (Literal("2024", datatype=XSD.gYear), "2024"),
        (Literal("2023-12-26T10:30:00", datatype=XSD.dateTime), "26 December 2023, 10:30"),
        (Literal(3000), "3,000"),
        (Literal("1800000", datatype=XSD.integer), "1,800,000"),
        (Literal(Decimal("1.8")), "1.8"),
        (Literal("2.50", datatype=XSD.decimal), "2.5"),
        (Literal("not a date", datatype=XSD.date), "not a date"),
        (Literal("text", lang="en"), "text"),
        (Literal(True), "yes"),
    ],
)
def test_literals_read_as_people_write_them(literal: Literal, shown: str) -> None:
    assert format_literal(literal) == shown


def test_format_number_keeps_stated_digits() -> None:
    assert format_number(Decimal("1234.05")) == "1,234.05"
    assert format_number(Decimal("0.5")) == "0.5"
    assert format_number(7) == "7"


def _figure(graph: Graph, name: str, value: object, **parts: URIRef | Literal) -> URIRef:
    node = K[name]
    graph.add((node, V.numericValue, Literal(value)))
    for prop, obj in parts.items():
        graph.add((node, SCHEMA.currency if prop == "code" else V[prop], obj))
    return node


def test_a_figure_without_a_label_is_phrased_from_its_parts() -> None:
    graph = Graph()
    graph.add((V.MilitaryPersonnel, RDFS.label, Literal("military personnel", lang="en")))
    people = _figure(graph, "p", 500, bound=V.moreThan, countOf=V.MilitaryPersonnel)
    water = _figure(graph, "w", 400, bound=V.moreThan, unit=UNIT.TONNE)
    least = _figure(graph, "l", 5000, bound=V.atLeast)
    money = _figure(graph, "m", 1800000, bound=V.exactly, code=Literal("KZT"))
    assert quantity_phrase(graph, people, SCHEME) == "more than 500 military personnel"
    assert quantity_phrase(graph, water, SCHEME) == "more than 400 tonnes"
    assert quantity_phrase(graph, least, SCHEME) == "at least 5,000"
    assert human_value(graph, money, SCHEME) == "1,800,000 KZT"
    graph.add((water, RDFS.label, Literal("more than 400 tonnes of water", lang="en")))
    assert human_value(graph, water, SCHEME) == "more than 400 tonnes of water"


def test_numbers_are_found_however_the_article_spells_them() -> None:
    assert "eight" in number_spellings(Literal(8))
    assert "1.8 million" in number_spellings(Literal(1800000))
    assert "3,000" in number_spellings(Literal(3000))
    assert "607" in number_spellings(Literal(607))


def test_figure_spans_take_in_the_bound_and_whole_numbers_only() -> None:
    sentence = (
        "army aviation dropped more than 400 tons of water, with over 500 military "
        "personnel, including eight helicopters; 1400 is not 400."
    )
    spans = figure_spans(sentence, ["400", "500", "eight"])
    marked = [sentence[s:e] for s, e in spans]
    assert marked == ["more than 400", "over 500", "eight", "400"]
    assert "1400" not in marked
    pieces = highlight_segments(sentence, spans)
    assert "".join(text for text, _ in pieces) == sentence
    assert [text for text, hit in pieces if hit] == marked


def test_money_is_found_in_the_sentence_as_written() -> None:
    sentence = "deferred payments totaling 1.8 million tenge ($4 million)"
    spans = figure_spans(sentence, number_spellings(Literal(1800000)))
    assert [sentence[s:e] for s, e in spans] == ["1.8 million"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/id/kazakhstan", ("/id/kazakhstan", None)),
        ("/id/kazakhstan.ttl", ("/id/kazakhstan", "ttl")),
        ("/id/kz-mod-2023-12-27/s7.jsonld", ("/id/kz-mod-2023-12-27/s7", "jsonld")),
        ("/dataset/0.1.0", ("/dataset/0.1.0", None)),
        ("/dataset/0.1.0.rdf", ("/dataset/0.1.0", "rdf")),
        ("/ontology.html", ("/ontology", "html")),
        ("/id/x.exe", ("/id/x.exe", None)),
        ("/ontology/", ("/ontology/", None)),
        ("/ontology/.nt", ("/ontology/", "nt")),
    ],
)
def test_document_paths_split_into_resource_and_format(
    path: str, expected: tuple[str, str | None]
) -> None:
    assert split_document_path(path) == expected


def test_iris_that_cannot_go_into_sparql_are_refused() -> None:
    assert is_safe_iri("https://w3id.org/defkg/id/kazakhstan")
    for bad in ("https://x/a>b", "https://x/{a}", 'https://x/"', "https://x/a b", ""):
        assert not is_safe_iri(bad)


def test_examples_read_the_question_over_several_comment_lines(tmp_path: Path) -> None:
    (tmp_path / "cq01-a.rq").write_text("# cq01: How many, and\n# how many more?\nSELECT * {}\n")
    (tmp_path / "cq02-b.rq").write_text(
        "# cq02: Which ones?\n# Over the asserted data only.\nSELECT * {}\n"
    )
    (tmp_path / "notes.txt").write_text("not a query")
    examples = read_examples(tmp_path)
    assert [e.name for e in examples] == ["cq01-a", "cq02-b"]
    assert examples[0].question == "How many, and how many more?"
    assert examples[0].inferred
    assert examples[1].question == "Which ones?" and not examples[1].inferred


def test_the_projects_competency_queries_are_all_offered() -> None:
    queries = Path(__file__).resolve().parent.parent / "queries"
    examples = read_examples(queries)
    assert len(examples) == len(list(queries.glob("*.rq")))
    assert all(e.question.endswith("?") for e in examples)


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        (None, "html"),
        ("*/*", "html"),
        ("text/turtle", "ttl"),
        ("application/ld+json;q=0.9, text/turtle;q=0.5", "jsonld"),
        ("application/json", "jsonld"),
        ("text/plain", "nt"),
        ("application/xml", "rdf"),
        ("text/*;q=0.5, text/html;q=0", "ttl"),
        ("image/png", None),
    ],
)
def test_the_format_follows_the_accept_header(accept: str | None, ext: str | None) -> None:
    assert wanted_ext(accept) == ext
