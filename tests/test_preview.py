"""`defkg preview`: rebuild on change, keep serving the last good release, show the error."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import free_port, http_fetch
from curating_guide import guide_block, guide_command
from defkg.cli import main
from defkg.config import Settings
from defkg.preview import Preview, changed_files, rebuild, snapshot
from defkg.release import build_error_path, read_build_error

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


# --- watching and rebuilding, without a server -------------------------------------------------


def test_snapshot_sees_edits_and_ignores_temp_files(tiny_project: Path) -> None:
    settings = Settings(root=tiny_project)
    before = snapshot(settings)
    assert "data/report-1.ttl" in before and "shapes/shapes.ttl" in before
    (tiny_project / "data" / ".report-3.ttl.abc.partial").write_text("half", encoding="utf-8")
    (tiny_project / "data" / "notes.ttl~").write_text("backup", encoding="utf-8")
    assert snapshot(settings) == before
    path = tiny_project / "data" / "report-1.ttl"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    (tiny_project / "ontology" / "extra.ttl").write_text("", encoding="utf-8")
    assert changed_files(before, snapshot(settings)) == ["data/report-1.ttl", "ontology/extra.ttl"]


def test_a_failed_build_is_recorded_and_a_good_one_clears_it(tiny_project: Path) -> None:
    settings = Settings(root=tiny_project, dist=tiny_project.parent / "dist")
    assert rebuild(settings, quiet=True).ok
    release = (settings.dist / "SHA256SUMS").read_bytes()
    broken = tiny_project / "data" / "broken.ttl"
    broken.write_text("kgg:typo a kgg:Thing .\n", encoding="utf-8")
    result = rebuild(settings, quiet=True)
    assert not result.ok
    message = read_build_error(settings.dist)
    assert message is not None and f"{broken}:1:1:" in message
    assert build_error_path(settings.dist).parent.name == ".defkg-cache"
    assert (settings.dist / "SHA256SUMS").read_bytes() == release  # the old release is intact
    # A release published later by another command makes the recorded failure old news.
    from defkg.pipeline.build import build

    broken.unlink()
    build(settings, quiet=True)
    assert build_error_path(settings.dist).exists() and read_build_error(settings.dist) is None
    assert rebuild(settings, quiet=True).ok
    assert not build_error_path(settings.dist).exists()


# --- the preview over real HTTP -----------------------------------------------------------------


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    """A copy of the real project, previewed on a free port in a background thread."""
    root = tmp_path / "project"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / folder, root / folder)
    settings = Settings(root=root, dist=tmp_path / "dist", port=free_port())
    watcher = Preview(settings, interval=0.2, settle=0.2)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(60)
    assert not thread.is_alive()
    assert watcher.server is None


def test_preview_serves_keeps_the_last_good_release_and_picks_up_a_new_source(
    preview: Preview,
) -> None:
    settings = preview.settings
    url = preview.url()
    seed_page = url + "id/kz-mod-2023-12-27.html"

    def answers(target: str) -> bool:
        try:
            return http_fetch("GET", target, timeout=10).status == 200
        except OSError:
            return False

    wait_for(lambda: answers(seed_page), "the first release to be served")
    first_builds = preview.builds

    # A syntax error: the build fails, the error is recorded, the old release is still served.
    broken = settings.root / "data" / "broken.ttl"
    broken.write_text("@prefix kg: <https://w3id.org/defkg/id/> .\nkgg:typo a kg:x .\n", "utf-8")
    wait_for(lambda: read_build_error(settings.dist) is not None, "the failed build's error")
    assert f"{broken}:2:1:" in (read_build_error(settings.dist) or "")
    assert preview.builds > first_builds
    assert http_fetch("GET", seed_page).status == 200
    home = http_fetch("GET", url)
    assert home.status == 200 and "The latest build failed" in home.text
    assert f"{broken}:2:1:" in home.text

    # Fix it by following the guide: the second report is added and served once it builds.
    broken.unlink()
    args = guide_command("add-source")
    args[1] = str(ROOT / args[1])
    added = CliRunner().invoke(main, [*args, "--root", str(settings.root)])
    assert added.exit_code == 0, added.output
    slug = args[args.index("--slug") + 1]
    with (settings.root / "data" / f"{slug}.ttl").open("a", encoding="utf-8") as handle:
        handle.write("\n" + guide_block("facts"))
    new_page = url + f"id/{slug}.html"
    wait_for(lambda: answers(new_page), "the new source's page")
    fact_page = url + "id/sample-2024-flood-relief.html"
    wait_for(lambda: answers(fact_page), "the new source's facts")
    assert read_build_error(settings.dist) is None
    assert "The latest build failed" not in http_fetch("GET", url).text
    assert "flood relief in the Zhambyl Region" in http_fetch("GET", fact_page).text


#: preview's signal handling installed, then its rebuild run again and again with a cold cache,
#: so that every stage fans out to forked workers (two of them even on one CPU)
_REBUILDS = """
import shutil, sys, time
from pathlib import Path
from defkg.config import Settings
from defkg.pipeline.cache import cache_dir
from defkg.preview import Preview, rebuild

settings = Settings(root=Path(sys.argv[1]), dist=Path(sys.argv[2]), build_workers=2)
Preview(settings).handle_signals()
for round in range(int(sys.argv[3])):
    shutil.rmtree(cache_dir(settings), ignore_errors=True)
    start = time.monotonic()
    result = rebuild(settings, quiet=True)
    assert result.ok, result.message
    print(round, f"{time.monotonic() - start:.1f}s", flush=True)
"""


def test_twenty_rebuilds_in_a_row_never_hang(tiny_project: Path, tmp_path: Path) -> None:
    """The forked workers of a build inherited preview's SIGTERM handler, so the pool's
    terminate never ended them and `defkg preview` hung on its first build."""
    rounds = 20
    command = [sys.executable, "-c", _REBUILDS, str(tiny_project), str(tmp_path / "dist")]
    process = subprocess.Popen(
        [*command, str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a hung run's workers can be ended with it
    )
    try:
        out, err = process.communicate(timeout=rounds * 30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"a rebuild hung; rounds done:\n{out}")
    assert process.returncode == 0, err
    assert len(out.splitlines()) == rounds
