"""The web process's memory after large answers: does it return to its idle size?

Starts ``defkg serve`` over a release as the README does (one web process, default settings),
measures the web process's resident memory when idle (after a warm-up query), sends
``--concurrent`` queries at once whose answers are each about ``--megabytes`` MB (a cross
product of the release's triples, as JSON results), then measures again once they are all
answered and after ``--settle`` seconds. The query workers are separate processes and are
not counted: the question is whether the web process keeps what it once held.

    python benchmarks/memory.py --dist dist --concurrent 8 --megabytes 40
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def web_process(arbiter: int) -> int:
    """The gunicorn worker: the arbiter's child that is not a query worker."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == arbiter and b"spawn_main" not in command:
            return int(stat.parent.name)
    raise RuntimeError("no web process found")


def large_query(megabytes: float) -> str:
    """Rows of a cross product: about 480 bytes each as JSON results."""
    rows = int(megabytes * 1_000_000 / 480)
    return f"SELECT * WHERE {{ ?a ?b ?c . ?d ?e ?f }} LIMIT {rows}"


def fetch(url: str, source: str = "127.0.0.1", timeout: float = 300) -> tuple[int, int]:
    """GET ``url`` from the local address ``source``: each concurrent query comes from a
    client of its own (127.0.0.x), as the per-client budgets allow one query at a time."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(
            "GET",
            f"{parts.path}?{parts.query}",
            headers={"Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {body[:300]!r}")
        return response.status, len(body)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, required=True)
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--megabytes", type=float, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="bursts of concurrent queries")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
    log = open(os.devnull, "wb")  # noqa: SIM115 (open for the server's whole life)
    dist = args.dist.resolve()
    server = subprocess.Popen(
        [
            *(sys.executable, "-c", "from defkg.cli import main; main()", "serve"),
            *("--dist", str(dist), "--port", str(port)),
        ],
        cwd=dist.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    result: dict = {
        "concurrent": args.concurrent,
        "megabytes": args.megabytes,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("defkg serve did not start") from None
                time.sleep(0.3)
        pid = web_process(server.pid)
        fetch(url + "sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
        time.sleep(1)
        result["idle_kib"] = rss_kib(pid)
        peak = result["idle_kib"]
        sizes: list[int] = []
        for round_ in range(args.rounds):
            # Each query differs (an offset) so that no answer comes from the result cache.
            queries = [
                large_query(args.megabytes) + f" OFFSET {round_ * args.concurrent + i}"
                for i in range(args.concurrent)
            ]
            threads = [
                threading.Thread(
                    target=lambda q=q, i=i: sizes.append(
                        fetch(
                            url + "sparql?" + urllib.parse.urlencode({"query": q}),
                            f"127.0.0.{10 + i}",
                        )[1]
                    )
                )
                for i, q in enumerate(queries)
            ]
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                peak = max(peak, rss_kib(pid))
                time.sleep(0.05)
        result["answer_megabytes"] = round(sum(sizes) / len(sizes) / 1e6, 1) if sizes else 0
        result["answers"] = len(sizes)
        result["peak_kib"] = peak
        result["after_kib"] = rss_kib(pid)
        time.sleep(args.settle)
        result["settled_kib"] = rss_kib(pid)
        result["growth_mib"] = round((result["settled_kib"] - result["idle_kib"]) / 1024, 1)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
