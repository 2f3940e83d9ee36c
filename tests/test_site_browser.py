"""The site as a journalist uses it, in a real headless Chromium (Playwright): search from
any page, cite a fact, read who said what, see derived figures marked, draw a result view.
Screenshots go to test-artifacts/ (CI keeps the folder). Fixtures: see test_browser.py.
"""

from __future__ import annotations

import pytest

from test_browser import browser, page, shot, site  # noqa: F401 (pytest fixtures)

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
