"""The site as a journalist uses it, in a real headless Chromium (Playwright): search from
any page, cite a fact, read who said what, see derived figures marked, draw a result view.
Screenshots go to test-artifacts/ (CI keeps the folder). Fixtures: see test_browser.py.
"""

from __future__ import annotations

import pytest

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
