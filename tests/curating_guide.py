"""Read the walk-through of docs/curating.md, so the tests run exactly what the guide says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "curating.md"


def guide_block(name: str) -> str:
    """The fenced block that follows ``<!-- walkthrough:{name} -->`` in the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(rf"<!-- walkthrough:{re.escape(name)} -->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"docs/curating.md has no walkthrough:{name} block"
    return match.group(1)


def guide_command(name: str) -> list[str]:
    """The ``defkg …`` command of a walk-through block, as arguments after ``defkg``."""
    words = shlex.split(guide_block(name).replace("\\\n", " "))
    assert words[0] == "defkg", words
    return words[1:]
