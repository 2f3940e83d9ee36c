"""The site as a journalist uses it, in a real headless Chromium (Playwright): search from
any page, cite a fact, read who said what, see derived figures marked, draw a result view.
Screenshots go to test-artifacts/ (CI keeps the folder). Fixtures: see test_browser.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import browser, page, shot, site  # noqa: F401 (pytest fixtures)
from test_site_provenance import derived_site  # noqa: F401 (a pytest fixture)

pytestmark = pytest.mark.browser


def test_search_finds_the_zhambyl_region_from_jambyl(site: str, page: object) -> None:  # noqa: F811
    page.goto(site + "ontology")  # the box is on every page, not only the home page
    box = page.locator("header.site input[name=q]")
    box.fill("Jambyl")
    box.press("Enter")
    page.wait_for_load_state()
    assert "/search?q=Jambyl" in page.url
    first = page.locator("ol.hits li.hit").first
    assert first.locator(".hit-label").inner_text() == "Zhambyl Region"
    assert first.locator(".badge").inner_text() == "region"
    shot(page, "site-search-jambyl")
    first.locator(".hit-label").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Zhambyl Region"


def test_a_derived_figure_says_it_is_derived(derived_site: str, page: object) -> None:  # noqa: F811
    page.goto(derived_site + "id/medals-total-2023")
    banner = page.locator(".derived-banner")
    assert "not stated by any source" in banner.inner_text()
    assert banner.locator(".derived-mark").inner_text().lower() == "derived"
    assert page.locator("dd.computed .derived-mark").count() == 1
    shot(page, "site-derived-figure")


def test_who_said_what_is_shown_apart(site: str, page: object) -> None:  # noqa: F811
    page.goto(site + "id/kz-2023-gold-medals")
    quote = page.locator("figure.quote").first
    assert "none named" in quote.locator("dd.speaker").inner_text()
    assert "press office" in quote.locator("dd.publisher").inner_text()
    assert quote.locator("dd.readings a").count() >= 1
    assert quote.locator("mark").count() >= 4  # 143, 171, 82, 87: every figure of sentence 13
    shot(page, "site-who-said-what")


def test_cite_this_copies_the_citation(site: str, browser: object) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    try:
        tab.goto(site + "id/kz-2023-zhambyl-people-saved")
        panel = tab.locator("#cite")
        shown = panel.locator("#cite-text").inner_text()
        assert "over 200 people saved" in shown  # the fact
        assert "/dataset/" in shown  # the release, by its versioned IRI
        assert "saved over 200 people in the Zhambyl Region" in shown  # the sentence
        assert "press office of the Ministry of Defence of Kazakhstan" in shown  # publisher
        assert "27 December 2023" in shown  # and date
        panel.locator("button.copy").first.click()
        copy_text = panel.locator("button.copy").first
        expect(copy_text).to_have_attribute("data-copied", re.compile("."))
        copied = tab.evaluate("navigator.clipboard.readText()")
        assert copied == panel.locator("#cite-text").text_content()
        panel.locator("summary", has_text="BibTeX").click()
        panel.locator("button.copy", has_text="BibTeX").click()
        tab.wait_for_function("document.querySelectorAll('#cite button.copy')[1].dataset.copied")
        bibtex = tab.evaluate("navigator.clipboard.readText()")
        assert bibtex.startswith("@misc{defkg-kz-2023-zhambyl-people-saved")
        assert "url = {https://w3id.org/defkg/id/kz-2023-zhambyl-people-saved}" in bibtex
        shot(tab, "site-cite-this")
    finally:
        context.close()


FIGURES_WITH_DATES = """PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <https://schema.org/>
SELECT ?figure ?value ?published WHERE {
  ?figure defkg:numericValue ?value ; prov:wasDerivedFrom ?sentence .
  ?sentence oa:hasSource ?report . ?report schema:datePublished ?published .
} ORDER BY DESC(?value) LIMIT 30"""


def run_query(tab: object, base: str, query: str) -> None:
    tab.goto(base + "sparql")
    tab.locator("#query").fill(query)
    tab.locator("#run").click()
    tab.locator("table.results-table").wait_for(timeout=30_000)


def test_answers_are_label_first_with_result_views(site: str, page: object) -> None:  # noqa: F811
    run_query(page, site, FIGURES_WITH_DATES)
    first = page.locator("table.results-table tr").nth(1)
    link = first.locator("td a").first
    expect(link).not_to_have_text(re.compile(r"^kg:"))  # the label, once the labels arrive
    assert link.get_attribute("title").startswith("https://w3id.org/defkg/id/")  # IRI on hover
    assert link.get_attribute("href").startswith("/id/")  # and as the link
    assert first.locator(".datatype").count() >= 1  # datatypes shown, muted
    shot(page, "site-query-table")
    tabs = page.locator(".view-tabs button")
    assert {"Table", "Bar chart", "Line over time", "Timeline"} <= set(tabs.all_inner_texts())
    page.locator(".view-tabs button", has_text="Bar chart").click()
    bars = page.locator("svg.bar-chart rect")
    assert bars.count() >= 5
    bar_link = page.locator("svg.bar-chart a").first.get_attribute("href")
    assert bar_link.startswith("/id/")  # a bar opens its figure's page
    shot(page, "site-query-bar-chart")
    page.locator(".view-tabs button", has_text="Line over time").click()
    assert page.locator("svg.line-chart circle").count() >= 5
    shot(page, "site-query-line")
    page.locator(".view-tabs button", has_text="Timeline").click()
    assert page.locator("svg.timeline circle").count() >= 5
    page.locator("svg.timeline a").first.click()
    page.wait_for_load_state()
    assert "/id/" in page.url  # a point leads to its page (its figure, with its sentence)
    assert page.locator("figure.quote").count() >= 1


def test_long_answers_are_paged(site: str, page: object) -> None:  # noqa: F811
    run_query(page, site, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 120")
    assert page.locator("table.results-table tr").count() == 51  # a header and 50 rows
    assert "rows 1\u201350 of 120" in page.locator(".pager").inner_text()
    page.locator(".pager button", has_text="next").click()
    expect(page.locator(".pager")).to_contain_text("rows 51\u2013100 of 120")


def test_the_editor_completes_terms_and_marks_a_syntax_error(site: str, page: object) -> None:  # noqa: F811
    page.goto(site + "sparql")
    editor = page.locator("#query")
    editor.fill("SELECT * WHERE { ?s a defkg:Peacekeeping")
    editor.press("End")
    editor.type("M")
    expect(page.locator("#completions li").first).to_contain_text("defkg:PeacekeepingMission")
    editor.press("Tab")
    text = editor.input_value()
    assert "?s a defkg:PeacekeepingMission" in text
    assert text.startswith("PREFIX defkg: <https://w3id.org/defkg/ontology/>")  # declared too
    editor.fill("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?x = )\n}")
    page.locator("#run").click()
    expect(page.locator("#syntax-error")).to_have_count(1)
    assert page.locator("#error").is_visible()
    shot(page, "site-query-syntax-error")


def test_the_home_page_leads_by_topic_to_a_report(site: str, page: object) -> None:  # noqa: F811
    page.goto(site)
    for key in ("missions", "operations", "people", "organisations", "places", "figures"):
        expect(page.locator(f"#topic-{key}")).to_be_visible()
    shot(page, "site-home-by-topic")
    first_report = page.locator("#reports li a[href^='/id/']").first
    name = first_report.inner_text()
    first_report.click()
    page.wait_for_load_state()
    assert "/id/" in page.url
    assert page.locator("h1").inner_text() == name


def test_an_error_is_a_page_with_a_way_on(site: str, page: object) -> None:  # noqa: F811
    response = page.goto(site + "no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator(".error-page")).to_be_visible()
    shot(page, "site-error-404")
    box = page.locator("header.site input[name=q]")
    box.fill("Zhambyl")
    box.press("Enter")
    page.wait_for_load_state()
    assert page.locator("ol.hits li.hit").count() >= 1


def test_a_prolific_speakers_page_is_folded_by_sentence(site: str, page: object) -> None:  # noqa: F811
    page.goto(site + "id/sultan-kamaletdinov")
    groups = page.locator("details.group")
    assert groups.count() >= 2
    closed = [g for g in groups.all() if g.get_attribute("open") is None]
    assert closed, "the groups of a long page start folded"
    closed[0].locator("summary").click()
    assert closed[0].get_attribute("open") is not None
    shot(page, "site-speaker-folded")
