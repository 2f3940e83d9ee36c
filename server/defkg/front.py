"""The HTTP front of a web process: one event loop holds every connection, and each request
runs the WSGI app in a greenlet of its own.

Why not a WSGI server with a thread per request (waitress, gunicorn's gthread): on a query
the endpoint's own work is small next to the hand-overs of the interpreter lock between the
server's threads (measured in ``benchmarks/RESULTS.md``: 10-14 task switches per query, and
the web process's share of a query as large as the query worker's). Here there is one thread:
a request that waits for a query worker, a free worker or a client that reads slowly gives
the loop back through :mod:`defkg.waiting`, and the loop goes on with the others.

What it guarantees, measured by ``benchmarks/slow_clients.py`` and tested in
``tests/test_front.py``:

- a connection costs a socket and a small object until its request is whole: no request runs
  before its headers and body are read, within ``max_request_header_bytes`` (431 above) and
  ``max_request_body_bytes`` (413 above);
- a request still incomplete ``request_read_timeout`` seconds after it began is dropped, however
  steadily it trickles (slowloris), and a connection silent for ``client_timeout`` is closed;
- an answer is handed to the loop whole, so a client that does not read never holds a
  request; a connection whose answer has made no progress for ``client_timeout`` is dropped;
- a download (an iterable answer) is written as the client reads it, never held in memory
  whole.

The HTTP parser is httptools (llhttp, the parser of Node.js), the loop uvloop (libuv) where
installed: both in C, so that reading a request and writing its answer cost little next to
the query itself.
"""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import sys
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools

from defkg.waiting import RequestGreenlets

log = logging.getLogger("defkg.front")

WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Limits:
    """How much a client may send and how long it may take (from the settings)."""

    max_header_bytes: int
    max_body_bytes: int
    request_read_timeout: float
    client_timeout: float
    max_connections: int
    server_name: str = "defkg"


@dataclass
class _Request:
    method: str
    url: bytes
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class _ClientGone(Exception):
    """The connection closed (or was dropped) while an answer was being written."""


_NO_BODY_STATUSES = frozenset((204, 304))
#: kept below the socket's own buffer, so that a write that fits never waits
_WRITE_HIGH_WATER = 256 * 1024


