"""The embedded store: the release loaded once into an on-disk pyoxigraph store, opened read-only.

:func:`prepare_store` turns ``dist/defkg.trig`` into a RocksDB directory under
``.defkg-cache/store-v<N>-<engine>-<key>`` beside the release (key: the first 16 hex digits of
the SHA-256 of ``SHA256SUMS``; engine: of pyoxigraph's version; N: :data:`STORE_FORMAT`), so
a restart over the same release reuses it without parsing anything. Besides every named graph,
the store's own default graph holds the asserted view (sources + entities + ontology, what
``defkg.nt`` holds): queries over the default graph then read one graph instead of a union of
one graph per source, which is what makes them fast at scale (``benchmarks/RESULTS.md``).
:class:`EmbeddedStore` answers trusted internal queries; :func:`execute` runs one untrusted
:class:`~defkg.store.jobs.QueryJob` (in a query worker process, see ``defkg.store.worker``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from defkg.errors import DefkgError
from defkg.pipeline.cache import STAGE_LIBRARIES, cache_dir_beside, digest_of, library_versions
from defkg.release import TRIG, Release
from defkg.sparql_errors import plain_syntax_error
from defkg.store.jobs import QueryJob, QueryOutcome
from defkg.store.results import ResultTooLarge, outcome_of

if TYPE_CHECKING:
    from defkg.config import Settings
    from defkg.store.executor import QueryPool
    from defkg.store.service_relay import ServiceRelay

log = logging.getLogger(__name__)

#: Bumped whenever what the store holds changes, so stores of an older layout are rebuilt.
#: 2: the asserted view is materialised in the store's default graph.
STORE_FORMAT = 2
#: In a job's ``default_graphs``: the store's own default graph (the materialised asserted view).
STORE_DEFAULT_GRAPH = ""


def store_path_for(dist: Path) -> Path:
    """Where the on-disk store of the release in ``dist`` lives (outside the release)."""
    dist = dist.resolve()
    # pyoxigraph writes the store: another version may lay it out (or answer) differently
    engine = digest_of(*library_versions(*STAGE_LIBRARIES["store"]))[:12]
    return cache_dir_beside(dist) / f"store-v{STORE_FORMAT}-{engine}-{Release.open(dist).key}"


def prepare_store(dist: Path) -> Path:
    """Make sure the on-disk store for the release in ``dist`` exists; return its directory.

    Loads ``defkg.trig`` into a temporary directory and renames it into place, so that a
    crash or a concurrent start never leaves a half-loaded store where readers look.
    """
    path = store_path_for(dist)
    if path.is_dir():
        return path
    dump = Release.open(dist).path(TRIG)
    path.parent.mkdir(parents=True, exist_ok=True)
    loading = path.with_name(f"{path.name}.loading-{os.getpid()}")
    shutil.rmtree(loading, ignore_errors=True)
    log.info("loading %s into the on-disk store %s", dump, path)
    store = ox.Store(str(loading))
    try:
        store.bulk_load(path=str(dump), format=ox.RdfFormat.TRIG)
        materialise_default_graph(store, asserted_graphs(store))
        store.flush()
    except SyntaxError as error:
        shutil.rmtree(loading, ignore_errors=True)
        raise DefkgError(f"{dump}: cannot be parsed: {error}") from None
    finally:
        del store  # closes RocksDB before the directory moves
    try:
        loading.rename(path)
    except OSError:
        # Another process finished the same load first; theirs is as good as ours.
        shutil.rmtree(loading, ignore_errors=True)
        if not path.is_dir():
            raise
    return path


#: the last segments of the names of the graphs the build made, not the sources asserted
NOT_ASSERTED = ("/graph/inferred", "/graph/shapes", "/graph/derived")


def derived_graph_beside(inferred: str) -> str:
    """``{base}graph/derived`` (the cross-source stage's graph) beside ``{base}graph/inferred``."""
    return inferred.rsplit("/", 1)[0] + "/derived"


def asserted_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The named graphs of the asserted view: every graph but the inferences, the shapes and
    what the build derived across reports.

    Recognised by their names' last segment (``graph/inferred``, ``graph/shapes``,
    ``graph/derived``) so that the store can be prepared before any settings are known; the
    base IRI does not matter.
    """
    names = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    return sorted(
        (g for g in names if not g.value.endswith(NOT_ASSERTED)),
        key=lambda g: g.value,
    )


def materialise_default_graph(store: ox.Store, graphs: list[ox.NamedNode]) -> int:
    """Copy the triples of ``graphs`` into the store's default graph; return how many quads.

    Done once when the store is prepared, into a store nobody reads yet (so the bulk,
    non-transactional writer is safe, and about twice as fast as a transaction). Copying inside
    the store, rather than loading ``defkg.nt`` beside the TriG (faster still, but the loader
    gives blank nodes fresh names), keeps each blank node the same node in both places. Read
    graph by graph, so memory stays bounded by the largest graph, not the release.
    """
    default = ox.DefaultGraph()
    copied = 0

    def quads() -> Iterator[ox.Quad]:
        nonlocal copied
        for graph in graphs:
            batch = list(store.quads_for_pattern(None, None, None, graph))
            copied += len(batch)
            yield from (ox.Quad(q.subject, q.predicate, q.object, default) for q in batch)

    store.bulk_extend(quads())
    return copied


class DatasetLayout:
    """Which graphs of the release make up the default graph, with or without inferences."""

    def __init__(self, graph_names: list[str], inferred: str, shapes: str) -> None:
        self.graph_names = sorted(graph_names)
        self.inferred = inferred
        self.shapes = shapes
        derived = derived_graph_beside(inferred) if inferred else ""
        #: what the build adds to the asserted view when inferences are asked for: the OWL RL
        #: inferences and the cross-source stage's figures and relations (those present)
        self.additions = tuple(g for g in (inferred, derived) if g and g in self.graph_names)
        #: sources + entities + ontology: everything asserted, not what the build made
        self.asserted = tuple(g for g in self.graph_names if g not in (inferred, shapes, derived))

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        """The named graphs whose union is the default graph (for descriptions and checks)."""
        if with_inferences:
            return (*self.asserted, *self.additions)
        return self.asserted


class EmbeddedStore:
    """A read-only view of the release through pyoxigraph, for trusted internal queries.

    ``select``/``construct``/``ask`` see the default graph (sources, entities, ontology; with
    ``inferred=True`` the inferences too) and every graph by name in GRAPH.
    """

    def __init__(self, path: Path, *, inferred_graph: str, shapes_graph: str) -> None:
        self.path = path
        self._store = ox.Store.read_only(str(path))
        names = [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]
        self.layout = DatasetLayout(names, inferred_graph, shapes_graph)
        self._relay: ServiceRelay | None = None

    def graph_names(self) -> list[str]:
        """Every named graph of the release, sorted."""
        return list(self.layout.graph_names)

    def release_tag(self) -> str:
        """The release this store was prepared from: the key in its directory's name."""
        return self.path.name.rsplit("-", 1)[-1]

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        return self.layout.default_graphs(with_inferences)

    def query_runner(self, settings: Settings) -> QueryPool:
        """A pool of query worker processes, each opening this store read-only, each in a
        network sandbox whose one way out is :meth:`service_relay`'s socket."""
        from defkg.store.executor import QueryPool

        return QueryPool(
            self.path,
            size=settings.workers,
            max_concurrent=settings.max_concurrent_queries,
            prefixes=settings.iris.prefixes(),
            max_memory=settings.max_query_memory_mb * 2**20,
            relay_socket=self.service_relay(settings).socket_path,
        )

    def service_relay(self, settings: Settings) -> ServiceRelay:
        """The relay that caps SERVICE answers (pyoxigraph calls SERVICE from this host); one
        per store, so that the query pool's workers forward to the relay the endpoint uses."""
        from defkg.store.service_relay import ServiceRelay

        if self._relay is None:
            self._relay = ServiceRelay(settings.service_timeout, settings.service_max_bytes)
        return self._relay

    def query_default_graphs(self, with_inferences: bool) -> tuple[str, ...] | None:
        """The default graph of a public query: the store's own (None), plus the inferences."""
        if with_inferences and self.layout.additions:
            return (STORE_DEFAULT_GRAPH, *self.layout.additions)
        return None

    def _query(self, sparql: str, inferred: bool) -> object:
        # The store's default graph is the asserted view and every named graph is ours, so
        # only the inferences ever need naming (a two-graph union, still cheap).
        if inferred and self.layout.additions:
            graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
            graphs += [ox.NamedNode(g) for g in self.layout.additions]
            return self._store.query(sparql, default_graph=graphs)
        return self._store.query(sparql)

    def select(self, sparql: str, *, inferred: bool = False) -> list[dict]:
        """Rows of a SELECT as dicts of rdflib terms (unbound variables left out)."""
        result = self._query(sparql, inferred)
        if not isinstance(result, ox.QuerySolutions):
            raise ValueError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        return [{n: to_rdflib(row[n]) for n in names if row[n] is not None} for row in result]

    def construct(self, sparql: str, *, inferred: bool = False):  # -> rdflib.Graph
        """The triples of a CONSTRUCT or DESCRIBE as an rdflib Graph."""
        from rdflib import Graph

        result = self._query(sparql, inferred)
        if not isinstance(result, ox.QueryTriples):
            raise ValueError("construct() needs a CONSTRUCT or DESCRIBE query")
        graph = Graph()
        for t in result:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph

    def ask(self, sparql: str, *, inferred: bool = False) -> bool:
        result = self._query(sparql, inferred)
        if not isinstance(result, ox.QueryBoolean):
            raise ValueError("ask() needs an ASK query")
        return bool(result)


