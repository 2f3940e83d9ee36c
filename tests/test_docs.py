"""The manual: a short README as the front door, docs/ for the rest, and the pages generated
from the code (every command, every setting) current."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from defkg import docgen
from defkg.cli import main
from defkg.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def test_the_readme_is_a_front_door_of_at_most_6000_characters() -> None:
    assert len(README.read_text(encoding="utf-8")) <= 6000


@pytest.mark.parametrize("path", sorted(docgen.pages()), ids=lambda p: p.name)
def test_the_generated_pages_are_current(path: Path) -> None:
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    assert current == docgen.pages()[path], f"{path.name} is stale: run python -m defkg.docgen"


def test_every_setting_is_documented_with_its_variable_and_what_it_is() -> None:
    documented = {doc.name: doc for doc in docgen.setting_docs()}
    assert set(documented) == {f.name for f in fields(Settings)}
    undocumented = [name for name, doc in documented.items() if not doc.comment]
    assert not undocumented, f"give these fields of Settings a #: comment: {undocumented}"
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    for doc in documented.values():
        assert f"| `{doc.variable}` |" in page


def test_every_command_is_documented_with_its_options() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"## defkg {name}\n" in page
        for parameter in command.params:
            for option in getattr(parameter, "opts", []):
                if option.startswith("-"):
                    assert option in page, f"defkg {name} {option}"


def markdown_pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.name} links {target}"


def test_every_page_of_the_manual_is_reachable_from_its_contents() -> None:
    """docs/index.md is the manual's contents: every page of docs/ is linked from it, or from
    a page it links; the README links the contents."""
    assert "](docs/index.md)" in README.read_text(encoding="utf-8")
    reached, todo = set(), [DOCS / "index.md"]
    while todo:
        page = todo.pop()
        if page in reached or not page.is_file():
            continue
        reached.add(page)
        text = page.read_text(encoding="utf-8")
        todo += [(page.parent / t).resolve() for t in re.findall(r"\]\(([^)#\s]+\.md)", text)]
    missing = sorted(p.name for p in DOCS.glob("*.md") if p.resolve() not in reached)
    assert not missing, f"link these pages from docs/index.md: {missing}"
