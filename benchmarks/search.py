"""Search at scale: how long the build takes to write ``search.sqlite``, how large it is, and
how fast ``/search`` answers, on a generated corpus (see README.md, "Search").

    python benchmarks/search.py --triples 1000000 --work /tmp/defkg-search-bench

Generates the corpus (benchmarks/generate.py) unless ``--work`` holds one already, loads it as
the build does, writes the index with the build's own function, then asks it never-repeated
queries with the function the ``/search`` view calls (a fresh read-only connection per query,
as each request opens one): names of entities, words of sentences, two-word queries, prefixes,
misspellings that fall through to the trigram step, and words that match nothing. Prints a
Markdown table (p50, p95, p99 and the slowest, per kind) and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))

from defkg.config import Settings  # noqa: E402
from defkg.iris import IriScheme  # noqa: E402
from defkg.pipeline.load import load_project  # noqa: E402
from defkg.pipeline.render.search import entries, index_bytes  # noqa: E402
from defkg.store.search import search  # noqa: E402


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def queries(rows: list, count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries of each kind, drawn from the index's own rows, none repeated."""
    rng = random.Random(seed)
    names = [r.label for r in rows if r.kind not in ("sentence",) and r.label]
    words = sorted({w for r in rows for w in r.text.split() if w.isalpha() and len(w) > 4})
    kinds: dict[str, set[str]] = {k: set() for k in ("name", "word", "two words", "prefix")}
    kinds.update({"misspelt": set(), "nothing": set()})
    while any(len(v) < count for v in kinds.values()):
        name = rng.choice(names)
        word = rng.choice(words)
        other = rng.choice(words)
        if len(kinds["name"]) < count:
            kinds["name"].add(name)
        if len(kinds["word"]) < count:
            kinds["word"].add(word)
        if len(kinds["two words"]) < count:
            kinds["two words"].add(f"{word} {other}")
        if len(kinds["prefix"]) < count:
            kinds["prefix"].add(word[: rng.randint(3, 5)])
        if len(kinds["misspelt"]) < count and len(word) > 6:
            i = rng.randrange(1, len(word) - 1)
            kinds["misspelt"].add(word[:i] + "q" + word[i + 1 :])
        if len(kinds["nothing"]) < count:
            kinds["nothing"].add("zq" + "".join(rng.choice("xkqzjv") for _ in range(8)))
    return {k: sorted(v) for k, v in kinds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/defkg-search-bench"))
    parser.add_argument("--queries", type=int, default=200, help="per kind")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args()
    corpus = args.work / "corpus"
    if not (corpus / "data").is_dir():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                "--triples",
                str(args.triples),
                "--out",
                str(corpus),
            ],
            check=True,
        )
    print(f"load average before: {load_average()}", file=sys.stderr)
    started = time.perf_counter()
    project = load_project(Settings(root=corpus))
    triples = [t for name in project.asserted_graph_names() for t in project.triples(name)]
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    rows = entries(triples)
    data = index_bytes(rows)
    indexed = time.perf_counter() - started
    path = args.work / "search.sqlite"
    path.write_bytes(data)
    again = index_bytes(entries(triples))
    assert again == data, "the index is not the same bytes for the same triples"

    scheme = IriScheme()
    timings: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for kind, asked in queries(rows, args.queries, seed=7).items():
        times = []
        found = 0
        for q in asked:
            t0 = time.perf_counter()
            result = search(path, q, scheme)
            times.append((time.perf_counter() - t0) * 1000)
            found += bool(result.total)
        timings[kind] = times
        hits[kind] = found

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    print(f"\nCorpus: {args.triples:,} triples requested, {len(triples):,} asserted triples loaded")
    print(f"Index: {len(rows):,} rows, {len(data) / 1e6:.1f} MB; built in {indexed:.1f} s")
    print(f"(loading the project took {loaded:.1f} s; the same bytes twice: yes)\n")
    print("| queries | n | found | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    everything: list[float] = []
    for kind, times in timings.items():
        everything += times
        print(
            f"| {kind} | {len(times)} | {hits[kind]} | {statistics.median(times):.2f} | "
            f"{pct(times, 95):.2f} | {pct(times, 99):.2f} | {max(times):.2f} |"
        )
    print(
        f"| all | {len(everything)} | {sum(hits.values())} | {statistics.median(everything):.2f} "
        f"| {pct(everything, 95):.2f} | {pct(everything, 99):.2f} | {max(everything):.2f} |"
    )
    print(f"\nload average after: {load_average()} (2 cores, shared)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "triples": args.triples,
                    "asserted_triples": len(triples),
                    "rows": len(rows),
                    "bytes": len(data),
                    "index_seconds": indexed,
                    "timings_ms": timings,
                    "load_average": load_average(),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
