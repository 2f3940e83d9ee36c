"""Pages that show many reports (defkg.web.pages.reports, templates/_reports.html), over real
HTTP on the real release, and in Chromium: a measure's values over time as a chart drawn on the
server, each point linking to its sentence; what other reports say of a fact; what came of a
plan; an entity's facts by report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import http_fetch
from test_pages_support import serve

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


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


def test_a_measure_page_draws_its_values_over_time_with_links_to_sentences(site: str) -> None:
    html = page_of(site, "id/measure-kz-peacekeepers-serving")
    chart = section(html, "over-time")
    assert "<svg" in chart and "<script" not in chart  # drawn on the server: no script
    points = re.findall(r'<a class="point" href="([^"]+)"><circle', chart)
    # the seed's 19 of 2023-12-26 and the second report's 6 + 2 + 2 + 9 of 2024-01-20
    assert points == ["/id/kz-mod-2023-12-27/s6", "/id/kt-2024-01-20/s5"]
    assert 'class="derived"' in chart and 'class="stated"' in chart
    assert "sum computed by defkg" in chart
    assert re.search(r"<td>2024-01-20</td><td>19</td>", chart)


def test_a_fact_page_says_which_other_report_corroborates_it(site: str) -> None:
    html = page_of(site, "id/kz-2023-peacekeepers-deployed-count")
    other = section(html, "other-reports")
    assert "Corroborated by" in other
    assert 'href="/id/kt-2024-peacekeepers-serving-by-place"' in other
    assert "drawn by defkg from the data" in other
    later = section(page_of(site, "id/kt-2024-peacekeepers-serving-by-place"), "other-reports")
    assert "Corroborates" in later and 'href="/id/kz-2023-peacekeepers-deployed-count"' in later


def test_a_plan_page_shows_what_came_of_it(site: str) -> None:
    outcome = section(page_of(site, "id/kz-2023-undof-planned-deployment"), "outcome")
    assert "Approved by" in outcome and 'href="/id/kt-2024-parliament-approval"' in outcome
    assert "Taken forward by" in outcome and 'href="/id/kt-2024-undof-deployment"' in outcome


def test_an_entity_page_groups_its_facts_by_report_newest_first(site: str) -> None:
    grouped = section(page_of(site, "id/unifil"), "by-report")
    reports = re.findall(r'<summary><a href="(/id/[^"]+)">', grouped)
    assert reports == ["/id/kt-2024-01-20", "/id/kz-mod-2023-12-27"]
    assert 'href="/id/kt-2024-serving-lebanon"' in grouped
    assert 'href="/id/kz-2023-unifil-contingent-rotation"' in grouped


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")
def test_in_chromium_a_chart_point_links_to_its_sentence(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(site + "id/measure-kz-peacekeepers-serving")
            points = page.locator("#over-time svg a.point")
            assert points.count() == 2
            assert page.locator("#over-time svg").is_visible()
            page.screenshot(path=str(tmp_path / "measure.png"))
            points.last.click()
            page.wait_for_load_state()
            assert "/id/kt-2024-01-20/s5" in page.url
            assert "Currently, six officers serve in Western Sahara" in page.content()
        finally:
            browser.close()
