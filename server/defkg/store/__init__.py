"""The store interface: where the published release is queried from.

Two implementations, chosen by ``Settings.store``: the embedded store (pyoxigraph on disk, the
default) and a remote store (any SPARQL 1.1 Protocol + Graph Store Protocol server).

``select``/``construct``/``ask`` are for trusted internal queries (the pages, the service
description). The public endpoint never calls them: it sends untrusted queries as
:class:`~defkg.store.jobs.QueryJob` to an executor (``defkg.store.executor``) that enforces the
limits in front of whichever store is in use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import rdflib

    from defkg.config import Settings


class Store(Protocol):
    """What the rest of defkg may ask of a store."""

    def graph_names(self) -> list[str]:
        """Every named graph of the release, sorted."""
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
