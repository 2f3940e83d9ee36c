"""The site's pages over real HTTP (issue 15): one error design for browsers on every path and
plain text for machines; long pages grouped and folded; no unnamed list nodes."""

from __future__ import annotations

import re

import pytest

from conftest import http_fetch

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["nope", "id/nope", "download/nope", "static/nope.js"])
def test_a_browser_gets_the_one_error_page_on_every_path(live_server: str, path: str) -> None:
    answer = http_fetch("GET", live_server + path, headers=BROWSER)
    assert answer.status == 404
    assert answer.header("Content-Type").startswith("text/html")
    assert 'class="error-page"' in answer.text and "Error 404" in answer.text
    assert 'name="q"' in answer.text  # a search box to find what was meant


@pytest.mark.parametrize("path", ["nope", "id/nope"])
def test_a_machine_gets_plain_text(live_server: str, path: str) -> None:
    answer = http_fetch("GET", live_server + path, headers={"Accept": "*/*"})
    assert answer.status == 404
    assert answer.header("Content-Type").startswith("text/plain")
    assert "<" not in answer.text


def test_a_method_error_keeps_its_allow_header_on_the_page(live_server: str) -> None:
    answer = http_fetch("DELETE", live_server + "search", headers=BROWSER)
    assert answer.status == 405 and "GET" in (answer.header("Allow") or "")
    assert 'class="error-page"' in answer.text


def test_a_list_member_shows_no_unnamed_node(live_server: str) -> None:
    answer = http_fetch("GET", live_server + "ontology/moreThan.html")
    assert answer.status == 200
    assert "unnamed node" not in answer.text


def test_the_ontology_prints_its_description_once_and_folds_its_terms(live_server: str) -> None:
    page = http_fetch("GET", live_server + "ontology.html").text
    description = re.search(r'<p class="description">(.{60})', page)
    assert description, "the ontology's description is shown in its header"
    assert page.count(description.group(1)) == 1
    assert page.count('<details class="term-group"') == 3  # classes, properties, individuals


def test_a_prolific_speakers_statements_are_grouped_by_sentence(live_server: str) -> None:
    page = http_fetch("GET", live_server + "id/sultan-kamaletdinov.html").text
    groups = re.findall(r'<details class="group"><summary>([^<]+)<', page)
    assert len(groups) >= 2, "a speaker of many facts lists them by sentence, folded"
    assert all(g.strip().startswith("sentence") for g in groups), groups


def counted(page: str) -> dict[str, int]:
    found = re.findall(r"<strong>([\d,]+)</strong>\s*([A-Za-z ]+?)\s*</div>", page)
    return {name.strip(): int(n.replace(",", "")) for n, name in found}


def test_the_home_page_is_by_topic_with_counts_that_agree(live_server: str) -> None:
    page = http_fetch("GET", live_server, headers=BROWSER).text
    headline = counted(page)
    reports = re.search(r'<section class="panel" id="reports">(.*?)</section>', page, re.S)
    assert reports, "the reports come first"
    items = re.findall(r"<li>(.*?)</li>", reports.group(1), re.S)
    number = headline.get("report", headline.get("reports"))
    assert number and len(items) == min(number, 20)
    for item in items:  # each report linked, with its publisher and date
        assert 'href="/id/' in item and " — " in item and re.search(r"\d{4}</span>", item), item
    for key in ("missions", "operations", "people", "organisations", "places", "figures"):
        assert f'id="topic-{key}"' in page, key
    # the same numbers everywhere: the facts of the headline are the class list's facts, the
    # stated figures the topic's figures, and each topic says what it counts
    classes = dict(
        re.findall(
            r'title="https://w3id.org/defkg/ontology/(\w+)">[^<]*</a></td><td class="num">([\d,]+)',
            page,
        )
    )
    assert headline["facts"] == int(classes["Fact"].replace(",", ""))
    figures = re.search(r'id="topic-figures">\s*<h2>Figures <span class="note">\(([\d,]+)\)', page)
    assert figures and headline["figures stated"] == int(figures.group(1).replace(",", ""))
    derived = int(classes.get("DerivedFigure", "0").replace(",", ""))
    assert headline["figures stated"] + derived == int(classes["Quantity"].replace(",", ""))
    assert page.count('<p class="note">') >= 6  # "5 peacekeeping missions." and so on
