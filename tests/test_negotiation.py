"""Content negotiation: Accept parsing, q-values, wildcards, ties, and the 406 case."""

from __future__ import annotations

import pytest

from defkg.web.negotiation import choose, offered_list, parse_accept, weight_of

RDF = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
PAGES = ["text/html", *RDF]


def test_parse_accept_orders_by_weight_then_specificity_then_position() -> None:
    ranges = parse_accept("*/*;q=0.1, text/*;q=0.5, text/html, application/xml;q=0.9")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "html", 1.0),
        ("application", "xml", 0.9),
        ("text", "*", 0.5),
        ("*", "*", 0.1),
    ]


def test_parse_accept_skips_malformed_entries() -> None:
    ranges = parse_accept("garbage, */html, text/turtle;q=2, text/csv;q=abc, text/plain;q=0.3")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "plain", 0.3)]


def test_parameters_other_than_q_are_ignored_and_case_is_folded() -> None:
    ranges = parse_accept("Text/Turtle; charset=UTF-8; q=0.4; ext=1")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "turtle", 0.4)]
    assert choose("application/ld+json;charset=utf-8", RDF) == "application/ld+json"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html"),
        ("", "text/html"),
        ("*/*", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json, text/turtle;q=0.5", "application/ld+json"),
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        # A browser: HTML wins over the XML it also accepts.
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
        ),
        # text/* reaches turtle only after html is excluded with q=0.
        ("text/*, text/html;q=0", "text/turtle"),
        # The most specific range decides, whatever its position.
        ("*/*;q=0.1, application/rdf+xml", "application/rdf+xml"),
        ("application/*;q=0.2, application/n-triples;q=0.7", "application/n-triples"),
        # Equal weights: the server's order breaks the tie.
        ("application/rdf+xml, text/turtle", "text/turtle"),
        ("application/*", "application/ld+json"),
        # Nothing acceptable.
        ("image/png", None),
        ("text/turtle;q=0, text/html;q=0", None),
        ("*/*;q=0", None),
    ],
)
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept, PAGES) == expected


def test_choose_with_nothing_offered_is_none() -> None:
    assert choose("*/*", []) is None


def test_a_header_of_only_malformed_entries_counts_as_no_preference() -> None:
    assert choose("garbage;;, /", RDF) == "text/turtle"


def test_weight_of_uses_most_specific_range() -> None:
    ranges = parse_accept("text/*;q=0.3, text/csv;q=0.9, */*;q=0.1")
    assert weight_of("text/csv", ranges) == 0.9
    assert weight_of("text/tab-separated-values", ranges) == 0.3
    assert weight_of("application/json", ranges) == 0.1


def test_offered_list_for_a_406_body() -> None:
    assert offered_list(["text/turtle; charset=utf-8", "application/ld+json"]) == (
        "text/turtle, application/ld+json"
    )
