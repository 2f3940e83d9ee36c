"""The Publication: one release served by one app (settings, release dir, store, query pool).

``app.extensions["defkg"]`` holds it. The store and the query pool open lazily, on first use,
so that creating the app (and importing anything) stays cheap and a test that never queries
never loads a store.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from defkg.config import Settings
from defkg.release import Release
from defkg.web.fairness import ClientBudgets

if TYPE_CHECKING:
    from defkg.store import QueryRunner, Store
    from defkg.store.service_relay import ServiceRelay
    from defkg.web.result_cache import ResultCache


class Publication:
    """What every view needs to answer for the release in ``settings.dist``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._executor_lock = threading.Lock()
        self._executor: QueryRunner | None = None
        self._triple_counts: dict[bool, int] = {}
        #: the file of the per-client budget table shared by every web process of the server
        #: (``defkg serve`` opens it before forking them); None: a table of this app's own
        self.budget_table_fd: int | None = None

    @cached_property
    def release(self) -> Release:
        """The release directory served (its files; the store holds its graphs)."""
        return Release(self.settings.dist)

    @cached_property
    def store(self) -> Store:
        """The store for trusted internal queries (opened on first use)."""
        from defkg.store import open_store

        with self._lock:
            return open_store(self.settings)

    @cached_property
    def graph_names(self) -> list[str]:
        return self.store.graph_names()

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        """The graphs that make up the default graph of /sparql (or /sparql/inferred)."""
        return self.store.default_graphs(with_inferences)

    def query_default_graphs(self, with_inferences: bool) -> tuple[str, ...] | None:
        """What a public query without a dataset runs over (see ``QueryJob.default_graphs``).

        The store's own default graph holds the asserted view, so /sparql names no graph at
        all and /sparql/inferred adds only the inferences to it.
        """
        return self.store.query_default_graphs(with_inferences)

    @cached_property
    def result_cache(self) -> ResultCache:
        """Serialised answers of repeated public queries, within ``result_cache_bytes``."""
        from defkg.web.result_cache import ResultCache

        return ResultCache(self.settings.result_cache_bytes)

    def release_tag(self) -> str | None:
        """A short tag naming the release being served (changes whenever the release does).

        None when it cannot be read now (a remote store that does not answer): nothing is
        cached then, and the query itself reports what is wrong.
        """
        from defkg.errors import DefkgError

        try:
            return self.store.release_tag()
        except DefkgError:
            return None

    @cached_property
    def budgets(self) -> ClientBudgets:
        """Each client's budgets on the endpoint (see :mod:`defkg.web.fairness`)."""
        settings = self.settings
        concurrent = settings.client_max_concurrent_queries or max(1, settings.workers // 2)
        return ClientBudgets(
            concurrent,
            settings.client_query_seconds,
            settings.query_timeout,
            fd=self.budget_table_fd,
        )

    @property
    def executor(self) -> QueryRunner:
        """The runner of untrusted queries within the limits (made on first use)."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = self.store.query_runner(self.settings)
            return self._executor

    def query_workers_alive(self) -> int:
        """How many query workers answer now; 0 before the first query started them."""
        return self._executor.alive() if self._executor is not None else 0

    def close(self) -> None:
        """Stop the query workers, if they were started."""
        if self._executor is not None:
            self._executor.close()

    @cached_property
    def service_relay(self) -> ServiceRelay | None:
        """The relay that caps SERVICE answers (started on first SERVICE query; the sandboxed
        query workers reach it and nothing else), or None where the store makes its SERVICE
        calls itself."""
        return self.store.service_relay(self.settings)

    def triple_count(self, with_inferences: bool) -> int:
        """Triples in the default graph of ``/sparql`` (or, ``with_inferences``, of
        ``/sparql/inferred``): what each endpoint's service description says it answers over.

        The inferred endpoint's default graph is the asserted view, the inferences and what
        the build derived across reports, which hold no triple of one another (the build leaves
        those out), so its count is the sum.
        """
        if with_inferences not in self._triple_counts:
            count = self._count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            if with_inferences:
                for graph in (
                    self.settings.iris.inferred_graph,
                    self.settings.iris.graph("derived"),
                ):
                    count += self._count(
                        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
                    )
            self._triple_counts[with_inferences] = count
        return self._triple_counts[with_inferences]

    def _count(self, sparql: str) -> int:
        rows = self.store.select(sparql)
        return int(cast(Any, rows[0]["n"])) if rows else 0  # an xsd:integer Literal
