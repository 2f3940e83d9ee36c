"""The release: the one place that knows what a release directory holds and how to read it.

The build writes a release (:func:`write_release`, all of it or nothing); ``serve``, ``query``,
``publish --to`` and ``preview`` read one (:meth:`Release.open`). Nothing else opens the
release directory. A release holds:

- the dumps (:data:`DUMPS`, each with a ``.gz``), the VoID (:data:`VOID_FILE`), the validation
  report (:data:`REPORT`) and the JSON-LD context (:data:`CONTEXT_FILE`);
- the project's example queries under :data:`QUERIES` (``queries/*.rq``), so that a server
  needs nothing but the release;
- :data:`SUMS`, ``sha256sum`` lines for every other file (:func:`checksums` writes them,
  :func:`parse_checksums` reads them, :meth:`Release.verify` checks a file against them).

Its key (the store's cache key) and tag (ETags) are digests of ``SHA256SUMS``, so both change
whenever any file does. The last failed build's message is kept beside the release (never in
it: a failed build does not touch the release), in ``.defkg-cache/last-build-error.txt``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defkg.errors import DefkgError, InputError
from defkg.files import write_file_atomically
from defkg.pipeline.cache import cache_dir_beside

#: the dumps, each also published as .gz
DUMPS = ("defkg.trig", "defkg.nq", "defkg.ttl", "defkg.nt", "defkg.jsonld")
TRIG = "defkg.trig"  #: every named graph: what the stores load
REPORT = "validation-report.ttl"
VOID_FILE = "void.ttl"
CONTEXT_FILE = "context.jsonld"
SUMS = "SHA256SUMS"
QUERIES = "queries"  #: the folder of example queries inside the release
BUILD_ERROR_FILE = "last-build-error.txt"
SEARCH_FILE = "search.sqlite"  #: the full-text index /search answers from
#: the layout version of SEARCH_FILE: written by the build (``pipeline/render/search``),
#: checked by the reader (``store/search``) before it reads an index; bump it with the layout
SEARCH_FORMAT = "2"

#: What each file of a release is (the home page lists them).
FILE_DESCRIPTIONS = {
    "defkg.trig": "every named graph (TriG)",
    "defkg.nq": "every named graph (N-Quads)",
    "defkg.ttl": "the asserted view: sources, entities, ontology (Turtle)",
    "defkg.nt": "the asserted view (N-Triples)",
    "defkg.jsonld": "the asserted view (JSON-LD)",
    "context.jsonld": "the JSON-LD context defkg.jsonld and every JSON-LD document use",
    "void.ttl": "VoID and DCAT description of the dataset",
    "validation-report.ttl": "SHACL validation report",
    "search.sqlite": "the full-text index behind /search (SQLite FTS5)",
    "SHA256SUMS": "SHA-256 checksums of every file",
}


class NoRelease(InputError):
    """There is no (complete) release in the directory asked for."""


# --- SHA256SUMS ------------------------------------------------------------------------------


def checksums(files: dict[str, bytes], known: dict[str, str] | None = None) -> bytes:
    """``sha256sum`` format: one ``digest  name`` line per file, sorted by name; ``known``:
    the hex SHA-256 of some of the files, computed already."""
    known = known or {}
    lines = [
        f"{known.get(name) or hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(files.items())
        if name != SUMS
    ]
    return "".join(lines).encode("ascii")


def parse_checksums(text: str) -> dict[str, str]:
    """``sha256sum`` output (``<hex>  <name>`` or ``<hex> *<name>``) → ``{name: hex}``."""
    sums = {}
    for line in text.splitlines():
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) == 64 and name:
            sums[name] = digest.lower()
    return sums


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One example query of the release, as the query UI offers it."""

    name: str  #: the file stem, ``cq01-…``
    question: str  #: the first comment line
    query: str
    inferred: bool  #: needs the OWL RL inferences


#: A comment by which a query says it must not see the inferences.
_ASSERTED_ONLY = re.compile(r"\b(asserted (data |triples )?only|without (the )?inferences)\b", re.I)


def read_examples(folder: Path) -> list[Example]:
    """The ``*.rq`` files of ``folder`` in name order.

    The question is the first comment line, continued over the next comment lines until one
    ends with ``?`` (``# cq05: How many …`` / ``# established, …?``), without its ``cqNN:``
    label. The competency queries are written for the asserted data plus the OWL RL
    inferences (the competency tests run them so, and some rely on inferences without saying
    so), so each runs against ``/sparql/inferred`` unless a comment says "asserted only" or
    "without inferences".
    """
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comments = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
        question_lines: list[str] = []
        for line in comments:
            question_lines.append(line)
            if line.endswith("?") or len(question_lines) == 3:
                break
        question = " ".join(question_lines) or path.stem
        question = re.sub(r"^[a-z]+\d+\s*:\s*", "", question, flags=re.I)
        asserted_only = any(_ASSERTED_ONLY.search(c) for c in comments)
        examples.append(Example(path.stem, question, text, inferred=not asserted_only))
    return examples


