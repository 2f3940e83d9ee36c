"""The store interface: where the published release is queried from.

Two implementations, chosen by ``Settings.store``: the embedded store (pyoxigraph on disk, the
default) and a remote store (any SPARQL 1.1 Protocol + Graph Store Protocol server). The rest of
defkg sees only :class:`Store` and the :class:`QueryRunner` a store makes: nobody asks which
kind of store it has.

``select``/``construct``/``ask`` are for trusted internal queries (the pages, the service
description). The public endpoint never calls them: it sends untrusted queries as
:class:`~defkg.store.jobs.QueryJob` to the store's :class:`QueryRunner`
(``defkg.store.executor`` for the embedded store), which enforces the limits; a runner raises
:class:`Saturated`, :class:`QueryTimeout` or :class:`WorkerCrashed`, and returns every other
failure as an outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import rdflib

    from defkg.config import Settings
    from defkg.store.jobs import QueryJob, QueryOutcome
    from defkg.store.service_relay import ServiceRelay


class Saturated(Exception):
    """Too many queries are running or waiting; the client should retry later."""


class QueryTimeout(Exception):
    """A query overran its time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the query exceeded the time limit of {seconds:g} s and was stopped")
        self.seconds = seconds


class WorkerCrashed(Exception):
    """A query worker died while running a query (a crash of the query engine, not a timeout
    or a memory stop). ``cause`` says how it ended (the signal, or the exit status).

    Typed so that the endpoint answers it with a clear 5xx and can hold back a client that
    keeps crashing workers, as one over its budget.
    """

    def __init__(self, cause: str, hint: str = "") -> None:
        message = f"the query worker crashed while running this query ({cause}); it was replaced"
        super().__init__(message + (f". {hint}" if hint else ""))
        self.cause = cause


class QueryRunner(Protocol):
    """Runs untrusted queries within the limits (time, rows, bytes, memory, admission)."""

    def start(self) -> None:
        """Get ready to answer (start worker processes); idempotent."""
        ...

    def close(self) -> None:
        """Stop whatever :meth:`start` started."""
        ...

    def alive(self) -> int:
        """How many query workers can answer now (for /healthz)."""
        ...

    def run(
        self, job: QueryJob, timeout: float, timings: dict[str, float] | None = None
    ) -> QueryOutcome:
        """The outcome of ``job``; raises :class:`Saturated` or :class:`QueryTimeout`.

        ``timings["ran"]`` is set to the seconds the query ran (waiting for a worker left out),
        however it ended: what a client is charged."""
        ...


class Store(Protocol):
    """What the rest of defkg may ask of a store."""

    def graph_names(self) -> list[str]:
        """Every named graph of the release, sorted."""
        ...

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        """The named graphs whose union is the default graph (for descriptions and checks)."""
        ...

    def query_default_graphs(self, with_inferences: bool) -> tuple[str, ...] | None:
        """What a public query without a dataset runs over (``QueryJob.default_graphs``)."""
        ...

    def release_tag(self) -> str:
        """A short tag naming the release the store holds (changes whenever it does)."""
        ...

    def query_runner(self, settings: Settings) -> QueryRunner:
        """The runner of untrusted queries over this store, within ``settings``' limits."""
        ...

    def service_relay(self, settings: Settings) -> ServiceRelay | None:
        """The loopback relay that caps SERVICE answers, or None where the store's engine
        makes its SERVICE calls from a host of its own (which cannot reach our loopback)."""
        ...

    def select(self, sparql: str) -> list[dict[str, rdflib.term.Node]]:
        """Rows of a trusted SELECT over the default graph."""
        ...

    def construct(self, sparql: str) -> rdflib.Graph:
        """The triples of a trusted CONSTRUCT/DESCRIBE over the default graph."""
        ...

    def ask(self, sparql: str) -> bool:
        """The answer of a trusted ASK over the default graph."""
        ...


def open_store(settings: Settings) -> Store:
    """Open the store ``settings.store`` names: "embedded" (the default) or a remote URL."""
    from defkg.errors import DefkgError

    iris = settings.iris
    if settings.store == "embedded":
        from defkg.store.embedded import EmbeddedStore, prepare_store

        return EmbeddedStore(
            prepare_store(settings.dist),
            inferred_graph=str(iris.inferred_graph),
            shapes_graph=str(iris.shapes_graph),
        )
    from defkg.store.remote import RemoteStore, is_remote

    if is_remote(settings.store):
        return RemoteStore(
            settings.store,
            settings.store_gsp,
            timeout=max(settings.query_timeout, 30.0),
            inferred_graph=str(iris.inferred_graph),
            shapes_graph=str(iris.shapes_graph),
            explicit_dataset=settings.store_explicit_dataset,
        )
    raise DefkgError(
        f"store {settings.store!r}: use 'embedded' or the http(s) URL of a SPARQL endpoint"
    )
