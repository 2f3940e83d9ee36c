"""Locks on single bytes of a shared file, between the threads and processes of a server.

Linux open-file-description (OFD) locks belong to a descriptor, not to a process: two
descriptors opened on one file exclude each other whichever threads or processes hold them,
and the kernel drops a lock when its descriptor closes, including when its process dies. The
endpoint's admission limit (:class:`defkg.store.executor.SharedAdmission`) and its per-client
budgets (:class:`defkg.web.fairness.ClientBudgets`) are kept with them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

#: OFD locks (Linux 3.15): absent elsewhere, where callers refuse to start
AVAILABLE = hasattr(fcntl, "F_OFD_SETLK")
_BUSY = (errno.EAGAIN, errno.EACCES)


def _flock(kind: int, offset: int) -> bytes:
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
    return struct.pack("hh4xqqi4x", kind, os.SEEK_SET, offset, 1, 0)


def lock_byte(fd: int, offset: int, *, wait: bool) -> bool:
    """Take the lock on byte ``offset`` of ``fd``; False when another descriptor holds it and
    ``wait`` is false, else wait for it."""
    try:
        fcntl.fcntl(
            fd, fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK, _flock(fcntl.F_WRLCK, offset)
        )
    except OSError as error:
        if error.errno in _BUSY:
            return False
        raise
    return True


def unlock_byte(fd: int, offset: int) -> None:
    """Drop the lock ``fd`` holds on byte ``offset`` (never waits)."""
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, offset))