class Release:
    """A release directory, read. :meth:`open` refuses a directory that holds no release."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def open(cls, directory: Path, *, hint: str = "run `defkg build` first") -> Release:
        """The release in ``directory``; :class:`NoRelease` when it has none (no
        ``SHA256SUMS`` or no ``defkg.trig``), with ``hint`` saying what to do."""
        release = cls(directory)
        for name in (SUMS, TRIG):
            path = release.path(name)
            if not path.is_file():
                raise NoRelease(f"{path}: no release here ({hint})")
        return release

    @staticmethod
    def present(directory: Path) -> bool:
        """True when ``directory`` holds a release (what :meth:`open` requires)."""
        return all((Path(directory) / name).is_file() for name in (SUMS, TRIG))

    def path(self, name: str) -> Path:
        """The path of a release file (``name`` as SHA256SUMS spells it)."""
        return self.directory / name

    def sums_bytes(self) -> bytes:
        return self.path(SUMS).read_bytes()

    @property
    def checksums(self) -> dict[str, str]:
        """File name → SHA-256, as ``SHA256SUMS`` records them."""
        return parse_checksums(self.sums_bytes().decode("utf-8", "replace"))

    @property
    def key(self) -> str:
        """A 16-hex-digit digest of ``SHA256SUMS``: names the store prepared from it."""
        return hashlib.sha256(self.sums_bytes()).hexdigest()[:16]

    @property
    def tag(self) -> str:
        """A 20-hex-digit digest of ``SHA256SUMS``: the release's part of every ETag."""
        return hashlib.sha256(self.sums_bytes()).hexdigest()[:20]

    def verify(self, name: str) -> None:
        """Refuse a file that does not match ``SHA256SUMS`` (a half-written or edited release)."""
        recorded = self.checksums.get(name)
        if recorded is None:
            return
        path = self.path(name)
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded:
            raise InputError(
                f"{path}: its SHA-256 does not match {self.path(SUMS)}; the release is "
                "incomplete or was changed after the build (rebuild it)"
            )

    def context(self, fallback_prefixes: dict[str, str]) -> dict[str, Any]:
        """The JSON-LD context published with the release, or one made of
        ``fallback_prefixes`` for a release that has none (or a broken one)."""
        path = self.path(CONTEXT_FILE)
        if path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and isinstance(loaded.get("@context"), dict | list):
                    return loaded
            except ValueError:
                pass  # a broken context file must not break the pages; fall back to prefixes
        return {"@context": dict(fallback_prefixes)}

    def examples(self) -> list[Example]:
        """The release's example queries (``queries/*.rq``), in name order (read anew each
        time: a new build swaps the directory under a running server)."""
        return read_examples(self.path(QUERIES))


# --- writing ---------------------------------------------------------------------------------


def write_release(target: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (release-relative names) into a new directory and swap it in for
    ``target`` by renaming; return ``target``.

    On any failure the new directory is removed and ``target`` is left as it was.
    """
    target = Path(os.path.abspath(target))
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DefkgError(f"{parent}: cannot create the output folder: {error.strerror}") from None
    if target.exists() and not target.is_dir():
        raise DefkgError(f"{target}: exists and is not a directory")
    staging = parent / f".{target.name}.new-{os.getpid()}"
    retired = parent / f".{target.name}.old-{os.getpid()}"
    try:
        _remove(staging)
        staging.mkdir()
        for name, data in files.items():
            path = staging / name
            if path.parent != staging:
                path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if not target.exists():
            os.rename(staging, target)
        elif _exchange(staging, target):
            os.rename(staging, retired)  # the old release, now under the staging name
        else:
            os.rename(target, retired)
            os.rename(staging, target)
    except OSError as error:
        _remove(staging)
        if retired.exists() and not target.exists():
            os.rename(retired, target)
        raise DefkgError(f"{target}: cannot write the release: {error}") from None
    _remove(retired)
    return target


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE), so that a reader
    never finds the release missing; False where the system cannot, and the caller renames
    twice instead."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


# --- the last build's error note -------------------------------------------------------------


def build_error_path(directory: Path) -> Path:
    """Where the last failed build's message is kept: ``.defkg-cache/`` beside the release."""
    return cache_dir_beside(Path(directory)) / BUILD_ERROR_FILE


def record_build_error(directory: Path, text: str) -> None:
    """Note that the build of the release in ``directory`` failed, and why."""
    write_file_atomically(build_error_path(directory), text.encode("utf-8"))


def clear_build_error(directory: Path) -> None:
    build_error_path(directory).unlink(missing_ok=True)


def read_build_error(directory: Path) -> str | None:
    """The message of the last failed build, or None when the last build passed.

    For the home page: when this returns text, the release being served is the previous good
    one and the text says why the newer project did not build.
    """
    path = build_error_path(directory)
    try:
        failed_at = path.stat().st_mtime_ns
        # A release published after the failure (by `defkg build`, say) makes it old news.
        sums = Path(directory) / SUMS
        if sums.is_file() and sums.stat().st_mtime_ns > failed_at:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
