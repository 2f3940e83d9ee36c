"""``defkg preview``: rebuild when the project changes and serve the last good release.

A curator edits ``data/``, ``ontology/`` or ``shapes/``; the preview notices (it polls file
modification times, so it needs no extra package and works on every file system), rebuilds
with :func:`defkg.pipeline.build.build`, and when the build passes restarts ``defkg serve`` on the
new
release. When a build fails, the server keeps serving the previous release and the error (the
findings with their file, line and fix) is noted beside the release, where the home page
shows it (:func:`defkg.release.record_build_error`); a passing build removes the note.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from defkg import release
from defkg.config import Settings
from defkg.errors import DefkgError

log = logging.getLogger("defkg.preview")

#: The project folders whose changes trigger a rebuild.
WATCHED = ("data", "ontology", "shapes")

Snapshot = dict[str, tuple[int, int]]


def snapshot(settings: Settings) -> Snapshot:
    """Every watched file with its modification time and size (hidden and temp files skipped)."""
    files: Snapshot = {}
    for folder in WATCHED:
        top = settings.root / folder
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            rel = path.relative_to(settings.root)
            if any(part.startswith(".") for part in rel.parts) or path.name.endswith(
                (".partial", "~", ".swp", ".tmp")
            ):
                continue  # editors' and add-source's temp files: wait for the real file
            try:
                stat = path.stat()
            except OSError:
                continue  # removed while we looked
            if path.is_file():
                files[str(rel)] = (stat.st_mtime_ns, stat.st_size)
    return files


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    """The files added, removed or modified between two snapshots, sorted."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    message: str  #: one line for the console
    error: str | None = None  #: the full error text (findings, file:line) when it failed


def rebuild(settings: Settings, *, quiet: bool = False) -> BuildResult:
    """Build the release; on failure record the error for the home page and keep the old one.

    A failing build never touches the release directory (publishing is the last, atomic step).
    """
    from defkg.pipeline.build import build

    try:
        published = build(settings, quiet=quiet)
    except DefkgError as error:
        report = getattr(error, "report", "")
        text = (
            f"The last build, at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC, failed; "
            "the previous release is still served.\n\n"
            + (report.rstrip() + "\n\n" if report else "")
            + f"{error}\n"
        )
        release.record_build_error(settings.dist, text)
        return BuildResult(False, f"build failed: {error}", text)
    except Exception as error:  # a bug must not stop the preview; the curator sees it
        text = f"The last build crashed ({type(error).__name__}: {error}); please report it.\n"
        release.record_build_error(settings.dist, text)
        log.exception("build crashed")
        return BuildResult(False, f"build crashed: {error}", text)
    release.clear_build_error(settings.dist)
    return BuildResult(True, f"release published in {published}")


class Preview:
    """Watch, rebuild, and (re)start ``defkg serve`` on each good release."""

    def __init__(self, settings: Settings, *, interval: float = 1.0, settle: float = 0.3) -> None:
        self.settings = settings
        self.interval = interval
        self.settle = settle
        self.server: subprocess.Popen[bytes] | None = None
        self.stop_event = threading.Event()
        self.builds = 0  #: builds attempted (for tests and the console)

    # --- the server ---------------------------------------------------------------------------

    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}/"

    def _serve_args(self) -> list[str]:
        s = self.settings
        return [
            sys.executable, "-c", "from defkg.cli import main; main()", "serve",
            "--root", str(s.root), "--dist", str(s.dist), "--host", s.host,
            "--port", str(s.port), "--base", s.base, "--store", "embedded",
        ]  # fmt: skip

    def start_server(self, timeout: float = 90.0) -> None:
        """Start ``defkg serve`` on the release and wait until it answers /healthz."""
        self.stop_server()
        # Its own session, so stopping it also stops gunicorn's worker and the query workers.
        self.server = subprocess.Popen(self._serve_args(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_event.is_set():
            if self.server.poll() is not None:
                raise DefkgError(f"the server stopped at start-up (exit {self.server.returncode})")
            try:
                with urllib.request.urlopen(self.url() + "healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise DefkgError(f"the server did not answer at {self.url()} within {timeout:.0f} s")

    def stop_server(self) -> None:
        server, self.server = self.server, None
        if server is None or server.poll() is not None:
            return
        try:
            os.killpg(server.pid, signal.SIGTERM)  # the session we started, nothing else
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)

    # --- the loop -----------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        print(f"defkg preview: {text}", file=sys.stderr, flush=True)

    def build_and_serve(self) -> BuildResult:
        """One round: build; on success (re)start the server, else keep the old one serving."""
        self.builds += 1
        result = rebuild(self.settings)
        if result.error:
            print(result.error, file=sys.stderr, flush=True)
        self._say(result.message)
        try:
            if result.ok:
                self.start_server()
                self._say(f"serving the new release at {self.url()}")
            elif self.server is None and release.Release.present(self.settings.dist):
                self.start_server()
                self._say(f"serving the previous release at {self.url()}; fix the error above")
            elif self.server is None:
                self._say("nothing to serve yet: fix the error above and save")
        except DefkgError as error:
            self._say(f"cannot serve: {error}; still watching")
        return result

    def wait_until_quiet(self, current: Snapshot) -> Snapshot:
        """Editors write files in steps: wait until two snapshots agree."""
        while not self.stop_event.wait(self.settle):
            later = snapshot(self.settings)
            if later == current:
                return later
            current = later
        return current

    def handle_signals(self) -> None:
        """`kill` (SIGTERM) stops the preview like Ctrl-C: the server goes down with it.

        The build's worker processes do not keep this handler (see
        :mod:`defkg.pipeline.parallel`): in them SIGTERM must end the process.
        """
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.stop())

    def run(self) -> None:
        """Build, serve, then rebuild on every change until :meth:`stop` (or Ctrl-C)."""
        self.handle_signals()
        folders = ", ".join(f"{f}/" for f in WATCHED)
        self._say(f"watching {folders} of {Path(self.settings.root).resolve()}")
        last = snapshot(self.settings)
        try:
            self.build_and_serve()
            while not self.stop_event.wait(self.interval):
                now = snapshot(self.settings)
                if now != last:
                    now = self.wait_until_quiet(now)
                    if self.stop_event.is_set():
                        break
                    self._say("changed: " + ", ".join(changed_files(last, now)))
                    last = now
                    self.build_and_serve()
                elif self.server is not None and self.server.poll() is not None:
                    self._say("the server stopped; starting it again")
                    self.start_server()
        finally:
            self.stop_server()

    def stop(self) -> None:
        self.stop_event.set()
