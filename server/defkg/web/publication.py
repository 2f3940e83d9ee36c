"""The Publication: one release served by one app (settings, release dir, store, query pool).

``app.extensions["defkg"]`` holds it. The store and the query pool open lazily, on first use,
so that creating the app (and importing anything) stays cheap and a test that never queries
never loads a store.
"""

from __future__ import annotations

import threading
from functools import cached_property

from defkg.config import Settings
from defkg.release import Release


class Publication:
    """What every view needs to answer for the release in ``settings.dist``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def release(self) -> Release:
        """The release directory served (its files; the store holds its graphs)."""
        return Release(self.settings.dist)

    @cached_property
    def store(self):  # -> defkg.store.Store
        """The store for trusted internal queries (opened on first use)."""
        from defkg.store import open_store

        with self._lock:
            return open_store(self.settings)

    @cached_property
    def graph_names(self) -> list[str]:
        return self.store.graph_names()

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        """The graphs that make up the default graph of /sparql (or /sparql/inferred)."""
        return self.store.layout.default_graphs(with_inferences)

    def query_default_graphs(self, with_inferences: bool) -> tuple[str, ...] | None:
        """What a public query without a dataset runs over (see ``QueryJob.default_graphs``).

        The store's own default graph holds the asserted view, so /sparql names no graph at
        all and /sparql/inferred adds only the inferences to it.
        """
        return self.store.query_default_graphs(with_inferences)

    @cached_property
    def result_cache(self):  # -> defkg.web.result_cache.ResultCache
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
    def executor(self):  # -> defkg.store.executor.QueryPool
        """The pool that runs untrusted queries within the limits (started on first query)."""
        from defkg.store.executor import QueryPool
        from defkg.store.remote import RemoteQueryRunner, RemoteStore

        if isinstance(self.store, RemoteStore):
            return RemoteQueryRunner(
                self.store,
                max_concurrent=self.settings.max_concurrent_queries,
                prefixes=self.settings.iris.prefixes(),
            )
        return QueryPool(
            self.store.path,
            size=self.settings.workers,
            max_concurrent=self.settings.max_concurrent_queries,
            prefixes=self.settings.iris.prefixes(),
            max_memory=self.settings.max_query_memory_mb * 2**20,
        )

    @cached_property
    def service_relay(self):  # -> defkg.store.service_relay.ServiceRelay | None
        """The loopback relay that caps SERVICE answers (started on first SERVICE query).

        None over a remote store: that store's engine makes SERVICE calls from its own host,
        which cannot reach a relay on this one's loopback, so no cap is applied there.
        """
        from defkg.store.remote import RemoteStore
        from defkg.store.service_relay import ServiceRelay

        if isinstance(self.store, RemoteStore):
            return None
        return ServiceRelay(self.settings.service_timeout, self.settings.service_max_bytes)

    @cached_property
    def triple_count(self) -> int:
        """Triples in the default graph (for the service description's VoID)."""
        rows = self.store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0]["n"]) if rows else 0
