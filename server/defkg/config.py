"""Every setting of defkg in one place.

A :class:`Settings` is built once (from CLI flags, then ``DEFKG_*`` environment variables, then
the defaults below) and handed to the build, the store and ``create_app``. No other module reads
the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from defkg.iris import DEFAULT_BASE, IriScheme


def _default_service_allowlist() -> tuple[str, ...]:
    return ("https://query.wikidata.org/sparql",)


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the build, the store and the web app."""

    # --- the project and its release -------------------------------------------------------
    #: the project: its ontology/, data/, shapes/, queries/ (a relative path is taken from the
    #: working directory when the settings are made, and kept absolute from then on)
    root: Path = Path(".")
    #: where the release is published (relative: to the working directory, as root)
    dist: Path = Path("dist")
    base: str = DEFAULT_BASE  #: the canonical base IRI of everything the dataset mints
    #: worker processes of the build (load, reason, validate, render): 0 is one per CPU, 1 runs
    #: everything in one process (slower; for debugging, profiling, or a machine short of memory)
    build_workers: int = 0

    # --- serving ---------------------------------------------------------------------------
    host: str = "127.0.0.1"  #: the interface `defkg serve` and `defkg preview` listen on
    port: int = 8000  #: the port they listen on
    public_url: str | None = None  #: the URL clients reach us at, if not http://host:port/
    store: str = "embedded"  #: "embedded", or the URL of a remote SPARQL endpoint
    #: the Graph Store Protocol endpoint of a remote store (default: its …/query → …/store)
    store_gsp: str | None = None
    #: a remote store: name the release's graphs on every query instead of relying on the
    #: store's default graph holding the asserted view (slower; for stores that cannot)
    store_explicit_dataset: bool = False
    workers: int = 2  #: query worker processes (embedded store), per web process
    #: WSGI threads answering HTTP requests, per web process, for a remote store (waitress);
    #: the embedded store's HTTP front runs every request on one event loop, without threads
    threads: int = 16
    #: gunicorn processes answering HTTP (embedded store), 0: one per CPU, at most 8 (set, at
    #: most 64); each runs its own query pool and result cache, and they share the
    #: max_concurrent_queries admission and the per-client budgets. One Python process cannot
    #: use more than one CPU for HTTP.
    web_processes: int = 0
    #: bind each web process's HTTP front to a CPU of its own (the least used), as nginx's
    #: worker_cpu_affinity does; its query workers still run on any CPU. Measured on 2 cores
    #: with waitress's threads, which hand the interpreter lock to each other several times
    #: per query (cheaply on one CPU): +1 to +9 % never-repeated queries a second
    #: (benchmarks/RESULTS.md)
    pin_web_processes: bool = True
    #: connections one web process holds open at once; an idle or slow one costs a socket and
    #: a few kB (never a thread), so this is high; beyond it a new connection is closed at once
    max_connections: int = 1000
    #: seconds a connection may stay silent (idle keep-alive, or a client that does not read
    #: its answer) before it is closed
    client_timeout: float = 30.0
    #: seconds to receive one request whole, headers and body: a client that trickles its
    #: request (slowloris) is cut off then, however steadily it sends
    request_read_timeout: float = 20.0

    # --- limits on the public endpoint -----------------------------------------------------
    query_timeout: float = 30.0  #: seconds a query may run before it is stopped
    max_query_length: int = 20_000  #: characters in one query
    #: brackets, braces and parentheses nested in one query (400 above it): the query engine
    #: recurses per level, and a few thousand levels overflow a query worker's stack
    max_query_nesting: int = 64
    max_request_bytes: int = 100_000  #: request body size (413 above it)
    max_result_rows: int = 100_000  #: rows (or triples) in one result
    max_result_bytes: int = 50_000_000  #: serialised bytes in one result
    max_concurrent_queries: int = 8  #: queries running or waiting; 503 above it
    #: queries one client (an address) may have running at once, 429 above it; 0: half the
    #: query workers of a web process (at least one), so one client never holds them all
    client_max_concurrent_queries: int = 0
    #: seconds of query-worker time one client may use per minute, 429 above it (0: no limit);
    #: a query that crashes its worker is charged query_timeout seconds
    client_query_seconds: float = 60.0
    #: addresses or networks (CIDR) of the proxies in front of the server, whose
    #: X-Forwarded-For names the client (comma-separated); nobody else's is believed
    trusted_proxies: tuple[str, ...] = ()
    #: the SERVICE endpoints a query may call (comma-separated URLs; an entry ending in "/"
    #: allows everything under it); anything else is refused before any connection
    service_allowlist: tuple[str, ...] = field(default_factory=_default_service_allowlist)
    service_timeout: float = 10.0  #: seconds for a query that calls SERVICE
    service_max_bytes: int = 10_000_000  #: bytes of one SERVICE answer (embedded store)
    max_query_memory_mb: int = 512  #: resident memory of one query worker; stopped above it
    #: bytes of serialised SPARQL answers each web process keeps for repeated queries, keys
    #: included (0: off); the index of repeated GET requests holds at most an eighth more
    result_cache_bytes: int = 64 * 2**20

    def __post_init__(self) -> None:
        # Every path is made absolute here, against the working directory of now, however the
        # settings are made (from the environment, by ``Settings(dist=Path("dist"))`` in code,
        # by ``replace``): a relative path handed on would be resolved again by whoever opens
        # it, against whatever that takes as its base (Flask's ``send_file`` takes the app's
        # package folder, which made every download a 500).
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (str, os.PathLike)) and isinstance(f.default, Path):
                object.__setattr__(self, f.name, Path(value).resolve())

    @property
    def site_url(self) -> str:
        """The URL clients reach the server at, ending in '/': ``public_url`` if set, else the
        address ``defkg serve`` binds. Every absolute URL the server writes (service
        description, query form, VoID) starts with it; never with a request's Host header."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        host = self.host
        if host in ("", "0.0.0.0", "::"):  # every interface: name the machine
            import socket

            host = socket.getfqdn()
        if ":" in host:  # an IPv6 literal
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def iris(self) -> IriScheme:
        return IriScheme(self.base)

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        chosen: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **chosen)


def settings_from_env(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from ``DEFKG_<FIELD>`` variables, then explicit overrides (CLI flags) on top."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}  # each converted to its field's type below
    for f in fields(Settings):
        raw = environ.get("DEFKG_" + f.name.upper())
        if raw is None:
            continue
        default = getattr(Settings, f.name, None)
        if f.name == "service_allowlist" or isinstance(default, tuple):
            values[f.name] = tuple(u.strip() for u in raw.split(",") if u.strip())
        elif isinstance(default, Path):
            values[f.name] = Path(raw)
        elif isinstance(default, bool):
            values[f.name] = raw.lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, int):
            values[f.name] = int(raw)
        elif isinstance(default, float):
            values[f.name] = float(raw)
        else:
            values[f.name] = raw
    return Settings(**values).with_overrides(**overrides)


def shown_path(path: Path) -> Path:
    """``path`` as people are told it: relative to the working directory when it is below it."""
    path = Path(path)
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
