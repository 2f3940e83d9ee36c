"""Pages that show many reports (defkg.web.pages.reports, templates/_reports.html), over real
HTTP on the release of each corpus, and in Chromium: a measure's values over time as a chart
drawn on the server, each point linking to its sentence; what other reports say of a fact; what
came of a plan; an entity's facts by report. What the second report adds is spelled out for the
corpora that hold it (not the seed alone); the generated corpus's measures are checked against
the observations its reports state.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from conftest import http_fetch
from defkg.config import Settings
from defkg.pipeline.load import load_project
from reasoned_graph import corpus_root, corpus_sources
from test_pages_support import serve

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
KT = "kt-2024-01-20"
KG = "https://w3id.org/defkg/id/"
DEFKG = Namespace("https://w3id.org/defkg/ontology/")
PROV = Namespace("http://www.w3.org/ns/prov#")


def has_kt(corpus: str) -> bool:
    return KT in corpus_sources(corpus)


@pytest.fixture(scope="module")
def site(built_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(built_release, tmp_path_factory.mktemp("reports-site"), PROJECT_ROOT)


def page_of(site: str, path: str) -> str:
    answer = http_fetch("GET", site + path, headers={"Accept": "text/html"})
    assert answer.status == 200, (path, answer.status)
    return answer.text


def section(html: str, name: str) -> str:
    match = re.search(rf'<section class="panel" id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no #{name} section"
    return match.group(1)


def chart_points(site: str, measure: str) -> list[str]:
    chart = section(page_of(site, measure), "over-time")
    assert "<svg" in chart and "<script" not in chart  # drawn on the server: no script
    return re.findall(r'<a class="point" href="([^"]+)"><circle', chart)


def test_a_measure_page_draws_its_values_over_time_with_links_to_sentences(
    site: str, corpus: str
) -> None:
    chart = section(page_of(site, "id/measure-kz-peacekeepers-serving"), "over-time")
    points = chart_points(site, "id/measure-kz-peacekeepers-serving")
    if not has_kt(corpus):
        assert points == ["/id/kz-mod-2023-12-27/s6"]  # the seed's 19 of 2023-12-26 alone
        assert 'class="stated"' in chart and 'class="derived"' not in chart
        return
    # the seed's 19 of 2023-12-26 and the second report's 6 + 2 + 2 + 9 of 2024-01-20
    assert points == ["/id/kz-mod-2023-12-27/s6", "/id/kt-2024-01-20/s5"]
    assert 'class="derived"' in chart and 'class="stated"' in chart
    assert "sum computed by defkg" in chart
    assert re.search(r"<td>2024-01-20</td><td>19</td>", chart)


def expected_points(data: Graph, measure: URIRef) -> list[tuple[str, str]]:
    """(date, sentence path) of every value the reports give of ``measure``: each stated
    observation that is not a breakdown's part, and each breakdown stating no total (its sum)."""
    parts = set(data.objects(None, DEFKG.breakdownPart))
    found = [
        (str(data.value(obs, DEFKG.asOf)), str(sentence)[len(KG) - 4 :])
        for obs in data.subjects(DEFKG.observes, measure)
        if obs not in parts
        for sentence in data.objects(obs, PROV.wasDerivedFrom)
    ]
    found += [
        (str(data.value(split, DEFKG.asOf)), str(sentence)[len(KG) - 4 :])
        for split in data.subjects(DEFKG.breakdownOf, measure)
        if (split, DEFKG.statedTotal, None) not in data
        for sentence in data.objects(split, PROV.wasDerivedFrom)
    ]
    return sorted(found)


