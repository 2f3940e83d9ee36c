"""Run the benchmarks: build a synthetic corpus, then serve it three ways and load them alike.

For each size: generate the corpus (``generate.py``), time the full build and an incremental
rebuild after changing one report (wall time and peak memory of the build's process tree), then
start, on the same data,

* **defkg**: ``defkg serve`` on the embedded on-disk store (its default graph: the asserted
  graphs);
* **oxigraph**: ``oxigraph serve-read-only`` over an on-disk store loaded with the release's
  asserted view (``defkg.nt``, the same triples as defkg's default graph);
* **rdflib**: the plain Flask + rdflib endpoint of ``rdflib_endpoint.py`` over ``defkg.nt``;
* **defkg-nocache**: defkg with its result cache off (``DEFKG_RESULT_CACHE_BYTES=0``), unless
  ``--no-uncached``; **defkg-before**: another checkout's defkg (``--before``), if given.

Every query of the competency mix is first asked of all three and the answers are compared
(fail loudly on any difference); under load every response must be the exact bytes that server
gave for that query before. Load: a bounded Python client (threads, one keep-alive
``http.client`` connection each) on loopback, at each concurrency for ``--duration`` seconds.

    python benchmarks/run.py --triples 100000 --work /tmp/defkg-bench

Results: a Markdown summary on stdout and the raw numbers in ``--json``.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

#: The defkg command, run by this Python (whatever `defkg` is on PATH).
DEFKG = [sys.executable, "-c", "from defkg.cli import main; main()"]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIXES = """PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX kg: <https://w3id.org/defkg/id/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


class BenchmarkFailed(Exception):
    """A server answered wrongly or could not be started: the run is void."""


# --- processes and memory --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    return sum(status_kib(p, "VmRSS") for p in process_tree(pid))


def tree_peak_kib(pid: int) -> int:
    """The sum of each process's own peak RSS (VmHWM): an upper bound of the tree's peak."""
    return sum(status_kib(p, "VmHWM") for p in process_tree(pid))


def tree_pss_kib(pid: int) -> int:
    """The summed PSS of a process tree: each page shared after a fork counted once overall
    (split among its sharers), where summed RSS counts it once per process."""
    total = 0
    for process in process_tree(pid):
        try:
            for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


class RssSampler(threading.Thread):
    """Samples the RSS and PSS of a process tree every 50 ms; ``peak`` and ``peak_pss`` are
    the largest sums seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_kib(self.pid))
            self.peak_pss = max(self.peak_pss, tree_pss_kib(self.pid))
            self._halt.wait(0.05)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def timed_command(command: list[str], log: Path, cwd: Path | None = None) -> tuple[float, int, int]:
    """Run ``command`` to completion; wall seconds, and the peak summed RSS and PSS (KiB) of
    its process tree."""
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        sampler = RssSampler(process.pid)
        sampler.start()
        code = process.wait()
        elapsed = time.monotonic() - started
        peak = sampler.stop()
    if code != 0:
        raise BenchmarkFailed(f"{' '.join(command)} failed ({code}); see {log}")
    return elapsed, peak, sampler.peak_pss


# --- the three servers -----------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    started: float
    log: Path
    startup_seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/sparql" if self.name != "oxigraph" else "/query"

    def stop(self) -> int:
        """Stop the server; returns the peak RSS (KiB) of its process tree, read just before."""
        peak = tree_peak_kib(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return peak


def ask(port: int, path: str, query: str, timeout: float = 300) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "GET",
            f"{path}?{urllib.parse.urlencode({'query': query})}",
            headers={"Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_first_answer(server: Server, query: str, limit: float = 900) -> float:
    """Seconds from the server's start to its first correct-status answer to ``query``."""
    deadline = server.started + limit
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkFailed(f"{server.name} exited early; see {server.log}")
        try:
            status, _ = ask(server.port, server.path, query, timeout=60)
            if status == 200:
                return time.monotonic() - server.started
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchmarkFailed(f"{server.name} gave no answer within {limit} s; see {server.log}")


def spawn(name: str, command: list[str], log: Path, env: dict[str, str], cwd: Path) -> Server:
    port = int(command[command.index("--port") + 1]) if "--port" in command else 0
    out = log.open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=cwd
    )
    return Server(name, port, process, started, log)


