"""The build cache's keys cover every input of every stage: a cache never changes a release.

Each input is changed in turn, with the cache of the previous build in place: the versions of
the libraries that compute a stage (a pretended version, through the real `defkg build`), the
code of a stage (a copy of defkg whose reasoning draws nothing, whose curators' rules read
other predicates, or whose cross-source stage labels its figures otherwise, first on
PYTHONPATH), and the output of the stage another reads
(validate reads reason's inferences; derive reads them only to leave out what they hold, after
its cache). Each time, the stages that depend on the input run again (their cache entries are
new) and the others do not, and the outcome is what a build without a cache gives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from defkg.pipeline.cache import STAGE_LIBRARIES

#: the stages whose results are cached, by their folder in .defkg-cache/
CACHED_STAGES = ("load", "reason", "validate", "rules", "derive", "publish")
PROJECT_FOLDERS = ("ontology", "data", "shapes", "queries")


def run_build(
    clone: Path, *, pretend: str | None = None, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`defkg build` in ``clone``; ``pretend``: the library whose version is pretended new."""
    prologue = ""
    if pretend:
        prologue = (
            "import importlib.metadata as m; real = m.version; "
            f"m.version = lambda n: '999.0.pretend' if n == {pretend!r} else real(n); "
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", prologue + "from defkg.cli import main; main()", "build"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def entries(clone: Path) -> dict[str, set[str]]:
    """The cache entries of each stage."""
    folder = clone / ".defkg-cache"
    return {stage: {p.name for p in (folder / stage).glob("*.pickle")} for stage in CACHED_STAGES}


def release(clone: Path) -> dict[str, bytes]:
    dist = clone / "dist"
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in files}


def copy_project(target: Path) -> Path:
    for folder in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_ROOT / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = copy_project(tmp_path_factory.mktemp("cache-keys") / "clone")
    done = run_build(clone)
    assert done.returncode == 0, done.stderr
    return clone


@pytest.fixture(scope="module")
def uncached(clone: Path) -> dict[str, bytes]:
    """The release a build without any cache publishes (the clone's first build had none)."""
    return release(clone)


@pytest.mark.parametrize("library", ["rdflib", "owlrl", "pyshacl", "pyld"])
def test_a_new_library_version_runs_its_stages_again(
    clone: Path, uncached: dict[str, bytes], library: str
) -> None:
    before = entries(clone)
    warm = run_build(clone)  # nothing changed: every stage from the cache
    assert warm.returncode == 0, warm.stderr
    assert entries(clone) == before
    done = run_build(clone, pretend=library)
    assert done.returncode == 0, done.stderr
    after = entries(clone)
    for stage in CACHED_STAGES:
        if library in STAGE_LIBRARIES[stage]:
            assert after[stage] and not after[stage] & before[stage], f"{stage} reused its cache"
        else:
            assert after[stage] == before[stage], f"{stage} ran again for {library}"
    assert release(clone) == uncached
    # and back: the real version's entries were pruned, so the stages run once more
    assert run_build(clone).returncode == 0
    assert release(clone) == uncached


def test_the_store_is_loaded_anew_for_a_new_pyoxigraph(tmp_path: Path) -> None:
    code = (
        "import sys, importlib.metadata as m; real = m.version\n"
        "if sys.argv[1:]: m.version = lambda n: '999.0' if n == 'pyoxigraph' else real(n)\n"
        "from pathlib import Path; from defkg.store.embedded import store_path_for\n"
        f"print(store_path_for(Path({str(tmp_path)!r})))\n"
    )
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  defkg.trig\n")
    (tmp_path / "defkg.trig").write_text("")  # a release holds both
    paths = {
        subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        ).stdout
        for args in ([], ["pretend"])
    }
    assert len(paths) == 2


