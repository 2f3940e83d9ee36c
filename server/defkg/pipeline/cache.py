"""The build's on-disk caches: results of pure steps, stored under the hash of their inputs.

Every stage that caches (load: parsed files; reason and validate: passes; rules: the terms
each graph uses; derive: summaries and comparisons; publish: rendered graphs) keeps its
entries in a folder of ``.defkg-cache/`` next to the output directory, one pickle per key. A
key is a SHA-256 of everything the result depends on, so a stale entry is never read: it is
only never asked for again. The caches change only speed; a build gives the same bytes with
and without them.

A build notes which entries it read or wrote (:func:`begin_build`); after it has published,
:func:`prune` removes the others, whose inputs are gone, so the caches do not grow with every
edit of a long curating session.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from defkg.files import write_file_atomically

if TYPE_CHECKING:  # at run time this module imports only defkg.files: query workers use it
    from defkg.config import Settings


def cache_dir_beside(dist: Path) -> Path:
    """``.defkg-cache/`` next to the output directory ``dist``: the build's caches, the
    embedded store of each release, the preview's last build error."""
    return Path(os.path.abspath(dist)).parent / ".defkg-cache"


def cache_dir(settings: Settings) -> Path:
    """``.defkg-cache/`` next to the output directory of ``settings``."""
    return cache_dir_beside(settings.dist)


#: the entries of each cache folder that the current build read or wrote
_used: defaultdict[Path, set[str]] = defaultdict(set)


def begin_build() -> None:
    """Start noting the entries a build uses (see :func:`prune`)."""
    _used.clear()


def prune() -> int:
    """Remove the entries of the folders this build used that it did not use; return how many.

    Called after a successful build only: a failed build has not used everything it will need.
    """
    removed = 0
    for folder, keys in _used.items():
        for entry in folder.glob("*.pickle"):
            if entry.stem not in keys:
                entry.unlink(missing_ok=True)
                removed += 1
    _used.clear()
    return removed


class PickleCache:
    """One folder of ``<key>.pickle`` files; ``writable=False`` reads but never writes."""

    def __init__(self, settings: Settings, kind: str, *, writable: bool = True) -> None:
        self.folder = cache_dir(settings) / kind
        self.writable = writable

    def get(self, key: str) -> Any | None:
        """The entry stored under ``key``, or None when absent or unreadable."""
        try:
            with open(self.folder / (key + ".pickle"), "rb") as handle:
                # our own cache files, written below: not untrusted input
                value = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            return None
        _used[self.folder].add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``; a cache that cannot be written only costs time."""
        if not self.writable:
            return
        _used[self.folder].add(key)
        with contextlib.suppress(OSError):
            write_file_atomically(
                self.folder / (key + ".pickle"),
                lambda handle: pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL),
            )


def digest_of(*parts: str | bytes) -> str:
    """SHA-256 of the parts, each closed by a NUL so that no two splits hash alike."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


#: the libraries whose code computes each cached stage's results: their versions are part of
#: the stage's keys, so that an upgrade (a new OWL RL rule in owlrl, a fixed constraint in
#: pyshacl, another quoting in rdflib) never serves results the new code would not give
STAGE_LIBRARIES: dict[str, tuple[str, ...]] = {
    "load": ("rdflib",),
    "reason": ("rdflib", "owlrl"),
    "validate": ("rdflib", "pyshacl"),
    "derive": ("rdflib",),
    # the curators' rules read the terms off the lines (hashed in their keys) themselves
    "rules": (),
    "publish": ("rdflib", "pyld"),
    "store": ("pyoxigraph",),
}


def library_versions(*names: str) -> list[str]:
    """``"name version"`` of each installed library (``"name ?"`` when it has no metadata)."""
    from importlib import metadata

    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} ?")
    return found


def code_digest(*modules: ModuleType, stage: str | None = None) -> str:
    """SHA-256 of the source files of ``modules`` and of the versions of ``stage``'s libraries
    (:data:`STAGE_LIBRARIES`): part of a key, so that an entry made by other code (a
    developer's edit, a new release of defkg or of a library) is never read."""
    sources = [Path(module.__file__ or "").read_bytes() for module in modules]
    return digest_of(*sources, *library_versions(*STAGE_LIBRARIES.get(stage or "", ())))


def digest_of_lines(lines: list[str]) -> str:
    """SHA-256 of N-Triples lines (each already ends in a newline)."""
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
