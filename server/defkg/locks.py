"""Locks on single bytes of a shared file, between the threads and processes of a server.

Linux open-file-description (OFD) locks belong to a descriptor, not to a process: two
descriptors opened on one file exclude each other whichever threads or processes hold them,
and the kernel drops a lock when its descriptor closes, including when its process dies. The
endpoint's admission limit (:class:`defkg.store.executor.SharedAdmission`) and its per-client
budgets (:class:`defkg.web.fairness.ClientBudgets`) are kept with them.

A lock that can be had at once is taken without letting go of the interpreter lock: Python's
``fcntl.fcntl`` lets the other threads run during every call, and in a web process whose
threads all want the interpreter lock back, each such hand-over costs a wake-up and a task
switch, several times per query. Only a call that has to wait (another descriptor holds the
byte) goes through ``fcntl.fcntl`` and lets the others run while it waits.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import struct

#: libc's fcntl(2), called through ctypes.PyDLL, which keeps the interpreter lock in the call
_libc_fcntl = ctypes.PyDLL(None, use_errno=True).fcntl
_libc_fcntl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
_libc_fcntl.restype = ctypes.c_int

#: OFD locks (Linux 3.15): absent elsewhere, where callers refuse to start
AVAILABLE = hasattr(fcntl, "F_OFD_SETLK")
_BUSY = (errno.EAGAIN, errno.EACCES)


def _flock(kind: int, offset: int) -> bytes:
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
    return struct.pack("hh4xqqi4x", kind, os.SEEK_SET, offset, 1, 0)


def lock_byte(fd: int, offset: int, *, wait: bool) -> bool:
    """Take the lock on byte ``offset`` of ``fd``; False when another descriptor holds it and
    ``wait`` is false, else wait for it."""
    request = _flock(fcntl.F_WRLCK, offset)
    if _libc_fcntl(fd, fcntl.F_OFD_SETLK, request) == 0:
        return True
    error = ctypes.get_errno()
    if error not in _BUSY:
        raise OSError(error, os.strerror(error))
    if not wait:
        return False
    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, request)  # lets the other threads run while it waits
    return True


def unlock_byte(fd: int, offset: int) -> None:
    """Drop the lock ``fd`` holds on byte ``offset`` (never waits)."""
    if _libc_fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, offset)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