def to_rdflib(term: object):  # -> rdflib.term.Node
    """Convert a pyoxigraph term to the equal rdflib term."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r} to rdflib")


def prefixes_named_in(query: str, prefixes: dict[str, str]) -> dict[str, str]:
    """The predeclared ``prefixes`` that ``query`` may use: those whose ``name:`` is in its text.

    A prefixed name holds its prefix and colon literally (no escape can spell them, but a
    ``\\u`` escape anywhere gets every prefix, to be sure), so the engine reads the query
    exactly as with the whole table; it is only spared turning every entry into an IRI for
    each query (the table has 21: 7 µs of a 21 µs query).
    """
    if "\\u" in query or "\\U" in query:
        return prefixes
    return {name: iri for name, iri in prefixes.items() if f"{name}:" in query}


def execute(store: ox.Store, job: QueryJob, prefixes: dict[str, str] | None = None) -> QueryOutcome:
    """Run one untrusted job against ``store`` and serialise its answer within the job's caps.

    Never raises for a bad query: every failure becomes an outcome with a status and a message.
    """
    kwargs: dict[str, Any] = {}
    if job.default_graphs is not None:
        kwargs["default_graph"] = [
            ox.DefaultGraph() if g == STORE_DEFAULT_GRAPH else ox.NamedNode(g)
            for g in job.default_graphs
        ]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.base_iri:
        kwargs["base_iri"] = job.base_iri
    if prefixes and (named := prefixes_named_in(job.query, prefixes)):
        # the one prefix table (defkg.iris), predeclared as `defkg query` and the query UI do
        kwargs["prefixes"] = named
    try:
        return outcome_of(store.query(job.query, **kwargs), job, prefixes)
    except SyntaxError as error:
        return QueryOutcome.error(400, plain_syntax_error(job.query, error, prefixes, job.base_iri))
    except ResultTooLarge as error:
        return QueryOutcome.error(422, f"result refused: {error}")
    except ConnectionError as error:
        return QueryOutcome.error(502, f"a SERVICE call failed: {error}")
    except OSError as error:
        # pyoxigraph reports both store and SERVICE (HTTP) failures as OSError subclasses.
        log.warning("query failed: %s", error)
        return QueryOutcome.error(502, f"the query failed while fetching or reading data: {error}")
    except RuntimeError as error:
        message = str(error)
        if "custom function" in message:
            # "The custom function <http://x/name> is not supported": the query's fault
            return QueryOutcome.error(400, f"unknown function in the query: {message}")
        log.exception("unexpected error while running a query")
        return QueryOutcome.error(500, f"the query could not be answered ({message})")
    except Exception as error:  # the worker must survive anything a query provokes
        log.exception("unexpected error while running a query")
        return QueryOutcome.error(500, f"the query could not be answered ({type(error).__name__})")
    except BaseException as error:
        # pyo3's PanicException (a Rust panic that unwound) derives from BaseException only.
        if type(error).__name__ != "PanicException":
            raise
        log.error("the query engine panicked: %s", error)
        return QueryOutcome.error(
            502, f"the query engine failed on this query (a panic in pyoxigraph: {error})"
        )