def _defkg_edited(target: Path, module: str, old: str, new: str) -> Path:
    """A copy of defkg under ``target`` whose ``pipeline/<module>.py`` has ``old`` replaced by
    ``new`` (a change to that stage's code); ``target`` goes on PYTHONPATH."""
    package = target / "defkg"
    shutil.copytree(
        PROJECT_ROOT / "server" / "defkg", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    source = package / "pipeline" / f"{module}.py"
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{module}.py no longer holds {old!r}: update this test's edit"
    source.write_text(text.replace(old, new), encoding="utf-8")
    return target


@dataclass
class EditedBuilds:
    """A stage's code edited: the cache entries a build with the code as it is left
    (``before``), the edited code's build over that cache (``warm``, then ``after``), and its
    build of a copy of the project without a cache (``cold``, in ``fresh``)."""

    before: dict[str, set[str]]
    warm: subprocess.CompletedProcess
    after: dict[str, set[str]]
    fresh: Path
    cold: subprocess.CompletedProcess


def _built_by_edited_code(
    clone: Path, tmp_path: Path, edit: Callable[[Path], Path]
) -> EditedBuilds:
    code = edit(tmp_path / "code")
    assert run_build(clone).returncode == 0
    before = entries(clone)
    warm = run_build(clone, pythonpath=code)
    after = entries(clone)
    fresh = copy_project(tmp_path / "fresh")
    return EditedBuilds(before, warm, after, fresh, run_build(fresh, pythonpath=code))


def _reasoning_that_draws_nothing(target: Path) -> Path:
    """A copy of defkg whose OWL RL closure adds nothing: a change to reason's code."""
    closing = "    return {t for t in work if t not in graph and not is_trivial(t)}\n"
    return _defkg_edited(target, "reason", closing, "    return set()\n")


def test_changed_reasoning_code_is_validated_anew(clone: Path, tmp_path: Path) -> None:
    """The issue's case: a warm cache published what the same code, uncached, refuses."""
    builds = _built_by_edited_code(clone, tmp_path, _reasoning_that_draws_nothing)
    before, after, warm, cold = builds.before, builds.after, builds.warm, builds.cold
    assert not after["reason"] & before["reason"], "reason reused entries of other code"
    assert not after["validate"] & before["validate"], "validate reused findings on other input"
    assert after["load"] == before["load"]
    assert (warm.returncode, _findings(warm.stderr)) == (cold.returncode, _findings(cold.stderr))
    if cold.returncode == 0:
        assert release(clone) == release(builds.fresh)
    # the last good release stays in place when the build fails
    assert (clone / "dist" / "SHA256SUMS").is_file()


def _findings(stderr: str) -> list[str]:
    """What a build said, without its timings and the paths of its folders."""
    return [
        line
        for line in stderr.splitlines()
        if not line.startswith("defkg: ") or "violation" in line or "nothing was" in line
    ]


def _derive_labelled_otherwise(target: Path) -> Path:
    """A copy of defkg whose cross-source stage labels a breakdown's total otherwise: a change
    to derive's code that changes what it publishes."""
    label = '" (computed by defkg from the parts)"'
    return _defkg_edited(target, "derive", label, '" (the sum of its parts)"')


def test_changed_derive_code_derives_anew(clone: Path, tmp_path: Path) -> None:
    """The cross-source stage's entries follow its code: a warm cache made by other code is
    not read, and the release is what the new code gives without a cache."""
    builds = _built_by_edited_code(clone, tmp_path, _derive_labelled_otherwise)
    before, after = builds.before, builds.after
    assert builds.warm.returncode == 0, builds.warm.stderr
    assert after["derive"] and not after["derive"] & before["derive"], "derive reused its cache"
    for stage in ("load", "reason", "validate"):
        assert after[stage] == before[stage], f"{stage} ran again for derive's code"
    assert builds.cold.returncode == 0, builds.cold.stderr
    assert release(clone) == release(builds.fresh)
    assert b"(the sum of its parts)" in release(clone)["defkg.nq"]


def _rules_reading_other_predicates(target: Path) -> Path:
    """A copy of defkg whose curators' rules read every predicate under another name (which no
    shape constrains): a change to the rules' code that changes what a build says."""
    kept = "tuple(sorted(p[1:-1] for p in predicates))"
    return _defkg_edited(target, "rules", kept, 'tuple(sorted(p[1:-1] + "-x" for p in predicates))')


def test_changed_rules_code_reads_the_graphs_anew(clone: Path, tmp_path: Path) -> None:
    """The curators' rules' entries (the terms each graph uses) follow their code: a warm
    cache made by other code is not read, and the build says what the new code says without a
    cache."""
    builds = _built_by_edited_code(clone, tmp_path, _rules_reading_other_predicates)
    before, after, warm = builds.before, builds.after, builds.warm
    assert warm.returncode == 0, warm.stderr
    assert after["rules"] and not after["rules"] & before["rules"], "rules reused its cache"
    for stage in ("load", "reason", "validate", "derive", "publish"):
        assert after[stage] == before[stage], f"{stage} ran again for the rules' code"
    assert builds.cold.returncode == 0, builds.cold.stderr
    assert _findings(warm.stderr) == _findings(builds.cold.stderr)
    assert "-x: no shape constrains" in warm.stderr
    assert release(clone) == release(builds.fresh)
