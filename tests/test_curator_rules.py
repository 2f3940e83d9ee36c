"""Curators' rules the build enforces (not only the test suite), through the real CLI.

A misspelt term of the ontology is an error naming the closest term; a property no shape
constrains is a warning naming it; a figure written in quotes is told as a literal of the wrong
datatype, whatever the shape's own message says. Each at the file, line (and column, for a
term) where it is written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT


def validate(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "validate"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )


def build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )


def where(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    return f"{text.count(chr(10), 0, offset) + 1}:{offset - line_start + 1}"


def test_a_misspelt_term_names_the_closest_one(tiny_project: Path) -> None:
    path = tiny_project / "data" / "report-1.ttl"
    text = path.read_text(encoding="utf-8")
    assert ":partOf kg:un-missions" in text
    text = text.replace(":partOf kg:un-missions", ":partOff kg:un-missions", 1)
    path.write_text(text, encoding="utf-8")
    done = build(tiny_project)
    assert done.returncode == 1, done.stderr
    at = where(text, text.index(":partOff"))
    expected = (
        f"data/report-1.ttl:{at}: Violation: defkg:partOff: "
        "not a term of the ontology: did you mean defkg:partOf?"
    )
    assert expected in done.stderr, done.stderr
    assert "nothing was published" in done.stderr
    assert not (tiny_project / "dist").exists()


def test_a_property_no_shape_constrains_is_a_warning(tiny_project: Path) -> None:
    path = tiny_project / "data" / "report-1.ttl"
    text = path.read_text(encoding="utf-8") + '\nkg:report-1 schema:alternativeHeadline "x"@en .\n'
    path.write_text(text, encoding="utf-8")
    done = build(tiny_project)
    assert done.returncode == 0, done.stderr  # a warning: the release is published
    at = where(text, text.index("schema:alternativeHeadline"))
    assert (
        f"data/report-1.ttl:{at}: Warning: schema:alternativeHeadline: "
        "no shape constrains schema:alternativeHeadline"
    ) in done.stderr, done.stderr
    # constrain it, and the warning goes
    shapes = tiny_project / "shapes" / "shapes.ttl"
    shapes.write_text(
        shapes.read_text(encoding="utf-8") + "\n@prefix schema: <https://schema.org/> .\n"
        "dksh:HeadlineShape a sh:NodeShape ; sh:targetSubjectsOf schema:alternativeHeadline ;\n"
        "    sh:property [ sh:path schema:alternativeHeadline ; sh:maxCount 1 ] .\n",
        encoding="utf-8",
    )
    assert "alternativeHeadline" not in validate(tiny_project).stderr


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    return tmp_path


def test_a_figure_in_quotes_is_told_as_a_wrong_datatype(seed_copy: Path) -> None:
    """The issue's case: "430" was told "a count cannot be negative"."""
    for path in sorted((seed_copy / "data").glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        count = re.search(r"defkg:numericValue (\d+) ;((?:\n[^\n]*){0,4}?)\n\s*defkg:countOf", text)
        if count:
            break
    else:
        pytest.skip("no count in the data")
    figure = count.group(1)
    text = text[: count.start(1)] + f'"{figure}"' + text[count.end(1) :]
    path.write_text(text, encoding="utf-8")
    done = validate(seed_copy)
    assert done.returncode == 1, done.stderr
    line = where(text, count.start(1)).split(":")[0]
    expected = f"data/{path.name}:{line}: Violation: "
    mentions = [row for row in done.stderr.splitlines() if row.strip().startswith(expected)]
    assert mentions, done.stderr
    for row in mentions:
        assert f'the value "{figure}" of defkg:numericValue is a string' in row, row
        assert "cannot be negative" not in row
