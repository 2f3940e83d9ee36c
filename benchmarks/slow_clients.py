"""Slow, idle and non-reading clients against an HTTP server, and how long a fresh client waits.

The abuse of issue 11: idle connections (some bare, some after a keep-alive request),
slowloris connections (header lines, or a request body, trickled a byte at a time) and clients
that ask for a large answer and never read it, all open at once; meanwhile a fresh client
asks for ``/healthz`` and the home page and the longest wait is reported.

Used to choose the HTTP server (``--candidates``: each is started over the same release and
probed in turn) and, through :func:`open_abuse` and :func:`longest_wait`, by
``tests/test_front.py`` against ``defkg serve`` itself::

    python benchmarks/slow_clients.py --dist dist --candidates defkg gthread gevent waitress granian
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: A query whose answer (20,000 rows of a cross product, about 5 MB: more than any socket
#: buffer holds, less than the result cache keeps) is asked once, then by every non-reading
#: client, which the cache answers at once: each gets megabytes it never reads.
LARGE_QUERY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000"


@dataclass
class Abuse:
    """The open connections of one abuse run; :meth:`close` ends them all."""

    sockets: list[socket.socket] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    refused: int = 0  #: connections the server would not even accept

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(5)
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def _connect(host: str, port: int, abuse: Abuse, rcvbuf: int | None = None) -> socket.socket | None:
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    try:
        sock.connect((host, port))
    except OSError:
        abuse.refused += 1
        sock.close()
        return None
    abuse.sockets.append(sock)
    return sock


def _read_one_answer(sock: socket.socket) -> None:
    """Read one small HTTP answer (headers and a Content-Length body), leaving the
    connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return
        body += chunk