def start_defkg(
    dist: Path,
    work: Path,
    probe: str,
    query_timeout: float,
    *,
    name: str = "defkg",
    settings: dict[str, str] | None = None,
    source: Path | None = None,
) -> Server:
    """``defkg serve`` over ``dist``; ``settings``: extra DEFKG_* variables; ``source``: the
    ``server/`` folder of another checkout to run instead of this one (a "before" variant)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
    # The other two servers have no time limit; defkg's is raised so that a slow answer is
    # measured as slow rather than refused (504), which would void the comparison.
    env["DEFKG_QUERY_TIMEOUT"] = str(query_timeout)
    env.update(settings or {})
    if source is not None:
        # Ahead of the editable install's path entry, so that checkout's defkg is imported.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    server = spawn(
        name,
        [*DEFKG, "serve", "--dist", str(dist), "--port", str(port)],
        work / f"{name}-serve.log",
        env,
        dist.parent,
    )
    server.port = port
    server.startup_seconds = wait_first_answer(server, probe)
    return server


def start_oxigraph(nt: Path, work: Path, probe: str) -> Server:
    location = work / "oxigraph-store"
    shutil.rmtree(location, ignore_errors=True)
    load_seconds, _rss, _pss = timed_command(
        ["oxigraph", "load", "--location", str(location), "--file", str(nt)],
        work / "oxigraph-load.log",
    )
    port = free_port()
    server = spawn(
        "oxigraph",
        ["oxigraph", "serve-read-only", "--location", str(location), "--bind",
         f"127.0.0.1:{port}"],
        work / "oxigraph-serve.log",
        {},
        work,
    )  # fmt: skip
    server.port = port
    server.startup_seconds = wait_first_answer(server, probe)
    server.extra["load_seconds"] = load_seconds
    return server


def start_rdflib(nt: Path, work: Path, probe: str, threads: int) -> Server:
    port = free_port()
    server = spawn(
        "rdflib",
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads), "-w", "1",
         "-b", f"127.0.0.1:{port}", "--timeout", "600", "--chdir", str(HERE),
         "rdflib_endpoint:app"],
        work / "rdflib-serve.log",
        {"DEFKG_BENCH_DATA": str(nt)},
        HERE,
    )  # fmt: skip
    server.port = port
    server.startup_seconds = wait_first_answer(server, probe)
    return server


# --- the query mix ---------------------------------------------------------------------------


def query_mix(corpus: Path, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``count`` (name, query) pairs: the competency questions, parameterised over the corpus."""
    reports = sorted(p.stem for p in (corpus / "data").glob("*-mod-*.ttl") if "-mod-" in p.stem)
    synthetic = [
        r for r in reports if r.split("-mod-")[0] in {c.slug for c in generate.make_countries()}
    ]
    if not synthetic:
        raise BenchmarkFailed(f"{corpus}: no synthetic reports")
    countries = sorted({r.split("-mod-")[0] for r in synthetic})
    years = sorted({r.split("-mod-")[1][:4] for r in synthetic})
    rng = random.Random(seed)
    templates = {
        "cq03 missions of a country in a year": """SELECT ?mission ?kind WHERE {{
  ?d defkg:participant kg:{c} ; defkg:mission ?mission ; a ?kind ;
     defkg:period "{y}"^^xsd:gYear .
}} ORDER BY ?mission ?kind""",
        "cq10 firefighting resources": """SELECT ?op ?label ?value ?bound WHERE {{
  ?op a defkg:FirefightingOperation ; defkg:agent kg:armed-forces-of-{c} ;
      defkg:resourceUsed ?q .
  ?q rdfs:label ?label ; defkg:numericValue ?value ; defkg:bound ?bound .
}} ORDER BY ?op ?value ?label""",
        "cq06 personnel in peacekeeping": """SELECT ?fact ?date ?value WHERE {{
  ?fact a defkg:PersonnelSnapshot ; defkg:organization kg:armed-forces-of-{c} ;
        defkg:asOf ?date ; defkg:quantity ?q .
  ?q defkg:numericValue ?value .
}} ORDER BY ?date ?fact""",
        "cq16 provenance of a fact": """SELECT ?exact ?doc ?who WHERE {{
  kg:{r}-people-saved prov:wasDerivedFrom ?a ; prov:wasAttributedTo ?who .
  ?a oa:hasSource ?doc ; oa:hasSelector ?sel . ?sel oa:exact ?exact .
}} ORDER BY ?exact""",
        "cq14 gold medals by year": """SELECT ?year (SUM(?v) AS ?gold) WHERE {{
  ?p a defkg:SportingParticipation ; defkg:participant kg:armed-forces-of-{c} ;
     defkg:period ?year ; defkg:medalCount ?m .
  ?m defkg:countOf kg:gold-medal ; defkg:numericValue ?v .
}} GROUP BY ?year ORDER BY ?year""",
        "cq09 largest lower bounds": """SELECT ?q ?v WHERE {{
  ?q defkg:bound defkg:moreThan ; defkg:numericValue ?v ; defkg:countOf kg:people .
}} ORDER BY DESC(?v) ?q LIMIT 10""",
        "cq17 Wikidata links": """SELECT ?entity ?item WHERE {{
  ?entity owl:sameAs ?item .
}} ORDER BY ?entity ?item""",
    }
    mix = []
    names = list(templates)
    for i in range(count):
        name = names[i % len(names)]
        query = PREFIXES + templates[name].format(
            c=rng.choice(countries), y=rng.choice(years), r=rng.choice(synthetic)
        )
        mix.append((name, query))
    return mix


