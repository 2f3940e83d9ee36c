"""Syntax errors are reported at the exact line and column, whatever the text before them.

rdflib counted columns in UTF-8 bytes while calling them characters (an en dash or a curly
apostrophe earlier in the file moved every position after it) and pointed past the offending
token. Each case writes non-ASCII text (an en dash, a curly apostrophe) before an error into
one kind of file, runs the real `defkg validate` and expects the line and column, in
characters, where the error starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DASH, APOSTROPHE = "\u2013", "\u2019"

#: a statement with non-ASCII text, then the error; ``@`` marks where the error starts
ERRORS = {
    "missing dot": (
        f'<http://example.org/x> <http://example.org/p> "a {DASH} b{APOSTROPHE}s" ,\n'
        f'    "it{APOSTROPHE}s {DASH} here"\n'
        '@<http://example.org/z> <http://example.org/p> "w" .\n'
    ),
    "unknown prefix": (
        f'<http://example.org/x> <http://example.org/p> "{DASH} {APOSTROPHE}" , @nope:y .\n'
    ),
    "bad token": f'<http://example.org/x> <http://example.org/p> "{DASH}{APOSTROPHE}" , @] .\n',
}

#: one file of each kind the loader parses, in the tiny project
FILES = ("data/report-1.ttl", "data/report-2.trig", "ontology/defkg.ttl", "shapes/shapes.ttl")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column, in characters, of ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("error", sorted(ERRORS))
def test_a_syntax_error_is_reported_where_it_starts(
    tiny_project: Path, tmp_path: Path, name: str, error: str
) -> None:
    path = tiny_project / name
    original = path.read_text(encoding="utf-8")
    # non-ASCII text in a comment above, too: every character before the error counts once
    comment = f"# a comment {DASH} with {APOSTROPHE} curly quotes\n"
    text = original.rstrip("\n") + "\n" + comment + ERRORS[error]
    offset = len(text) - len(ERRORS[error]) + ERRORS[error].index("@")
    text = text[:offset] + text[offset + 1 :]
    path.write_text(text, encoding="utf-8")
    line, column = position(text, offset)

    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "validate"],
        cwd=tiny_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert f"defkg: {name}:{line}:{column}: syntax error: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_prefix_is_named(tiny_project: Path) -> None:
    path = tiny_project / "data" / "report-1.ttl"
    path.write_text(path.read_text(encoding="utf-8") + ERRORS["unknown prefix"].replace("@", ""))
    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "validate"],
        cwd=tiny_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "unknown prefix 'nope:' (declare it with @prefix)" in done.stderr, done.stderr


def test_a_shacl_finding_is_shown_at_the_offending_triple(tiny_project: Path) -> None:
    """Not at the subject's first line, which may be far above it: at the triple's own."""
    path = tiny_project / "data" / "report-1.ttl"
    block = (
        "kg:many-figures a :Activity ;\n"
        '    rdfs:label "many figures"@en ;\n'
        f'    rdfs:comment "{DASH} four figures where three at most are allowed"@en ;\n'
        "    :figure 1 , 2 ,\n"
        "        3 , 4 .\n"
    )
    text = path.read_text(encoding="utf-8") + "\n" + block
    path.write_text(text, encoding="utf-8")
    start = len(text) - len(block)
    line, _column = position(text, start + block.index("    :figure 1"))
    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "validate"],
        cwd=tiny_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"data/report-1.ttl:{line}: Warning: kg:many-figures" in done.stderr, done.stderr
    # a missing triple has no line of its own: the finding stays at the subject's
    subject_line, _ = position(text, start)
    path.write_text(text.replace('    rdfs:label "many figures"@en ;\n', ""), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "validate"],
        cwd=tiny_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"data/report-1.ttl:{subject_line}: Violation: kg:many-figures" in done.stderr
