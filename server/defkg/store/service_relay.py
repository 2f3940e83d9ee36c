"""The relay that puts a byte cap on the answers of allow-listed SERVICE endpoints.

pyoxigraph makes SERVICE calls itself (no hook, no proxy support) and reads whatever comes
back, so the only place a size cap can sit is between it and the endpoint. The web process
rewrites each allow-listed SERVICE IRI of a query into a URL of this relay
(``http://127.0.0.1:RELAY_PORT/service/TOKEN/N``); the relay forwards the call (method, query
string, body, Content-Type, Accept) to the real endpoint with the SERVICE timeout, streams the
answer back, and cuts it off after ``max_bytes``, recording the overflow on the query's
:class:`RelaySession` so the endpoint can say why the query failed. Redirects are not
followed: a redirect could lead off the allow-list.

The relay listens on a Unix socket at a filesystem path, not on a TCP port: the query workers
run in network namespaces of their own (``defkg.store.sandbox``) where no address of this
host can be reached, and a filesystem socket is the one door between the two. In each
worker, a forwarder listens on ``127.0.0.1:RELAY_PORT`` of the worker's own loopback and
passes every connection to that socket.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socketserver
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

#: Bytes read from the endpoint per step.
_CHUNK = 64 * 1024
#: The port of the relay's forwarder on each query worker's own loopback (a private network
#: namespace: the same number in every worker, reachable by nothing else).
RELAY_PORT = 47_600


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx then surfaces as an HTTPError, answered as a failure


# No proxies, as pyoxigraph uses none; no redirects, which could leave the allow-list.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class RelaySession:
    """The SERVICE endpoints of one query, and whether any answer overflowed the cap."""

    token: str
    endpoints: tuple[str, ...]
    overflowed: bool = field(default=False)


def rewrite_services(query: str, spans: tuple[tuple[int, int], ...], urls: list[str]) -> str:
    """``query`` with the token at each ``(start, end)`` span replaced by ``<url>``."""
    pieces: list[str] = []
    position = 0
    for (start, end), url in sorted(zip(spans, urls, strict=True)):
        pieces.append(query[position:start])
        pieces.append(f"<{url}>")
        position = end
    pieces.append(query[position:])
    return "".join(pieces)


class ServiceRelay:
    """A thread serving the relay on a Unix socket, started on first use.

    ``socket_path`` is where it listens (default: in a new directory only this user can
    enter); the query pool hands it to every worker's forwarder.
    """

    def __init__(self, timeout: float, max_bytes: int, socket_path: Path | None = None) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        if socket_path is None:
            directory = tempfile.mkdtemp(prefix="defkg-relay-")
            # Gone with the process: nothing of a stopped server is left in /tmp.
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            socket_path = Path(directory) / "relay.sock"
        self.socket_path = socket_path
        self._sessions: dict[str, RelaySession] = {}
        self._lock = threading.Lock()
        self._server: _UnixHTTPServer | None = None

    def start(self) -> None:
        with self._lock:
            if self._server is None:
                self.socket_path.unlink(missing_ok=True)
                server = _UnixHTTPServer(str(self.socket_path), _handler_for(self))
                os.chmod(self.socket_path, 0o600)
                threading.Thread(
                    target=server.serve_forever, name="defkg-service-relay", daemon=True
                ).start()
                self._server = server

    def open(self, endpoints: tuple[str, ...]) -> tuple[RelaySession, list[str]]:
        """Register one query's endpoints; returns its session and the relay URL of each."""
        self.start()
        session = RelaySession(secrets.token_hex(16), endpoints)
        with self._lock:
            self._sessions[session.token] = session
        base = f"http://127.0.0.1:{RELAY_PORT}/service/{session.token}/"
        return session, [f"{base}{index}" for index in range(len(endpoints))]

    def close(self, session: RelaySession) -> None:
        """Forget a finished query's session (later calls to its URLs get a 404)."""
        with self._lock:
            self._sessions.pop(session.token, None)

    def session(self, token: str) -> RelaySession | None:
        with self._lock:
            return self._sessions.get(token)

    def shutdown(self) -> None:
        """Stop the relay thread, if it was started."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self.socket_path.unlink(missing_ok=True)


def _handler_for(relay: ServiceRelay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 with chunked answers: pyoxigraph reads no body without framing, and a
        # cut-off answer then lacks its final chunk, which the engine sees as a failure.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def log_message(self, *args: object) -> None:
            pass

        def address_string(self) -> str:
            return "query-worker"  # a Unix socket peer has no address

        def _relay(self) -> None:
            path, _, query_string = self.path.partition("?")
            parts = path.split("/")
            session = relay.session(parts[2]) if len(parts) == 4 and parts[1] == "service" else None
            index = int(parts[3]) if session is not None and parts[3].isdigit() else -1
            if session is None or not 0 <= index < len(session.endpoints):
                self._fail(404, "no such SERVICE relay")
                return
            url = session.endpoints[index]
            if query_string:
                url += ("&" if "?" in url else "?") + query_string
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {
                name: self.headers[name]
                for name in ("Content-Type", "Accept")
                if self.headers.get(name)
            }
            request = urllib.request.Request(url, data=body, headers=headers, method=self.command)
            try:
                upstream = _OPENER.open(request, timeout=relay.timeout)
            except urllib.error.HTTPError as error:
                upstream = error
            except (OSError, ValueError) as error:
                self._fail(502, f"the SERVICE endpoint could not be reached: {error}")
                return
            with upstream:
                declared = upstream.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > relay.max_bytes:
                    session.overflowed = True
                    self._fail(502, f"a SERVICE answer exceeded {relay.max_bytes} bytes")
                    return
                self.send_response(upstream.status)
                self.send_header(
                    "Content-Type", upstream.headers.get("Content-Type") or "text/plain"
                )
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                sent = 0
                try:
                    while chunk := upstream.read(_CHUNK):
                        sent += len(chunk)
                        if sent > relay.max_bytes:
                            # Recorded before the cut, so the query's failure can be explained.
                            session.overflowed = True
                            return
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    return  # endpoint or engine went away; the engine reports its side

        def _fail(self, status: int, message: str) -> None:
            data = message.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(data)

    return Handler
