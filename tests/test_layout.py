"""The code's shape, as docs/architecture.md states it: which part may import which, so that the
release stays the seam between the write side and the read side."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "defkg"


def imports_of(path: Path) -> set[str]:
    """Every defkg module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("defkg")}


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


#: (the modules, what they must not import, what they may import of it all the same)
RULES = [
    # the read side serves a release: it never runs the build, the preview or the server
    ("web", ("defkg.pipeline", "defkg.preview", "defkg.serve", "defkg.cli"), ()),
    ("store", ("defkg.web", "defkg.pipeline.build", "defkg.preview", "defkg.cli"), ()),
    # the validator finds; curate/ words the findings for people
    ("pipeline/validate.py", ("defkg.curate",), ()),
    ("curate", ("defkg.web", "defkg.store"), ()),
    # the app factory registers the views; the views never reach back into it
    ("web/sparql.py", ("defkg.web.app",), ()),
    ("web/pages", ("defkg.web.app",), ()),
]  # fmt: skip


@pytest.mark.parametrize(("where", "forbidden", "allowed"), RULES, ids=[r[0] for r in RULES])
def test_imports_go_one_way(where: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]):
    paths = [PACKAGE / where] if where.endswith(".py") else modules_under(where)
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in paths
        for name in imports_of(path)
        if name.startswith(forbidden) and not name.startswith(allowed)
    }
    assert not wrong, sorted(wrong)


def test_only_the_release_module_names_the_checksum_file() -> None:
    """Reading SHA256SUMS, checking it or deciding that a folder holds a release is
    defkg.release's; every other module asks it (formats.py only says its media type)."""
    naming = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if '"SHA256SUMS"' in path.read_text(encoding="utf-8")
    ]
    assert sorted(naming) == ["formats.py", "release.py"]


def test_the_store_protocol_is_all_the_web_layer_asks_of_a_store() -> None:
    for path in modules_under("web"):
        text = path.read_text(encoding="utf-8")
        assert "RemoteStore" not in text and "EmbeddedStore" not in text, path.name
        assert "__dict__" not in text, path.name