def open_abuse(
    url: str,
    *,
    idle: int = 200,
    slowloris: int = 60,
    non_reading: int = 16,
    trickle_every: float = 1.0,
) -> Abuse:
    """Open the abusive connections against the server at ``url`` (ending in '/') and keep
    the slow ones trickling in a background thread until :meth:`Abuse.close`."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    hostline = f"Host: {host}:{port}\r\n".encode()
    abuse = Abuse()
    for index in range(idle):
        sock = _connect(host, port, abuse)
        if sock is not None and index % 2:
            # A keep-alive client that asked once and then stays silent.
            with contextlib.suppress(OSError):
                sock.sendall(b"GET /healthz HTTP/1.1\r\n" + hostline + b"\r\n")
                _read_one_answer(sock)
    slow: list[tuple[socket.socket, bytes]] = []
    for index in range(slowloris):
        sock = _connect(host, port, abuse)
        if sock is None:
            continue
        with contextlib.suppress(OSError):
            if index % 2:  # a body trickled after complete headers
                sock.sendall(
                    b"POST /sparql HTTP/1.1\r\n"
                    + hostline
                    + b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 90000\r\n\r\nquery="
                )
                slow.append((sock, b"x"))
            else:  # header lines that never end
                sock.sendall(b"GET / HTTP/1.1\r\n" + hostline)
                slow.append((sock, b"X-a: b\r\n"))
    large = urllib.parse.urlencode({"query": LARGE_QUERY, "format": "tsv"})
    if non_reading:
        timed_get(f"{url}sparql?{large}", timeout=120)
    for _ in range(non_reading):
        sock = _connect(host, port, abuse, rcvbuf=4096)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendall(f"GET /sparql?{large} HTTP/1.1\r\n".encode() + hostline + b"\r\n")

    def trickle() -> None:
        while not abuse.stop.wait(trickle_every):
            for sock, piece in slow:
                with contextlib.suppress(OSError):
                    sock.send(piece)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    abuse.threads.append(thread)
    return abuse


def timed_get(url: str, timeout: float = 30.0) -> tuple[float, int]:
    """Seconds a fresh connection takes to get ``url`` whole, and its status (0: failed)."""
    import urllib.error
    import urllib.request

    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return time.perf_counter() - started, status


def longest_wait(
    url: str, rounds: int = 5, pause: float = 0.5, timeout: float = 10.0
) -> dict[str, tuple[float, int]]:
    """The longest wait (seconds, and the status of that answer) of ``rounds`` fresh GETs of
    ``/healthz`` and of the home page."""
    worst: dict[str, tuple[float, int]] = {}
    for _ in range(rounds):
        for path in ("healthz", ""):
            seconds, status = timed_get(url + path, timeout)
            if path not in worst or seconds > worst[path][0] or status != 200:
                worst[path] = (seconds, status)
        time.sleep(pause)
    return worst


# --- the candidates, each started over the same release ----------------------------------------

_UVICORN_APP = "from a2wsgi import WSGIMiddleware; from defkg.web import create_app; "


def candidate_command(name: str, port: int) -> list[str]:
    """How each candidate server is started over ``create_app`` (settings from DEFKG_*)."""
    py = sys.executable
    if name == "defkg":  # today's `defkg serve`: the event-loop front in gunicorn's processes
        return [py, "-c", "from defkg.cli import main; main()", "serve", "--port", str(port)]
    if name == "gthread":
        return [
            py, "-m", "gunicorn", "-k", "gthread", "--threads", "16",
            "-b", f"127.0.0.1:{port}", "defkg.web:create_app()",
        ]  # fmt: skip
    if name == "gevent":
        return [
            py, "-m", "gunicorn", "-k", "gevent", "--worker-connections", "4000",
            "-b", f"127.0.0.1:{port}", "defkg.web:create_app()",
        ]  # fmt: skip
    if name == "waitress":
        return [
            py, "-m", "waitress", "--listen", f"127.0.0.1:{port}", "--threads", "16",
            "--connection-limit", "4000", "--channel-timeout", "30", "--asyncore-use-poll",
            "--call", "defkg.web:create_app",
        ]  # fmt: skip
    if name == "granian":
        return [
            py, "-m", "granian", "--interface", "wsgi", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--blocking-threads", "16", "defkg.web:create_app",
        ]  # fmt: skip
    if name == "uvicorn":
        code = (
            _UVICORN_APP + f"import uvicorn; uvicorn.run(WSGIMiddleware(create_app(), workers=16), "
            f"host='127.0.0.1', port={port}, log_level='warning')"
        )
        return [py, "-c", code]
    if name == "cheroot":
        code = (
            "from cheroot.wsgi import Server; from defkg.web import create_app; "
            f"Server(('127.0.0.1', {port}), create_app(), numthreads=16).safe_start()"
        )
        return [py, "-c", code]
    raise ValueError(f"unknown candidate {name!r}")


@contextlib.contextmanager
def running(name: str, dist: Path, log: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, DEFKG_DIST=str(dist), DEFKG_PORT=str(port))
    with log.open("wb") as out:
        process = subprocess.Popen(
            candidate_command(name, port), env=env, stdout=out, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 60
            while timed_get(url + "healthz", 2)[1] != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see {log}")
                time.sleep(0.3)
            timed_get(url + "sparql?query=ASK%7B%7D")  # the query workers are up
            yield url
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def probe(url: str, settle: float) -> dict:
    quiet = longest_wait(url, rounds=3)
    abuse = open_abuse(url)
    try:
        time.sleep(settle)
        loaded = longest_wait(url)
    finally:
        abuse.close()
    return {"quiet": quiet, "under_abuse": loaded, "refused_connections": abuse.refused}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, required=True, help="a built release")
    parser.add_argument("--candidates", nargs="+", default=["defkg", "waitress"])
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args(argv)
    results = {}
    for name in args.candidates:
        try:
            with running(name, args.dist.resolve(), args.log_dir / f"slow-{name}.log") as url:
                results[name] = probe(url, args.settle)
        except RuntimeError as error:
            results[name] = {"error": str(error)}
        print(name, json.dumps(results[name]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
