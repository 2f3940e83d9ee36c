"""The `defkg build`, `validate` and `query` commands, run as a user runs them (subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from defkg import __version__


def defkg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real `defkg` command line in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def cli_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project built once by `defkg build`, for the query tests."""
    from conftest import write_tiny_project

    base = tmp_path_factory.mktemp("cli-release")
    root = write_tiny_project(base / "project")
    done = defkg("build", "--quiet", "--root", str(root), "--out", str(base / "dist"), cwd=base)
    assert done.returncode == 0, done.stderr
    return base / "dist"


def test_help_and_version(tmp_path: Path) -> None:
    from defkg.cli import main

    commands = sorted(main.commands)
    assert {"build", "validate", "query", "serve", "publish", "add-source", "suggest"} <= set(
        commands
    )
    for command in commands:
        done = defkg(command, "--help", cwd=tmp_path)
        assert done.returncode == 0, command
        assert f" {command} [OPTIONS]" in done.stdout
        assert "--root" in done.stdout or command in ("query", "publish")
    assert "--format" in defkg("query", "--help", cwd=tmp_path).stdout
    done = defkg("--version", cwd=tmp_path)
    assert done.returncode == 0 and __version__ in done.stdout


def test_build_reports_progress_and_quiet_silences_it(tiny_project: Path, tmp_path: Path) -> None:
    done = defkg("build", "--root", str(tiny_project), "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for stage in ("load:", "reason:", "validate:", "publish:"):
        assert f"defkg: {stage}" in done.stderr
    assert "4 graphs" in done.stderr
    quiet = defkg(
        "build", "--quiet", "--root", str(tiny_project), "--out", str(tmp_path / "q"), cwd=tmp_path
    )
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_build_in_the_current_directory_writes_dist(tiny_project: Path) -> None:
    done = defkg("build", "--quiet", cwd=tiny_project)
    assert done.returncode == 0, done.stderr
    assert (tiny_project / "dist" / "SHA256SUMS").is_file()


BROKEN = {
    "syntax error": (
        "data/report-1.ttl",
        lambda text: text.replace(
            'rdfs:label "UNIFIL, 2023"@en ;', 'rdfs:label "UNIFIL, 2023"@en ;;;,'
        ),
        2,
        "data/report-1.ttl:12:",
    ),
    "unknown prefix": (
        "data/report-2.trig",
        lambda text: text.replace(":country kg:lebanon", "nope:country kg:lebanon"),
        2,
        "data/report-2.trig:7:",
    ),
    "violation": (
        "data/report-1.ttl",
        lambda text: text + "\nkg:nameless a :Mission .\n",
        1,
        "report-1.ttl:22: Violation: kg:nameless path=rdfs:label",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_project_exits_and_keeps_the_release(
    case: str, tiny_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    assert (
        defkg(
            "build", "-q", "--root", str(tiny_project), "--out", str(out), cwd=tmp_path
        ).returncode
        == 0
    )
    before = snapshot(out)
    name, edit, code, where = BROKEN[case]
    path = tiny_project / name
    path.write_text(edit(path.read_text()))
    done = defkg("build", "-q", "--root", str(tiny_project), "--out", str(out), cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert where in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(out) == before
    validated = defkg("validate", "-q", "--root", str(tiny_project), cwd=tmp_path)
    assert validated.returncode == code and where in validated.stderr


def test_unknown_prefix_message_names_the_prefix(tiny_project: Path, tmp_path: Path) -> None:
    path = tiny_project / "data" / "report-2.trig"
    path.write_text(path.read_text().replace(":country kg:lebanon", "nope:country kg:lebanon"))
    done = defkg("validate", "--root", str(tiny_project), cwd=tmp_path)
    assert done.returncode == 2
    # files are named as seen from the working directory, as linters and compilers name them
    shown = path.relative_to(tmp_path)
    assert f"defkg: {shown}:7:64: syntax error: unknown prefix 'nope:'" in done.stderr


def built(tiny_project: Path, out: Path) -> dict[str, bytes]:
    """Build the tiny project into ``out``; the release's files."""
    done = defkg("build", "-q", "--root", str(tiny_project), "--out", str(out), cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return snapshot(out)


def test_empty_data_folder(tiny_project: Path, tmp_path: Path) -> None:
    before = built(tiny_project, tmp_path / "d")
    for path in (tiny_project / "data").iterdir():
        path.unlink()
    (tiny_project / "data" / "notes.txt").write_text("not data\n")
    done = defkg("build", "--root", str(tiny_project), "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert done.returncode == 2
    assert "the data folder holds no .ttl or .trig file" in done.stderr
    assert snapshot(tmp_path / "d") == before


def test_missing_shapes_folder(tiny_project: Path, tmp_path: Path) -> None:
    before = built(tiny_project, tmp_path / "d")
    (tiny_project / "shapes" / "shapes.ttl").unlink()
    (tiny_project / "shapes").rmdir()
    done = defkg("build", "--root", str(tiny_project), "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert done.returncode == 2
    assert "defkg: project/shapes: the shapes folder is missing" in done.stderr  # from the cwd
    assert snapshot(tmp_path / "d") == before


def test_validate_writes_nothing(tiny_project: Path) -> None:
    before = sorted(p.relative_to(tiny_project) for p in tiny_project.rglob("*"))
    done = defkg("validate", cwd=tiny_project)
    assert done.returncode == 0, done.stderr
    assert "conforms" in done.stderr
    assert sorted(p.relative_to(tiny_project) for p in tiny_project.rglob("*")) == before


def test_query_table(cli_release: Path) -> None:
    query = "SELECT ?activity ?label WHERE { ?activity a defkg:Mission ; rdfs:label ?label }"
    done = defkg("query", query, "--dist", str(cli_release), cwd=cli_release.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["activity", "|", "label"]
    assert lines[2].split(" | ") == ["kg:unifil-2023", "UNIFIL, 2023"]
    assert lines[-1] == "(1 row)"


def test_query_default_graph_and_inferred(cli_release: Path) -> None:
    query = "SELECT ?a WHERE { ?a a defkg:Activity } ORDER BY ?a"
    plain = defkg("query", query, "--dist", str(cli_release), "--format", "csv", cwd=cli_release)
    inferred = defkg(
        "query", query, "--dist", str(cli_release), "--format", "csv", "--inferred", cwd=cli_release
    )
    rows = [r["a"] for r in csv.DictReader(io.StringIO(plain.stdout))]
    rows_inferred = [r["a"] for r in csv.DictReader(io.StringIO(inferred.stdout))]
    base = "https://w3id.org/defkg/id/"
    assert rows == [base + "exercise-1", base + "peacekeeping", base + "un-missions"]
    assert rows_inferred == sorted([*rows, base + "unifil-2023"])
    # the shapes are not in the default graph
    shapes = defkg(
        "query", "ASK { ?s a sh:NodeShape }", "--dist", str(cli_release), cwd=cli_release
    )
    assert shapes.stdout.strip() == "false"


def test_query_from_file_as_json(cli_release: Path, tmp_path: Path) -> None:
    (tmp_path / "count.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s owl:sameAs ?o }")
    done = defkg("query", "@count.rq", "--dist", str(cli_release), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["results"]["bindings"][0]["n"]["value"] == "2"


def test_query_construct_as_ntriples(cli_release: Path) -> None:
    done = defkg(
        "query",
        "CONSTRUCT { ?s owl:sameAs ?o } WHERE { ?s owl:sameAs ?o }",
        "--dist",
        str(cli_release),
        "--format",
        "nt",
        cwd=cli_release,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == [
        "<https://w3id.org/defkg/id/kazakhstan> <http://www.w3.org/2002/07/owl#sameAs> "
        "<http://www.wikidata.org/entity/Q232> .",
        "<https://w3id.org/defkg/id/lebanon> <http://www.w3.org/2002/07/owl#sameAs> "
        "<http://www.wikidata.org/entity/Q822> .",
    ]


def test_query_errors(cli_release: Path, tmp_path: Path) -> None:
    bad = defkg("query", "SELECT WHERE {", "--dist", str(cli_release), cwd=tmp_path)
    assert bad.returncode == 2 and "not valid SPARQL" in bad.stderr
    missing = defkg("query", "ASK {}", "--dist", str(tmp_path / "none"), cwd=tmp_path)
    assert missing.returncode == 2 and "no release here" in missing.stderr
    no_file = defkg("query", "@nowhere.rq", "--dist", str(cli_release), cwd=tmp_path)
    assert no_file.returncode == 2 and "nowhere.rq: no such query file" in no_file.stderr
    for done in (bad, missing, no_file):
        assert "Traceback" not in done.stderr


def test_a_bad_base_is_a_usage_error(tiny_project: Path) -> None:
    done = defkg("validate", "--base", "https://example.org/no-slash", cwd=tiny_project)
    assert done.returncode == 2
    assert "the base IRI must end with '/'" in done.stderr and "Traceback" not in done.stderr
