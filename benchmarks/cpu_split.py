"""Where a never-repeated request's CPU goes: per process kind, defkg beside Oxigraph.

Serves the corpus that ``run.py`` built under ``--work`` with ``defkg serve`` and with
``oxigraph serve-read-only``, warms both up, then loads each in turn with the never-repeated
mix (as ``run.py`` does) and reads every process's CPU time from ``/proc`` before and after:
the web processes, the query workers (started from a thread of a web process, so they are
found through every thread's children) and this process, the load generator. With every CPU
busy, throughput is the CPU a request costs, so the split says what a faster server must cut.
Last, the engine alone: the query workers' own ``execute`` over defkg's on-disk store, in this
process, one never-repeated query after another (no HTTP, no pipe).

    python benchmarks/cpu_split.py --work /tmp/front-bench --triples 100000 --rounds 2

Linux only (``/proc``). No profiler is attached: the numbers are the processes' own.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import pyoxigraph as ox

import run
from defkg.store.embedded import execute, store_path_for
from defkg.store.jobs import QueryJob

_TICKS = os.sysconf("SC_CLK_TCK")


def _kind(pid: int, root: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    if b"resource_tracker" in command:
        return "resource tracker"
    if b"spawn_main" in command:
        return "query workers"
    return "server" if pid == root else "web processes"


def cpu_by_kind(root: int) -> dict[str, float]:
    """Seconds of CPU (user + system) so far of ``root`` and its descendants, by kind."""
    seconds: dict[str, float] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            kind = _kind(pid, root)
            for thread in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{thread}/children").read_text().split()
                pending += [int(child) for child in children]
        except OSError:
            continue  # ended meanwhile
        seconds[kind] = seconds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / _TICKS
    return seconds


def engine_alone(dist: Path, mix: list[tuple[str, str]], seconds: float) -> tuple[int, float]:
    """(queries, CPU ms per query) of ``execute`` on defkg's store in this process."""
    store = ox.Store.read_only(str(store_path_for(dist)))
    count, started, cpu_before = 0, time.monotonic(), own_cpu()
    while time.monotonic() - started < seconds:
        _, query = mix[count % len(mix)]
        job = QueryJob(f"{query}\n# engine alone {count}", None, None,
                       "application/sparql-results+json", None, 10**6, 10**9)  # fmt: skip
        execute(store, job)
        count += 1
    return count, (own_cpu() - cpu_before) * 1000 / max(count, 1)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/defkg-bench"))
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mix-size", type=int, default=70)
    args = parser.parse_args(argv)

    work = args.work / str(args.triples)
    corpus, dist = work / "corpus", work / "corpus" / "dist"
    if not (dist / "defkg.trig").is_file():
        print(f"no corpus under {work}: run benchmarks/run.py --build-only first", file=sys.stderr)
        return 2
    mix = run.query_mix(corpus, args.mix_size)
    probe = mix[-1][1]
    servers = [run.start_defkg(dist, work, probe, 600.0)]
    try:
        servers.append(run.start_oxigraph(dist / "defkg.nt", work, probe))
        reference = run.check_answers(servers, mix)
        for server in servers:
            run.load(server, mix, reference[server.name], args.concurrency, args.duration,
                     "never-repeated")  # fmt: skip
        print("| server | round | req/s | CPU ms per request, by process | sum |")
        print("|---|---|---|---|---|")
        for round_number in range(1, args.rounds + 1):
            for server in servers:
                before, mine = cpu_by_kind(server.process.pid), own_cpu()
                outcome = run.load(server, mix, reference[server.name], args.concurrency,
                                   args.duration, "never-repeated")  # fmt: skip
                after = cpu_by_kind(server.process.pid)
                spent = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
                spent["load generator"] = own_cpu() - mine
                per_request = {
                    kind: seconds * 1000 / max(outcome.requests, 1)
                    for kind, seconds in spent.items()
                    if seconds > 0
                }
                split = ", ".join(f"{kind} {ms:.2f}" for kind, ms in per_request.items())
                print(
                    f"| {server.name} | {round_number} | {outcome.throughput:,.0f} | {split} "
                    f"| {sum(per_request.values()):.2f} |",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
    for round_number in range(1, args.rounds + 1):
        count, per_query = engine_alone(dist, mix, args.duration)
        rate = count / args.duration
        print(
            f"| pyoxigraph in one process | {round_number} | {rate:,.0f} (one at a time) "
            f"| the engine alone {per_query:.2f} | {per_query:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
