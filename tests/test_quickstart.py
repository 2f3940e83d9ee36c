"""The README's Quick start as a new user runs it, and a crawl of the site it serves.

A copy of the project in a temporary folder, the working directory there, and `defkg serve`
with its defaults: no --dist, no --root, the relative `dist` and `.` of the settings. The only
flag is --port, a free one, because the default 8000 may be taken on a shared machine (the
Quick start's own address is otherwise the same, 127.0.0.1). The server builds the release
first, as the README says it does.

The crawler follows every link of the home page two levels deep (pages, RDF documents and
downloads) and fails on any 5xx, and on any download whose bytes are not the file in dist/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, Answer, free_port, http_fetch

#: what a clone holds that `defkg serve` reads
PROJECT_FOLDERS = ("ontology", "data", "shapes", "queries")


@dataclass
class QuickStart:
    url: str
    clone: Path
    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuickStart]:
    clone = tmp_path_factory.mktemp("clone")
    for folder in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_ROOT / folder, clone / folder)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
    log = clone.parent / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from defkg.cli import main; main()",
                "serve",
                "--port",
                str(port),
            ],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300  # the first start builds the release
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"defkg serve exited:\n{log.read_text(errors='replace')}")
            try:
                if http_fetch("GET", url + "healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"defkg serve never answered:\n{log.read_text()}")
            time.sleep(0.3)
        yield QuickStart(url, clone, process, log)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.links.append(value)


#: an IRI in an RDF document (Turtle, TriG, N-Triples: <…>; JSON-LD: "…")
_IRI_IN_RDF = re.compile(r"""<(https?://[^>\s]+)>|"(https?://[^"\s]+)\"""")


def links_of(answer: Answer, page_url: str, site: str) -> list[str]:
    """The site-local links of one answer: an HTML page's href/src, an RDF document's IRIs."""
    media_type = (answer.header("content-type") or "").split(";")[0].strip()
    found: list[str] = []
    if media_type == "text/html":
        parser = _Links()
        parser.feed(answer.body.decode("utf-8", errors="replace"))
        found = parser.links
    elif media_type in {
        "text/turtle",
        "application/trig",
        "application/n-triples",
        "application/n-quads",
        "application/ld+json",
    }:
        text = answer.body.decode("utf-8", errors="replace")
        found = [a or b for a, b in _IRI_IN_RDF.findall(text)]
    local = []
    for link in found:
        absolute = urllib.parse.urljoin(page_url, link)
        absolute = urllib.parse.urldefrag(absolute).url
        if absolute.startswith(site):
            local.append(absolute)
    return local


def crawl(site: str, depth: int) -> dict[str, Answer]:
    """Every answer reachable from the home page within ``depth`` links."""
    seen: dict[str, Answer] = {}
    frontier = [site]
    with ThreadPoolExecutor(4) as pool:
        for level in range(depth + 1):
            todo = [url for url in dict.fromkeys(frontier) if url not in seen]
            answers = list(pool.map(lambda url: http_fetch("GET", url, timeout=60), todo))
            seen.update(zip(todo, answers, strict=True))
            if level == depth:
                break
            frontier = [
                link
                for url, answer in zip(todo, answers, strict=True)
                for link in links_of(answer, url, site)
            ]
    return seen


def test_the_quick_start_publishes_into_the_relative_dist(quick_start: QuickStart) -> None:
    dist = quick_start.clone / "dist"
    assert (dist / "SHA256SUMS").is_file(), quick_start.log.read_text(errors="replace")
    home = http_fetch("GET", quick_start.url)
    assert home.status == 200


def test_every_download_of_the_home_page_is_the_file_in_dist(quick_start: QuickStart) -> None:
    home = http_fetch("GET", quick_start.url)
    downloads = [
        link for link in links_of(home, quick_start.url, quick_start.url) if "/download/" in link
    ]
    assert downloads, "the home page links no download"
    dist = quick_start.clone / "dist"
    for url in downloads:
        answer = http_fetch("GET", url)
        name = urllib.parse.unquote(url.rsplit("/download/", 1)[1])
        assert answer.status == 200, f"{url}: {answer.status} {answer.body[:300]!r}"
        assert answer.body == (dist / name).read_bytes(), f"{url} differs from dist/{name}"


def test_a_crawl_two_links_deep_finds_no_server_error(quick_start: QuickStart) -> None:
    answers = crawl(quick_start.url, depth=2)
    assert len(answers) > 10, f"the crawl found only {sorted(answers)}"
    failures = {
        url: f"{answer.status} {answer.body[:200]!r}"
        for url, answer in answers.items()
        if answer.status >= 500
    }
    assert not failures, f"server errors: {failures}"
    dist = quick_start.clone / "dist"
    downloads = [url for url in answers if "/download/" in url]
    assert downloads
    for url in downloads:
        name = urllib.parse.unquote(url.rsplit("/download/", 1)[1].split("?")[0])
        assert answers[url].status == 200, f"{url}: {answers[url].status}"
        assert answers[url].body == (dist / name).read_bytes(), f"{url} != dist/{name}"
    # every page that answered is one a user can reach: nothing but 2xx, 3xx and 404s of
    # links to IRIs outside the release
    kinds = {answer.status // 100 for answer in answers.values()}
    assert kinds <= {2, 3, 4}, kinds
