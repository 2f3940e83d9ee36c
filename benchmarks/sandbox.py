"""What the query workers' network sandbox costs (docs/query-sandbox.md).

    python benchmarks/sandbox.py [--requests 500]

Measures, side by side in one run:

* the time a fresh process takes to enter a network namespace, bring its loopback up and
  start the relay forwarder (``defkg.store.sandbox.isolate``), against starting without;
* one HTTP request/answer through the sandbox's path (the worker's loopback forwarder, then
  the relay's Unix socket) against the path before it (a TCP connection to the relay on the
  host's loopback), with the same tiny HTTP server behind both.

Needs a user that may create network namespaces (root, or user namespaces enabled).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import socket
import socketserver
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "-"

    def log_message(self, *args: object) -> None:
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True


def request_ms(port: int, count: int) -> list[float]:
    """Milliseconds of each of ``count`` GETs to 127.0.0.1:``port`` (a new connection each,
    as pyoxigraph makes one per SERVICE call)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /service/x/0 HTTP/1.0\r\nHost: relay\r\n\r\n")
            while sock.recv(65536):
                pass
        times.append((time.perf_counter() - started) * 1000)
    return times


def child_start(isolated: bool, relay: str, out) -> None:
    started = time.perf_counter()
    if isolated:
        from defkg.store.sandbox import isolate

        ok, how = isolate(relay)
        assert ok, how
    out.send((time.perf_counter() - started) * 1000)


def child_requests(relay: str, count: int, out) -> None:
    from defkg.store.sandbox import isolate
    from defkg.store.service_relay import RELAY_PORT

    ok, how = isolate(relay)
    assert ok, how
    out.send(request_ms(RELAY_PORT, count))


def spawn(target, *args):
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(*args, child))
    process.start()
    value = parent.recv()
    process.join()
    return value


def summary(values: list[float]) -> str:
    values = sorted(values)
    return (
        f"median {statistics.median(values):.3f} ms, "
        f"p95 {values[int(len(values) * 0.95) - 1]:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args()

    relay = str(Path(tempfile.mkdtemp()) / "relay.sock")
    unix = UnixServer(relay, Answer)
    tcp = TCPServer(("127.0.0.1", 0), Answer)
    for server in (unix, tcp):
        threading.Thread(target=server.serve_forever, daemon=True).start()

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    plain = [spawn(child_start, False, relay) for _ in range(args.starts)]
    isolated = [spawn(child_start, True, relay) for _ in range(args.starts)]
    print(f"worker start, no sandbox:      {summary(plain)}")
    print(f"worker start, sandbox:         {summary(isolated)}")
    direct = request_ms(tcp.server_address[1], args.requests)
    forwarded = spawn(child_requests, relay, args.requests)
    print(f"request, TCP to host loopback: {summary(direct)}")
    print(f"request, forwarder + socket:   {summary(forwarded)}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