def test_every_measure_over_several_reports_is_charted_point_by_point(
    site: str, corpus: str
) -> None:
    project = load_project(Settings(root=corpus_root(corpus)))
    data = Graph()
    for name in project.asserted_graph_names():
        data += project.graph(name)
    measures = sorted(set(data.subjects(RDF.type, DEFKG.Measure)))
    charted = 0
    for measure in measures:
        expected = expected_points(data, measure)
        if len({date for date, _ in expected}) < 2:
            continue  # one date: nothing followed over time
        points = chart_points(site, str(measure)[len(KG) - 3 :])
        assert sorted(points) == sorted(path for _, path in expected), measure
        by_path = dict((path, date) for date, path in expected)
        dates = [by_path[p] for p in points]
        assert dates == sorted(dates), f"{measure}: points not in date order"
        charted += 1
    if not has_kt(corpus):
        assert charted == 0  # the seed gives each measure on one date
    else:
        assert charted >= 1  # Kazakh personnel serving, on 2023-12-26 and 2024-01-20
    if len(corpus_sources(corpus)) > 2:
        assert charted > 3  # the generated countries report their measures year after year


def test_a_fact_page_says_which_other_report_corroborates_it(site: str, corpus: str) -> None:
    html = page_of(site, "id/kz-2023-peacekeepers-deployed-count")
    if not has_kt(corpus):
        assert "Corroborated by" not in html  # no other report of Kazakhstan
        return
    other = section(html, "other-reports")
    assert "Corroborated by" in other
    assert 'href="/id/kt-2024-peacekeepers-serving-by-place"' in other
    assert "drawn by defkg from the data" in other
    later = section(page_of(site, "id/kt-2024-peacekeepers-serving-by-place"), "other-reports")
    assert "Corroborates" in later and 'href="/id/kz-2023-peacekeepers-deployed-count"' in later


def test_a_plan_page_shows_what_came_of_it(site: str, corpus: str) -> None:
    html = page_of(site, "id/kz-2023-undof-planned-deployment")
    if not has_kt(corpus):
        assert "Approved by" not in html and "Taken forward by" not in html
        return
    outcome = section(html, "outcome")
    assert "Approved by" in outcome and 'href="/id/kt-2024-parliament-approval"' in outcome
    assert "Taken forward by" in outcome and 'href="/id/kt-2024-undof-deployment"' in outcome


def test_an_entity_page_groups_its_facts_by_report_newest_first(site: str, corpus: str) -> None:
    html = page_of(site, "id/unifil")
    if not has_kt(corpus):
        # one report names UNIFIL: nothing to group, the page's own lists say it all
        assert 'id="by-report"' not in html
        assert 'href="/id/kz-2023-unifil-contingent-rotation"' in html
        return
    grouped = section(html, "by-report")
    reports = re.findall(r'<summary><a href="(/id/[^"]+)">', grouped)
    kazakh = [r for r in reports if r in ("/id/kt-2024-01-20", "/id/kz-mod-2023-12-27")]
    assert kazakh == ["/id/kt-2024-01-20", "/id/kz-mod-2023-12-27"]
    dates = [r[-10:] for r in reports]  # every report's slug ends with its date
    assert dates == sorted(dates, reverse=True), "newest first"
    assert 'href="/id/kt-2024-serving-lebanon"' in grouped
    assert 'href="/id/kz-2023-unifil-contingent-rotation"' in grouped


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")
def test_in_chromium_a_chart_point_links_to_its_sentence(
    site: str, corpus: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    # the second report's sum is the latest point where it is in the corpus, else the seed's
    latest, words = (
        ("/id/kt-2024-01-20/s5", "Currently, six officers serve in Western Sahara")
        if has_kt(corpus)
        else ("/id/kz-mod-2023-12-27/s6", "Presently, 19 military personnel")
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(site + "id/measure-kz-peacekeepers-serving")
            points = page.locator("#over-time svg a.point")
            assert points.count() == (2 if has_kt(corpus) else 1)
            assert page.locator("#over-time svg").is_visible()
            page.screenshot(path=str(tmp_path / "measure.png"))
            points.last.click()
            page.wait_for_load_state()
            assert latest in page.url
            assert words in page.content()
        finally:
            browser.close()