class Front:
    """Every connection of one web process, on one loop."""

    def __init__(self, app: WSGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.connections: set[HttpConnection] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.greenlets: RequestGreenlets | None = None
        self._date = ("", 0)

    def date(self) -> str:
        """The Date header, made once a second."""
        now = int(time.time())
        if self._date[1] != now:
            self._date = (formatdate(now, usegmt=True), now)
        return self._date[0]

    def serve(self, sockets: list[socket.socket], tick: Callable[[], bool]) -> None:
        """Answer on ``sockets`` until ``tick()``, called every half second, returns False."""
        loop = new_event_loop()
        self.loop = loop
        self.greenlets = RequestGreenlets(loop)
        asyncio.set_event_loop(loop)
        servers = []
        for sock in sockets:
            sock.setblocking(False)
            servers.append(
                loop.run_until_complete(
                    loop.create_server(lambda: HttpConnection(self), sock=sock, backlog=2048)
                )
            )
        stopped = loop.create_future()

        def heartbeat() -> None:
            if not tick():
                stopped.set_result(None)
                return
            loop.call_later(0.5, heartbeat)

        def sweep() -> None:
            self.sweep(time.monotonic())
            loop.call_later(1.0, sweep)

        loop.call_soon(heartbeat)
        loop.call_later(1.0, sweep)
        try:
            loop.run_until_complete(stopped)
        finally:
            for server in servers:
                server.close()
            for connection in list(self.connections):
                connection.close()

    def sweep(self, now: float) -> None:
        """Drop what is too slow: a request still unread after ``request_read_timeout``, an
        idle connection after ``client_timeout``, an answer that made no progress as long."""
        limits = self.limits
        for connection in list(self.connections):
            transport = connection.transport
            if transport is None:
                continue
            if (
                connection.request_started is not None
                and now - connection.request_started > limits.request_read_timeout
            ):
                connection.close()
                continue
            buffered = transport.get_write_buffer_size()
            if buffered:
                if buffered < connection.buffered:
                    connection.last_activity = now
                connection.buffered = buffered
                if now - connection.last_activity > limits.client_timeout:
                    log.info("dropped a client that did not read its answer")
                    connection.abort()
                continue
            connection.buffered = 0
            if connection.busy:  # the client waits for us: not idle
                continue
            if now - connection.last_activity > limits.client_timeout:
                connection.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class HttpConnection(asyncio.Protocol):
    """One client connection: reads requests whole, runs them one at a time, in order."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.limits = front.limits
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.waiting: deque[_Request] = deque()
        self.busy = False
        self.closed = False
        self.write_paused = False
        self._drained: asyncio.Future | None = None
        self.last_activity = time.monotonic()
        #: when the request being read began (None between requests)
        self.request_started: float | None = None
        #: the transport's write buffer at the last sweep
        self.buffered = 0
        self._refusal: tuple[int, str] | None = None
        self._reset_request()

    def _reset_request(self) -> None:
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_bytes = 0

    # --- asyncio.Protocol -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if len(self.front.connections) >= self.limits.max_connections:
            transport.close()
            self.closed = True
            return
        self.front.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport.set_write_buffer_limits(high=_WRITE_HIGH_WATER)  # type: ignore[union-attr]
        peer = transport.get_extra_info("peername")
        self.peer = (str(peer[0]), str(peer[1])) if isinstance(peer, tuple) else ("", "")
        local = transport.get_extra_info("sockname")
        self.local = (str(local[0]), str(local[1])) if isinstance(local, tuple) else ("", "")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.front.connections.discard(self)
        self._wake_writer()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_writer()
        self._next()

    def _wake_writer(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        if self._refusal is not None:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refusal = self._refusal or (400, "upgrading the connection is not supported")
        except httptools.HttpParserError as error:
            self._refusal = self._refusal or (400, f"the request could not be read: {error}")
        if self._refusal is not None:
            self.waiting.clear()
            if not self.busy:
                self._refuse()
            return
        if len(self.waiting) > 1 and self.transport is not None:
            self.transport.pause_reading()  # pipelined requests: read on once answered
        self._next()

    # --- httptools callbacks --------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._reset_request()
        self.request_started = time.monotonic()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_header(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        self._count_header(len(name) + len(value) + 4)

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes and self._refusal is None:
            self._refusal = (
                431,
                f"the request's headers are larger than {self.limits.max_header_bytes:,} bytes",
            )

    def on_headers_complete(self) -> None:
        if self._refusal is not None:
            return
        length = next((v for n, v in self._headers if n.lower() == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.limits.max_body_bytes:
            self._refusal = (413, self._too_large())
            return
        expect = next((v for n, v in self._headers if n.lower() == b"expect"), b"")
        if expect.lower() == b"100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _too_large(self) -> str:
        return f"the request body is larger than {self.limits.max_body_bytes:,} bytes"

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:
            if self._refusal is None:
                self._refusal = (413, self._too_large())
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.request_started = None
        if self._refusal is not None:
            return
        self.waiting.append(
            _Request(
                self.parser.get_method().decode("latin-1"),
                self._url,
                self.parser.get_http_version(),
                self._headers,
                b"".join(self._body),
                self.parser.should_keep_alive(),
            )
        )

    # --- answering ------------------------------------------------------------------------
    def _next(self) -> None:
        """Start the next request read, if none is running and the last answer is out."""
        if self.busy or self.closed or self.write_paused:
            return
        if not self.waiting:
            if self._refusal is not None:
                self._refuse()
            elif self.transport is not None:
                self.transport.resume_reading()
            return
        request = self.waiting.popleft()
        self.busy = True
        greenlets = self.front.greenlets
        assert greenlets is not None
        greenlets.start(self._answer, request)

    def _answer(self, request: _Request) -> None:
        try:
            self._run_app(request)
        except _ClientGone:
            pass
        except Exception:  # the app answers its own errors; this is a bug, not a stack trace
            log.exception("unhandled error answering %s", request.method)
            self.abort()
        finally:
            self.busy = False
            self.last_activity = time.monotonic()
            if self.front.loop is not None and not self.closed:
                self.front.loop.call_soon(self._next)

    def _run_app(self, request: _Request) -> None:
        environ = self._environ(request)
        head: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if exc_info is not None and head and head[0] is True:
                raise exc_info[1].with_traceback(exc_info[2])
            head[:] = [status, headers]
            return self._late_write

        result = self.front.app(environ, start_response)
        try:
            if not head:
                raise RuntimeError("the app returned without calling start_response")
            status, headers = head
            code = int(status.split(" ", 1)[0])
            names = {name.lower() for name, _ in headers}
            body_allowed = request.method != "HEAD" and code not in _NO_BODY_STATUSES
            keep_alive = request.keep_alive
            chunked = False
            parts: list[bytes] | None = None
            if isinstance(result, list | tuple):
                parts = list(result)
                if "content-length" not in names and code not in _NO_BODY_STATUSES:
                    headers.append(("Content-Length", str(sum(map(len, parts)))))
            elif "content-length" not in names and body_allowed:
                if request.version == "1.1":
                    headers.append(("Transfer-Encoding", "chunked"))
                    chunked = True
                else:
                    keep_alive = False
            lines = [f"HTTP/1.1 {status}\r\n"]
            lines += [f"{name}: {value}\r\n" for name, value in headers]
            lines.append(f"Date: {self.front.date()}\r\nServer: {self.limits.server_name}\r\n")
            if not keep_alive:
                lines.append("Connection: close\r\n")
            elif request.version == "1.0":
                lines.append("Connection: keep-alive\r\n")
            lines.append("\r\n")
            head_bytes = "".join(lines).encode("latin-1")
            if not body_allowed:
                self._write(head_bytes)
            elif parts is not None:
                self._write(head_bytes + b"".join(parts))
            else:
                self._write(head_bytes)
                for chunk in result:
                    if chunk:
                        self._write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                        self._wait_until_drained()
                if chunked:
                    self._write(b"0\r\n\r\n")
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not keep_alive:
            self.close()

    def _late_write(self, data: bytes) -> None:
        raise RuntimeError("the write() callable of start_response is not supported")

    def _write(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            raise _ClientGone()
        self.transport.write(data)
        self.last_activity = time.monotonic()

    def _wait_until_drained(self) -> None:
        """Before the next piece of a download: wait while the client has not read enough."""
        from defkg.waiting import _suspend

        loop = self.front.loop
        while self.write_paused and not self.closed and loop is not None:
            self._drained = loop.create_future()
            _suspend(loop, self._drained, None)
        if self.closed:
            raise _ClientGone()

    def _environ(self, request: _Request) -> dict[str, Any]:
        url = request.url
        if not url.startswith(b"/") and b"://" in url:  # absolute form: the path is ours
            parsed = httptools.parse_url(url)
            url = (parsed.path or b"/") + (b"?" + parsed.query if parsed.query else b"")
        path, _, query = url.partition(b"?")
        path = path.partition(b"#")[0]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": urllib.parse.unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.partition(b"#")[0].decode("latin-1"),
            "SERVER_NAME": self.local[0],
            "SERVER_PORT": self.local[1],
            "SERVER_PROTOCOL": f"HTTP/{request.version}",
            "REMOTE_ADDR": self.peer[0],
            "REMOTE_PORT": self.peer[1],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
        }
        for raw_name, raw_value in request.headers:
            name = raw_name.decode("latin-1").upper()
            if "_" in name:  # as waitress: a header that would alias another in the environ
                continue
            value = raw_value.decode("latin-1")
            if name == "CONTENT-TYPE":
                environ["CONTENT_TYPE"] = value
                continue
            if name in ("CONTENT-LENGTH", "TRANSFER-ENCODING"):
                continue
            key = "HTTP_" + name.replace("-", "_")
            environ[key] = f"{environ[key]}, {value}" if key in environ else value
        if request.body or request.method in ("POST", "PUT"):
            environ["CONTENT_LENGTH"] = str(len(request.body))
        return environ

    def _refuse(self) -> None:
        """Answer what could not be read with a plain-text error, and close."""
        status, message = self._refusal or (400, "bad request")
        body = (message + "\n").encode("utf-8")
        reason = HTTPStatus(status).phrase
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nAccess-Control-Allow-Origin: *\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            f"Date: {self.front.date()}\r\nServer: {self.limits.server_name}\r\n"
            "Connection: close\r\n\r\n"
        )
        if self.transport is not None and not self.closed:
            self.transport.write(head.encode("latin-1") + body)
        self.close()

    def close(self) -> None:
        """Close once what was written is sent."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        self.closed = True
        self.front.connections.discard(self)
        self._wake_writer()

    def abort(self) -> None:
        """Drop the connection at once, unsent answer and all."""
        if self.transport is not None:
            self.transport.abort()
        self.close()


@dataclass
class FileWrapper:
    """``wsgi.file_wrapper``: a file sent in blocks of 256 kB (a download)."""

    file: Any
    block_size: int = 256 * 1024
    _closed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        # Werkzeug asks for 8 kB blocks: a loop turn per 8 kB would cost more than the copy.
        self.block_size = max(self.block_size, 256 * 1024)

    def __iter__(self):
        while block := self.file.read(self.block_size):
            yield block

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self.file, "close", None)
            if close is not None:
                close()
