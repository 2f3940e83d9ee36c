"""The errors defkg reports to people, and the exit code each one means.

Every module raises these with a message that says what went wrong and where (file, line,
column, IRI); the CLI prints the message and exits with the code, the web layer turns them into
HTTP errors. Nobody shows a stack trace to a user.
"""

from __future__ import annotations


class DefkgError(Exception):
    """Bad usage or unreadable input (exit code 2)."""

    exit_code = 2


class InputError(DefkgError):
    """A project file cannot be read or parsed; the message names the file, line and column."""


class ValidationFailed(DefkgError):
    """The graph violates the shapes (exit code 1); ``report`` is the human report."""

    exit_code = 1

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message)
        self.report = report


def line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column of byte ``offset`` in UTF-8 ``data``, the column counted in
    characters as editors count it: where ``file:line:col`` messages point."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def not_utf8(path: object, data: bytes, error: UnicodeDecodeError, advice: str) -> InputError:
    """The error for ``data`` (read from ``path``) that is not UTF-8: where the first bad byte
    is, as ``file:line:col``, which byte it is, and ``advice`` for the person who saved it."""
    line, column = line_and_column(data, error.start)
    return InputError(
        f"{path}:{line}:{column}: not UTF-8 (byte 0x{data[error.start]:02x}); {advice}"
    )