def canonical(body: bytes) -> list[dict[str, tuple[str, str, str | None, str | None]]]:
    """SPARQL JSON rows with plain literals and xsd:string literals treated as equal."""
    data = json.loads(body)
    rows = []
    for binding in data["results"]["bindings"]:
        row = {}
        for name, term in binding.items():
            kind = "literal" if term["type"] == "typed-literal" else term["type"]
            datatype = term.get("datatype")
            if datatype == XSD_STRING:
                datatype = None
            row[name] = (kind, term["value"], datatype, term.get("xml:lang"))
        rows.append(row)
    return rows


def check_answers(servers: list[Server], mix: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Ask every distinct query of the mix of every server; all must give the same rows.

    Returns, per server, the SHA-1 of its exact answer bytes per query (checked under load).
    """
    reference: dict[str, dict[str, str]] = {s.name: {} for s in servers}
    empty = 0
    for name, query in dict.fromkeys(mix):
        answers = {}
        for server in servers:
            status, body = ask(server.port, server.path, query)
            if status != 200:
                raise BenchmarkFailed(f"{server.name} answered {status} to {name}: {body[:300]!r}")
            answers[server.name] = canonical(body)
            reference[server.name][query] = hashlib.sha1(body).hexdigest()
        first = servers[0].name
        for other, rows in answers.items():
            if rows != answers[first]:
                raise BenchmarkFailed(
                    f"WRONG ANSWER: {other} and {first} differ on {name}:\n{query}\n"
                    f"{first}: {answers[first][:5]}\n{other}: {rows[:5]}"
                )
        empty += not answers[first]
    if empty > len(dict.fromkeys(mix)) // 2:
        raise BenchmarkFailed(f"{empty} of the mix's queries have no answer: the mix is wrong")
    return reference


#: numbers every load of the run, so that no two loads send the same never-repeated query
_LOADS = itertools.count(1)

#: the two mixes a server is loaded with: the mix as it is (a result cache serves its repeats)
#: and the same queries each made unique by a comment (nothing can serve them from a cache)
MIXES = ("repeated", "never-repeated")


@dataclass
class LoadResult:
    server: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: list[str]
    mix: str = "repeated"

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def load(
    server: Server,
    mix: list[tuple[str, str]],
    reference: dict[str, str],
    concurrency: int,
    duration: float,
    mix_kind: str = "repeated",
) -> LoadResult:
    """``concurrency`` clients send the mix back to back for ``duration`` seconds.

    ``mix_kind`` "never-repeated": every request's query ends with a comment of its own (this
    load's number in the run, the client and a counter), which changes no answer but makes
    every query text new, so that no result cache, however keyed, can answer it: not in
    this load, nor in any other load of the run (a warm-up, an earlier round).
    """
    unique = mix_kind == "never-repeated"
    run_number = next(_LOADS)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    # Each client connects from an address of its own (any 127.0.0.x is this machine), as
    # separate clients do: defkg keeps budgets per client address.
    def connect(index: int) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=600, source_address=(f"127.0.0.{2 + index}", 0)
        )

    def client(index: int) -> None:
        connection = connect(index)
        position = index * (len(mix) // max(concurrency, 1))
        mine: list[float] = []
        while time.monotonic() < stop_at:
            name, query = mix[position % len(mix)]
            position += 1
            sent = (
                f"{query}\n# load {run_number} client {index} request {position}"
                if unique
                else query
            )
            target = f"{server.path}?{urllib.parse.urlencode({'query': sent})}"
            started = time.perf_counter()
            try:
                connection.request(
                    "GET", target, headers={"Accept": "application/sparql-results+json"}
                )
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{name}: {error}")
                connection.close()
                connection = connect(index)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or hashlib.sha1(body).hexdigest() != reference[query]:
                with lock:
                    errors.append(f"{name}: status {response.status}, {len(body)} bytes differ")
                continue
            mine.append(elapsed)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    return LoadResult(
        server.name, concurrency, len(latencies), seconds, latencies, errors, mix_kind
    )


# --- the whole run ---------------------------------------------------------------------------


def change_one_report(corpus: Path) -> Path:
    """Edit one synthetic report's facts (a quantity's label), as a curator would."""
    report = sorted((corpus / "data").glob("aldoria-mod-*.ttl"))[0]
    text = report.read_text(encoding="utf-8")
    marker = "people saved"
    if marker not in text:
        raise BenchmarkFailed(f"{report}: nothing to change")
    report.write_text(text.replace(marker, "people saved (revised)", 1), encoding="utf-8")
    return report


def machine() -> dict[str, str]:
    def run(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import pyoxigraph
    import rdflib

    return {
        "nproc": run(["nproc"]),
        "cpu": cpu,
        "memory": run(["free", "-h"]).splitlines()[1] if run(["free", "-h"]) else "?",
        "python": platform.python_version(),
        "rdflib": rdflib.__version__,
        "pyoxigraph": pyoxigraph.__version__,
        "oxigraph": run(["oxigraph", "--version"]),
        "kernel": platform.release(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run_size(args: argparse.Namespace, triples: int, result: dict) -> None:
    """Measure one size, filling ``result`` as it goes (so a failure keeps what was measured)."""
    work = args.work / f"{triples}"
    corpus, dist = work / "corpus", work / "corpus" / "dist"
    work.mkdir(parents=True, exist_ok=True)
    reports = generate.report_count_for(triples)
    result.update({"target_triples": triples, "reports": reports})
    print(f"## {triples:,} triples ({reports} synthetic reports)", file=sys.stderr)

    kinds: tuple[str, ...] = ()
    if args.rebuild_only:
        if not (dist / "defkg.trig").is_file():
            raise BenchmarkFailed(f"--rebuild-only: no built corpus in {corpus}")
        # the corpus and its caches as a previous run left them: a first build brings the
        # caches up to this code (what it changed is done again), then one report changes
        kinds = ("warm", "incremental")
    elif not args.skip_build or not (dist / "defkg.trig").is_file():
        generate.generate(corpus, reports)
        kinds = ("full", "incremental")
    # not -q: the log keeps each stage's time (the cross-source stage's among them)
    command = [*DEFKG, "build", "--root", str(corpus)]
    for kind in kinds:
        if kind == "incremental":
            result["changed_report"] = change_one_report(corpus).name
        log = work / f"build-{kind}.log"
        load_before = os.getloadavg()
        seconds, rss, pss = timed_command(command, log, cwd=corpus)
        result[f"build_{kind}"] = {
            "seconds": seconds,
            "peak_rss_mib": rss / 1024,
            "peak_pss_mib": pss / 1024,
            "stages": stage_seconds(log),
            "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        }
        print(f"{kind} build {seconds:.1f} s, peak {rss / 1024:.0f} MiB", file=sys.stderr)

    total = sum(1 for line in (dist / "defkg.nq").open("rb") if line.strip())
    served = sum(1 for line in (dist / "defkg.nt").open("rb") if line.strip())
    result["release_triples"] = total
    result["default_graph_triples"] = served
    result["derived_graph_triples"] = sum(
        1 for line in (dist / "defkg.nq").open("rb") if line.rstrip().endswith(b"/graph/derived> .")
    )
    if args.build_only or args.rebuild_only:
        return

    mix = query_mix(corpus, args.mix_size)
    probe = mix[-1][1]
    shutil.rmtree(dist.parent / ".defkg-cache", ignore_errors=True)
    servers: list[Server] = []
    try:
        cold = start_defkg(dist, work, probe, args.defkg_timeout)
        result["defkg_cold_start_seconds"] = cold.startup_seconds
        cold.stop()
        servers.append(start_defkg(dist, work, probe, args.defkg_timeout))
        if not args.no_uncached:
            # The same server with its result cache off: what a mix of never-repeated
            # queries would see (the mix here repeats, so the cached server mostly hits).
            servers.append(
                start_defkg(
                    dist,
                    work,
                    probe,
                    args.defkg_timeout,
                    name="defkg-nocache",
                    settings={"DEFKG_RESULT_CACHE_BYTES": "0"},
                )
            )
        if args.before:
            servers.append(
                start_defkg(
                    dist, work, probe, args.defkg_timeout, name="defkg-before", source=args.before
                )
            )
        for name, settings in args.variant:
            # Extra defkg servers with settings of their own; a name starting with
            # "defkg-before" runs the --before checkout.
            source = args.before if name.startswith("defkg-before") else None
            if name.startswith("defkg-before") and source is None:
                raise BenchmarkFailed(f"variant {name} needs --before")
            server = start_defkg(
                dist, work, probe, args.defkg_timeout, name=name, settings=settings, source=source
            )
            servers.append(server)
        servers.append(start_oxigraph(dist / "defkg.nt", work, probe))
        if not args.no_rdflib:
            servers.append(start_rdflib(dist / "defkg.nt", work, probe, threads=8))
        result["startup_seconds"] = {s.name: s.startup_seconds for s in servers}
        oxigraph = next(s for s in servers if s.name == "oxigraph")
        result["oxigraph_load_seconds"] = oxigraph.extra["load_seconds"]
        reference = check_answers(servers, mix)
        result["distinct_queries_checked"] = len(dict.fromkeys(mix))
        if args.warmup > 0:
            # Every server first serves the never-repeated mix for the same time, unmeasured:
            # its processes reach their steady state (the interpreter's caches, the store's
            # pages and block caches, the allocator) without a single measured query being
            # answered from a result cache.
            for server in servers:
                warmup = load(
                    server,
                    mix,
                    reference[server.name],
                    max(args.concurrency),
                    args.warmup,
                    "never-repeated",
                )
                if warmup.errors:
                    raise BenchmarkFailed(
                        f"WRONG ANSWER in the warm-up of {server.name}: "
                        + "; ".join(warmup.errors[:5])
                    )
            result["warmup_seconds"] = args.warmup
        result["rounds"] = args.rounds
        result["load"] = []
        for concurrency in args.concurrency:
            for mix_kind in args.mixes:
                rounds: dict[str, list[LoadResult]] = {s.name: [] for s in servers}
                for round_index in range(args.rounds):
                    # Alternate the order, so that no server is always the one measured
                    # first (or last) while the machine drifts.
                    order = servers if round_index % 2 == 0 else servers[::-1]
                    for server in order:
                        duration = args.duration * (2 if server.name == "rdflib" else 1)
                        outcome = load(
                            server, mix, reference[server.name], concurrency, duration, mix_kind
                        )
                        if outcome.errors:
                            raise BenchmarkFailed(
                                f"WRONG ANSWER under load from {server.name} (c={concurrency}, "
                                f"{mix_kind}): " + "; ".join(outcome.errors[:5])
                            )
                        rounds[server.name].append(outcome)
                        print(
                            f"{server.name:8} c={concurrency} {mix_kind} round {round_index + 1}: "
                            f"{outcome.throughput:8.1f} req/s p50 {outcome.percentile(50):7.1f} ms "
                            f"p99 {outcome.percentile(99):7.1f} ms",
                            file=sys.stderr,
                        )
                for server in servers:
                    result["load"].append(summary(rounds[server.name]))
    finally:
        result["server_peak_rss_mib"] = {s.name: s.stop() / 1024 for s in servers}


def stage_seconds(log: Path) -> dict[str, float]:
    """Each stage's seconds from a build's progress lines ("defkg: derive: … (2.49 s)")."""
    import re

    found = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"defkg: (\w+): .*\((\d+(?:\.\d+)?) s\)$", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def summary(rounds: list[LoadResult]) -> dict:
    """One server's loads at one concurrency and mix: the median round, with every round's
    throughput (the median, not the mean: one disturbed round does not move it)."""
    ordered = sorted(rounds, key=lambda o: o.throughput)
    o = ordered[(len(ordered) - 1) // 2]
    return {
        "server": o.server,
        "mix": o.mix,
        "concurrency": o.concurrency,
        "requests": o.requests,
        "seconds": round(o.seconds, 2),
        "throughput": round(o.throughput, 1),
        "p50_ms": round(o.percentile(50), 2),
        "p99_ms": round(o.percentile(99), 2),
        "round_throughputs": [round(r.throughput, 1) for r in rounds],
    }


def markdown(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(
            f"### {r['release_triples']:,} triples in the release "
            f"({r['default_graph_triples']:,} in the served default graph; "
            f"{r['reports']} synthetic reports)\n"
        )
        if "build_warm" in r:
            warm = r["build_warm"]
            lines.append(
                f"- build: with the previous run's caches {warm['seconds']:.1f} s, then "
                f"incremental after one report changed {r['build_incremental']['seconds']:.1f} s"
            )
        if "build_full" in r:
            full, incremental = r["build_full"], r["build_incremental"]
            lines.append(
                f"- build: full {full['seconds']:.1f} s (peak summed RSS "
                f"{full['peak_rss_mib']:.0f} MiB, PSS {full['peak_pss_mib']:.0f} MiB), "
                f"incremental after one report changed {incremental['seconds']:.1f} s "
                f"(RSS {incremental['peak_rss_mib']:.0f} MiB, PSS "
                f"{incremental['peak_pss_mib']:.0f} MiB)"
            )
        if "build_incremental" in r:
            stages = r["build_incremental"].get("stages", {})
            lines.append(
                "- incremental stages: "
                + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
                + f"; derived graph {r.get('derived_graph_triples', 0):,} triples"
            )
        if "startup_seconds" not in r:
            continue  # --build-only
        starts = ", ".join(f"{k} {v:.2f} s" for k, v in r["startup_seconds"].items())
        lines.append(
            f"- start-up to first answer: {starts}; defkg cold (building its on-disk store) "
            f"{r['defkg_cold_start_seconds']:.2f} s; "
            f"oxigraph load {r['oxigraph_load_seconds']:.1f} s"
        )
        peaks = ", ".join(f"{k} {v:.0f} MiB" for k, v in r["server_peak_rss_mib"].items())
        lines.append(f"- server peak RSS (sum over each server's processes): {peaks}")
        lines.append(
            f"- answers compared on {r['distinct_queries_checked']} distinct queries: equal\n"
        )
        rounds = r.get("rounds", 1)
        lines.append(
            f"- every server warmed up with {r.get('warmup_seconds', 0):g} s of never-repeated "
            f"queries; {rounds} round(s) per row, in alternating order: the median round is "
            "shown, every round's req/s in the last column\n"
        )
        lines.append(
            "| server | mix | concurrency | requests | req/s | p50 ms | p99 ms | vs oxigraph "
            "| paired rounds vs oxigraph | rounds (req/s) |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        oxigraph = {
            (o.get("mix", "repeated"), o["concurrency"]): o
            for o in r["load"]
            if o["server"] == "oxigraph"
        }
        for o in r["load"]:
            mix_kind = o.get("mix", "repeated")
            base = oxigraph.get((mix_kind, o["concurrency"]))
            ratio = (
                f"{o['throughput'] / base['throughput']:.2f}x"
                if base and base["throughput"]
                else "-"
            )
            paired = "-"
            if base is not None and base is not o:
                ratios = paired_ratios(o.get("round_throughputs", []), base["round_throughputs"])
                if ratios:
                    paired = (
                        f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
                    )
            lines.append(
                f"| {o['server']} | {mix_kind} | {o['concurrency']} | {o['requests']} | "
                f"{o['throughput']} | {o['p50_ms']} | {o['p99_ms']} | {ratio} | {paired} | "
                + ", ".join(str(t) for t in o.get("round_throughputs", [o["throughput"]]))
                + " |"
            )
        lines.append("")
    return "\n".join(lines)


def paired_ratios(throughputs: list[float], base_throughputs: list[float]) -> list[float]:
    """Each round's throughput over the base server's in the same round.

    The rounds of one row are measured back to back, so the machine's drift from one round
    to the next (±20 % on a shared 2-core machine) moves both servers of a round alike: the
    median of these ratios, with their range, is a steadier comparison than the ratio of the
    two median rounds, which may come from different moments.
    """
    return [t / b for t, b in zip(throughputs, base_throughputs, strict=False) if b]


#: environment variables a variant may set besides DEFKG_*: the C allocator's (which library,
#: and glibc's tunables), to measure the server's processes under another malloc
VARIANT_ALLOCATOR_VARIABLES = ("LD_PRELOAD", "GLIBC_TUNABLES")


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``NAME:KEY=VALUE,KEY=VALUE`` → (name, settings); every key must be a DEFKG_* variable
    or one of :data:`VARIANT_ALLOCATOR_VARIABLES` (a misspelt setting is an error, not a
    variant that silently measures the default)."""
    name, _, pairs = text.partition(":")
    settings = {}
    for pair in filter(None, pairs.split(",")):
        key, equals, value = pair.partition("=")
        if not equals or not (key.startswith("DEFKG_") or key in VARIANT_ALLOCATOR_VARIABLES):
            raise argparse.ArgumentTypeError(
                f"{pair!r}: expected DEFKG_NAME=VALUE, LD_PRELOAD=… or GLIBC_TUNABLES=…"
            )
        settings[key] = value
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:KEY=VALUE[,KEY=VALUE]")
    return name, settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/defkg-bench"))
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds of never-repeated queries every server answers, unmeasured, before "
        "the first measured load (0: none)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="load every server this many times at each concurrency and mix, in alternating "
        "order; the median round is reported",
    )
    parser.add_argument("--mix-size", type=int, default=70, help="queries in the mix")
    parser.add_argument(
        "--mixes",
        nargs="+",
        choices=MIXES,
        default=list(MIXES),
        help="load each server with the mix as it is, with every query made unique, or both",
    )
    parser.add_argument(
        "--defkg-timeout", type=float, default=300.0, help="DEFKG_QUERY_TIMEOUT for defkg serve"
    )
    parser.add_argument("--skip-build", action="store_true", help="reuse a built corpus")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="time the full and the incremental build only (no servers, no load)",
    )
    parser.add_argument(
        "--rebuild-only",
        action="store_true",
        help="reuse the corpus built under --work with its caches: one build (after a code "
        "change it brings the caches up to date), then one report changed and the incremental "
        "build, both timed (no servers, no load)",
    )
    parser.add_argument(
        "--no-uncached",
        action="store_true",
        help="leave out defkg-nocache (defkg with DEFKG_RESULT_CACHE_BYTES=0)",
    )
    parser.add_argument(
        "--no-rdflib", action="store_true", help="leave out the rdflib baseline (the slowest)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="also serve as defkg-before the server/ folder of another checkout "
        "(e.g. `git archive <commit> server | tar -x -C /tmp/before`, then /tmp/before/server)",
    )
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE[,KEY=VALUE]",
        help="also serve defkg as NAME with these DEFKG_* settings (repeatable), e.g. "
        "defkg-before-nocache:DEFKG_RESULT_CACHE_BYTES=0 (a NAME starting with defkg-before "
        "runs the --before checkout); LD_PRELOAD and GLIBC_TUNABLES are accepted too, to try "
        "another C allocator",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    args = parser.parse_args(argv)
    report: dict = {"machine": machine(), "results": []}
    failed = None
    try:
        for triples in args.triples:
            result: dict = {}
            report["results"].append(result)
            run_size(args, triples, result)
    except BenchmarkFailed as error:
        failed = str(error)
        report["failed"] = failed
    if args.json:
        # Written even after a failure: what was measured before it stays on record.
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if failed:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        return 1
    print("\n".join(f"- {k}: {v}" for k, v in report["machine"].items()) + "\n")
    print(markdown(report["results"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
