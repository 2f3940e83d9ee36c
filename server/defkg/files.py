"""Writing files so that a reader (or a crash) never sees half of one.

One behaviour everywhere: the bytes go to a hidden temporary file in the same folder, are
flushed to disk (fsync), and the temporary file is renamed over the target. A release, which is
a whole directory, is swapped in the same way by :func:`defkg.release.write_release`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: what to write: the bytes, or a function that writes them to an open file (to stream a
#: large value, e.g. a pickle, without holding its bytes in memory)
Content = bytes | Callable[[BinaryIO], object]


def _temporary_beside(target: Path, data: Content) -> Path:
    """``data`` in a new hidden file next to ``target``, on disk; its path."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_file_atomically(target: Path, data: Content) -> None:
    """Replace ``target`` with ``data`` in one step (its folder is made if missing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(target, data)
    try:
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_files_atomically(pairs: list[tuple[Path, Content]]) -> None:
    """Write every file or none: all go to temporary files first, then each is renamed; a
    failure removes the temporary files and the targets already renamed into place."""
    temporaries: list[tuple[Path, Path]] = []
    done: list[Path] = []
    try:
        for target, data in pairs:
            temporaries.append((_temporary_beside(target, data), target))
        for temporary, target in temporaries:
            os.replace(temporary, target)
            done.append(target)
    except BaseException:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)
        for target in done:
            target.unlink(missing_ok=True)
        raise
