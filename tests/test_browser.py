"""A real headless Chromium (Playwright) uses the site as a person would: home page → a class →
a mission's page with its source sentence; the query UI runs a competency question and shows
its result table; markup in the data is shown, never run. Screenshots go to test-artifacts/.

Skipped when /usr/bin/chromium is missing, unless DEFKG_REQUIRE_BROWSER=1 (then they fail).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_pages_support import serve, write_pages_release

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (`.ci/run` does)"
        if os.environ.get("DEFKG_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site(built_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real release, served with this project as root (the query UI's examples)."""
    yield from serve(built_release, tmp_path_factory.mktemp("browser-site"), PROJECT_ROOT)


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def reveal(link: object) -> None:
    """Open the folds (closed <details>) around ``link`` by their summaries, as a reader does:
    a page with many sentences or links folds them (a corpus of many reports), a short one not."""
    for fold in link.locator("xpath=ancestor::details[not(@open)]").all():  # outermost first
        fold.locator("xpath=./summary").click()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_from_the_home_page_to_a_missions_source_sentence(site: str, page: object) -> None:
    page.goto(site)
    assert "what defence ministries report" in page.locator("h1").inner_text()
    assert page.locator("#downloads a[href='/download/defkg.trig']").count() == 1
    shot(page, "01-home")
    page.locator("#classes summary").first.click()  # the class list is folded below the topics
    page.locator("#classes a", has_text="peacekeeping mission").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(".html")  # the class IRI answered 303 to its page
    assert page.locator("h1").inner_text().lower() == "peacekeeping mission"
    shot(page, "02-class")
    page.locator("#term a", has_text="United Nations Interim Force in Lebanon").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "United Nations Interim Force in Lebanon"
    # the mission's sentences, from every report that names it (in no fixed order)
    sentences = page.locator("#source blockquote")
    reveal(sentences.first)
    assert sentences.first.is_visible()
    assert any("United Nations (UN) mission in Lebanon" in t for t in sentences.all_inner_texts())
    assert page.locator("#same-as a[href='http://www.wikidata.org/entity/Q160805']").count() == 1
    shot(page, "03-mission")


def test_a_figure_is_marked_in_its_sentence(site: str, page: object) -> None:
    page.goto(site + "id/unifil")
    rotations = page.locator("#incoming a", has_text="rotations of the Kazakh contingent").first
    reveal(rotations)
    rotations.click()
    page.wait_for_load_state()
    assert page.locator("#source blockquote").first.is_visible()
    # from the operation to its figure (the Quantity class page shows 100 of the many
    # figures a corpus of many reports has: the seed's need not be among them)
    page.goto(site + "id/kz-2023-abai-firefighting")
    page.locator("main a", has_text="over 500 military personnel").first.click()
    page.wait_for_load_state()
    marks = page.locator("#source mark").all_inner_texts()
    assert "over 500" in marks
    shot(page, "04-figure")


def test_the_query_ui_runs_a_competency_question(site: str, page: object) -> None:
    page.goto(site + "sparql")
    assert page.locator("#highlight .tok-keyword").count() > 0  # the editor is highlighted
    page.locator("button.example", has_text="In which UN missions").click()
    table = page.locator("table.results-table")
    table.wait_for(timeout=30_000)
    assert "SELECT" in page.locator("#query").input_value()
    rows = table.locator("tr")
    assert rows.count() >= 5  # a header and a row for each of the four missions
    assert table.locator("a[href='/id/unifil']").count() >= 1  # IRIs link to their pages
    assert page.locator("#downloads a", has_text="CSV").count() == 1
    shot(page, "05-query")
    table.locator("a[href='/id/unifil']").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "United Nations Interim Force in Lebanon"


def test_the_resource_page_opens_its_query_in_the_query_ui(site: str, page: object) -> None:
    page.goto(site + "id/unifil")
    page.locator("#open-query").click()
    page.wait_for_load_state()
    assert "DESCRIBE <https://w3id.org/defkg/id/unifil>" in page.locator("#query").input_value()
    page.locator("#run").click()
    page.locator("table.results-table").wait_for(timeout=30_000)
    assert page.locator("table.results-table tr").count() > 3


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser-fixture")
    yield from serve(write_pages_release(root / "dist"), root)


def test_markup_in_a_label_is_shown_not_run(fixture_site: str, page: object) -> None:
    page.goto(fixture_site + "id/evil-label")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("h1").inner_text().startswith("<script>window.__pwned = 1</script>")
    assert page.locator("h1 b").count() == 0
    shot(page, "06-escaped-label")


def test_the_query_ui_offers_its_results_in_each_format(site: str, page: object) -> None:
    """After a run, the UI links the results in every SPARQL results format; each link answers
    in its own media type."""
    from test_pages_support import fetch

    page.goto(site + "sparql")
    page.locator("button.example", has_text="In which UN missions").click()
    page.locator("table.results-table").wait_for(timeout=30_000)
    links = page.locator("#downloads a")
    offered = {
        links.nth(i).inner_text(): links.nth(i).get_attribute("href") for i in range(links.count())
    }
    media = {
        "JSON": "application/sparql-results+json",
        "XML": "application/sparql-results+xml",
        "CSV": "text/csv",
        "TSV": "text/tab-separated-values",
    }
    assert set(offered) == set(media)
    for name, href in offered.items():
        answer = fetch(site + href.lstrip("/"))
        assert answer.status == 200, (name, answer.text)
        assert answer.headers["content-type"].startswith(media[name]), name
        assert "UNIFIL" in answer.text or "unifil" in answer.text, name


def test_a_javascript_iri_in_a_result_is_inert(fixture_site: str, page: object) -> None:
    """A result IRI that is not http(s) is shown as text, never as a link; the page's policy
    forbids inline script besides."""
    response = page.goto(fixture_site + "sparql")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page.locator("#query").fill(
        'SELECT ?link ?web WHERE { BIND(IRI("javascript:window.__pwned=1") AS ?link) '
        'BIND(IRI("https://example.org/a") AS ?web) }'
    )
    page.locator("#run").click()
    table = page.locator("table.results-table")
    table.wait_for(timeout=30_000)
    cell = table.locator("td", has_text="javascript:window.__pwned=1")
    assert cell.count() == 1
    assert table.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert table.locator("a[href='https://example.org/a']").count() == 1  # http(s) still links
    cell.click()
    cell.dblclick()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.url.startswith(fixture_site + "sparql")
    shot(page, "07-inert-javascript-iri")
