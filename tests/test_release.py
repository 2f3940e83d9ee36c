"""The release as one module knows it: its files, SHA256SUMS, key and tag, its example queries,
"no release here", and a server that needs nothing but the release."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, http_fetch, start_server
from defkg.errors import InputError
from defkg.release import (
    QUERIES,
    SUMS,
    TRIG,
    NoRelease,
    Release,
    checksums,
    parse_checksums,
    read_examples,
)


def test_checksums_are_written_and_read_back_alike() -> None:
    files = {"b.txt": b"two", "a.txt": b"one", f"{QUERIES}/q.rq": b"ASK {}"}
    text = checksums(files).decode("ascii")
    assert text.splitlines()[0].endswith("  a.txt")  # sorted by name, sha256sum's layout
    assert parse_checksums(text) == {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    assert parse_checksums(f"{'A' * 64} *binary.name\n") == {"binary.name": "a" * 64}


def test_a_folder_without_a_release_says_so(tmp_path: Path) -> None:
    assert not Release.present(tmp_path)
    with pytest.raises(NoRelease, match=r"no release here \(run `defkg build` first\)"):
        Release.open(tmp_path)
    (tmp_path / SUMS).write_text("")
    assert not Release.present(tmp_path)  # checksums alone are no release: no defkg.trig
    with pytest.raises(NoRelease, match=rf"{TRIG}: no release here"):
        Release.open(tmp_path)


def test_the_build_ships_the_projects_example_queries(built_release: Path) -> None:
    release = Release.open(built_release)
    project = sorted((PROJECT_ROOT / "queries").glob("*.rq"))
    assert project, "the project has example queries"
    for path in project:
        shipped = release.path(f"{QUERIES}/{path.name}")
        assert shipped.read_bytes() == path.read_bytes()
        assert (
            release.checksums[f"{QUERIES}/{path.name}"]
            == hashlib.sha256(path.read_bytes()).hexdigest()
        )
    assert release.examples() == read_examples(PROJECT_ROOT / "queries")


def test_key_and_tag_name_the_checksums_and_verify_refuses_an_edited_file(
    built_release: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(built_release, tmp_path / "dist"))
    release = Release.open(copy)
    digest = hashlib.sha256((copy / SUMS).read_bytes()).hexdigest()
    assert (release.key, release.tag) == (digest[:16], digest[:20])
    release.verify(TRIG)
    with (copy / TRIG).open("ab") as handle:
        handle.write(b"\n")
    with pytest.raises(InputError, match="does not match"):
        release.verify(TRIG)


def test_a_server_needs_nothing_but_the_release(built_release: Path, tmp_path: Path) -> None:
    """Served from a folder with no project beside it, the query UI still offers the
    release's example queries."""
    dist = Path(shutil.copytree(built_release, tmp_path / "elsewhere" / "dist"))
    assert not (dist.parent / "queries").exists()
    server = start_server(dist, tmp_path / "server.log")
    try:
        page = http_fetch("GET", server.url + "sparql", headers={"Accept": "text/html"})
    finally:
        server.stop()
    assert page.status == 200
    for example in Release.open(dist).examples():
        assert example.name in page.text, example.name
