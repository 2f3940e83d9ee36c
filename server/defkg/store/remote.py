"""The remote store: a release held by any SPARQL 1.1 Protocol + Graph Store Protocol server.

``RemoteStore`` speaks plain HTTP (stdlib only) to two URLs: the SPARQL query endpoint
(``Settings.store``) and the Graph Store HTTP Protocol endpoint beside it (``Settings.store_gsp``,
by default derived from the query URL the way Oxigraph lays them out: ``…/query`` → ``…/store``).
It offers the :class:`defkg.store.Store` methods for trusted internal queries, :meth:`forward`
for the public endpoint (which streams the remote answer through our own time and size limits),
and the few Graph Store operations :mod:`defkg.store.gsp` needs to publish a release graph by graph.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from defkg.errors import DefkgError
from defkg.store import QueryTimeout, Saturated

if TYPE_CHECKING:
    from defkg.config import Settings
    from defkg.store.embedded import DatasetLayout
    from defkg.store.jobs import QueryJob, QueryOutcome

#: The name of the metadata graph in which ``defkg publish --to`` records what it loaded.
PUBLICATION_GRAPH = "publication"

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
#: What a public query asks the store for: SPARQL JSON for SELECT/ASK, N-Triples for graphs.
QUERY_ACCEPT = f"{SPARQL_JSON}, {N_TRIPLES};q=0.9"

#: How much of an error body we quote back to the user: enough to read the server's reason.
_ERROR_EXCERPT = 500
_CHUNK = 64 * 1024


class RemoteStoreError(DefkgError):
    """The remote store could not be reached or refused a request.

    ``status`` is the HTTP status the store answered (None when it was unreachable or too slow).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RemoteTimeout(RemoteStoreError):
    """The store did not answer within the time allowed."""


class RemoteResultTooLarge(RemoteStoreError):
    """The store's answer grew past the byte cap; the transfer was cut off."""


#: The checksums of the last publication (see ``defkg.store.gsp``): they name what the store holds.
_RECORDED_CHECKSUMS = (
    "SELECT ?sum WHERE { GRAPH ?g { ?c <http://spdx.org/rdf/terms#checksumValue> ?sum } "
    f'FILTER(STRENDS(STR(?g), "/graph/{PUBLICATION_GRAPH}")) }}'
)
_GRAPH_KEYWORD = re.compile(r"\bGRAPH\b", re.IGNORECASE)
#: FROM / FROM NAMED: the query states its own dataset (the endpoint has checked its graphs).
FROM_CLAUSE = re.compile(r"\bFROM\b", re.IGNORECASE)


def names_graphs(sparql: str) -> bool:
    """True when a query may use GRAPH (a cheap textual test; a false alarm only costs speed)."""
    return bool(_GRAPH_KEYWORD.search(sparql))


def derive_gsp_url(query_url: str) -> str | None:
    """The Graph Store endpoint beside a query endpoint, when the layout is Oxigraph's.

    Oxigraph serves ``/query`` and ``/store``; other servers lay theirs out differently, so for
    any other URL the caller must say where the Graph Store endpoint is.
    """
    parts = urllib.parse.urlsplit(query_url)
    if parts.path.endswith("/query"):
        path = parts.path[: -len("query")] + "store"
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return None


def is_remote(store_setting: str) -> bool:
    """True when ``Settings.store`` names a remote endpoint rather than the embedded store."""
    return store_setting.startswith(("http://", "https://"))


def split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without its ``user:password@`` part, and that part as a Basic auth header."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, f"Basic {token}"


def _excerpt(body: bytes) -> str:
    text = body[:_ERROR_EXCERPT].decode("utf-8", "replace").strip()
    return text + ("…" if len(body) > _ERROR_EXCERPT else "")


@dataclass
class RemoteAnswer:
    """An answer of the store being streamed back: status, media type and a body iterator."""

    status: int
    content_type: str
    chunks: Iterator[bytes]


class _ChunkReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (so pyoxigraph can parse as it comes)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = next(self._chunks, b"")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()


@dataclass
class _Exchange:
    """One request's connection and response; closing it closes both."""

    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse

    def read(self) -> bytes:
        return self.response.read()

    def set_timeout(self, seconds: float) -> None:
        """Bound the next socket read (the connection's socket is public API of http.client)."""
        if self.connection.sock is not None:
            self.connection.sock.settimeout(max(seconds, 0.001))

    def close(self) -> None:
        self.response.close()
        self.connection.close()

    def __enter__(self) -> _Exchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class RemoteStore:
    """A release held by a remote SPARQL 1.1 Protocol + Graph Store Protocol server."""

    query_url: str
    gsp_url: str | None = None
    timeout: float = 30.0  #: seconds for internal queries and for each Graph Store request
    inferred_graph: str | None = None  #: kept out of the default graph unless asked for
    shapes_graph: str | None = None  #: never in the default graph
    #: seconds a list of the store's graphs is trusted; a publication may add or drop graphs
    layout_ttl: float = 60.0
    user_agent: str = "defkg"
    #: name every graph on every query instead of using the store's default graph (for stores
    #: whose default graph is always the union of all graphs, e.g. GraphDB)
    explicit_dataset: bool = False
    _headers: dict[str, str] = field(default_factory=dict, repr=False)
    _layout: DatasetLayout | None = field(default=None, repr=False)
    _layout_time: float = field(default=0.0, repr=False)
    _layout_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _auth: dict[str, str | None] = field(default_factory=dict, repr=False)
    _tag: str | None = field(default=None, repr=False)
    _tag_time: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not is_remote(self.query_url):
            raise RemoteStoreError(
                f"the remote store must be an http(s) URL of a SPARQL endpoint: {self.query_url!r}"
            )
        self._headers = {"User-Agent": self.user_agent}
        # Credentials may ride in the URL (https://user:password@host/…): they become a Basic
        # Authorization header and are stripped from the URL so no message ever shows them.
        self.query_url, query_auth = split_credentials(self.query_url)
        gsp_auth = None
        if self.gsp_url is None:
            self.gsp_url = derive_gsp_url(self.query_url)
        else:
            self.gsp_url, gsp_auth = split_credentials(self.gsp_url)
        self._auth = {self.query_url: query_auth, self.gsp_url or "": gsp_auth or query_auth}

    # --- plain HTTP ---------------------------------------------------------------------------

    def _open(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        what: str,
    ) -> _Exchange:
        """Send one request; raise RemoteStoreError with status and body excerpt on failure."""
        timeout = timeout or self.timeout
        parts = urllib.parse.urlsplit(url)
        endpoint = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        auth = self._auth.get(endpoint)
        if auth:
            headers = {**(headers or {}), "Authorization": auth}
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.netloc, timeout=timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request(
                method, target, body=body, headers={**self._headers, **(headers or {})}
            )
            response = connection.getresponse()
        except TimeoutError:
            connection.close()
            raise RemoteTimeout(
                f"the store at {url} did not answer {what} within {timeout:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            server = f"{parts.scheme}://{parts.netloc}"
            raise RemoteStoreError(
                f"cannot reach the store at {server} ({what}): {reason}"
            ) from None
        if response.status >= 400:
            try:
                excerpt = _excerpt(response.read())
            except (OSError, http.client.HTTPException):
                excerpt = ""
            connection.close()
            raise RemoteStoreError(
                f"the store at {url} answered {response.status} {response.reason} to {what}"
                + (f": {excerpt}" if excerpt else ""),
                status=response.status,
            )
        return _Exchange(connection, response)

    def _query_body(
        self,
        sparql: str,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
    ) -> bytes:
        """The SPARQL Protocol's form-encoded POST body: the query and its RDF dataset.

        None leaves that part of the dataset to the query's FROM clauses or the server.
        """
        params = [("query", sparql)]
        params += [("default-graph-uri", g) for g in default_graphs or ()]
        params += [("named-graph-uri", g) for g in named_graphs or ()]
        return urllib.parse.urlencode(params).encode("utf-8")

    def _read_all(
        self,
        sparql: str,
        accept: str,
        what: str,
        dataset: tuple[tuple[str, ...] | None, tuple[str, ...] | None] = (None, None),
    ) -> bytes:
        with self._open(
            "POST",
            self.query_url,
            body=self._query_body(sparql, *dataset),
            headers={"Content-Type": FORM, "Accept": accept},
            what=what,
        ) as exchange:
            try:
                return exchange.read()
            except TimeoutError:
                raise RemoteTimeout(
                    f"the store at {self.query_url} did not finish {what} within {self.timeout:g} s"
                ) from None

    # --- the Store interface (trusted, internal queries) ----------------------------------------

    def stored_graphs(self) -> list[str]:
        """Every named graph the store holds, except our publication record."""
        body = self._read_all("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", SPARQL_JSON, "a query")
        rows = json.loads(body)["results"]["bindings"]
        names = {row["g"]["value"] for row in rows if "g" in row}
        return sorted(n for n in names if not n.endswith("/graph/" + PUBLICATION_GRAPH))

    @property
    def layout(self) -> DatasetLayout:
        """Which graphs make up the default graph: the same rule as the embedded store's."""
        from defkg.store.embedded import DatasetLayout

        with self._layout_lock:
            now = time.monotonic()
            if self._layout is None or now - self._layout_time > self.layout_ttl:
                self._layout = DatasetLayout(
                    self.stored_graphs(), self.inferred_graph or "", self.shapes_graph or ""
                )
                self._layout_time = now
            return self._layout

    def dataset(
        self, inferred: bool = False, sparql: str | None = None
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        """(default graphs, named graphs) to send with a query; None sends no such parameter.

        ``defkg publish --to`` puts the asserted view into the store's default graph, so a
        query over it names no graph: the store answers from one graph instead of a union of
        one per source. With the inferences, the graphs must be named (the protocol cannot name
        a store's default graph), and the named graphs with them (naming only default graphs
        would leave GRAPH with none). A ``sparql`` that uses GRAPH gets the graphs named too:
        the store also holds our publication record, which GRAPH ?g must not see.
        """
        if not (inferred or self.explicit_dataset or (sparql and names_graphs(sparql))):
            return None, None
        layout = self.layout
        return layout.default_graphs(inferred), tuple(layout.graph_names)

    def release_tag(self) -> str:
        """What the store holds now: a hash of the checksums ``publish --to`` recorded.

        Re-read at most every ``layout_ttl`` seconds, so answers cached for one publication
        are not served for longer than that after the next one.
        """
        with self._layout_lock:
            now = time.monotonic()
            if self._tag is None or now - self._tag_time > self.layout_ttl:
                body = self._read_all(_RECORDED_CHECKSUMS, SPARQL_JSON, "a query")
                rows = json.loads(body)["results"]["bindings"]
                sums = sorted(row["sum"]["value"] for row in rows if "sum" in row)
                self._tag = hashlib.sha256("\n".join(sums).encode()).hexdigest()[:16]
                self._tag_time = now
            return self._tag

    def query_default_graphs(self, with_inferences: bool) -> tuple[str, ...] | None:
        """The default graph of a public query (see ``QueryJob.default_graphs``)."""
        return self.dataset(with_inferences)[0]

    def default_graphs(self, with_inferences: bool) -> tuple[str, ...]:
        return self.layout.default_graphs(with_inferences)

    def query_runner(self, settings: Settings) -> RemoteQueryRunner:
        """Queries forwarded to the store, with the same admission limit as the pool's."""
        return RemoteQueryRunner(
            self,
            max_concurrent=settings.max_concurrent_queries,
            prefixes=settings.iris.prefixes(),
        )

    def service_relay(self, settings: Settings) -> None:
        """None: the store's engine calls SERVICE from its own host, which cannot reach a
        relay on this one's loopback, so no cap is applied there."""
        return None

    def select(self, sparql: str, *, inferred: bool = False) -> list[dict[str, Node]]:
        """Run a SELECT query; each row maps variable names to rdflib nodes (unbound: absent).

        Terms go through the embedded store's converter, so both stores hand the pages the
        very same rdflib terms (a plain literal is an explicit xsd:string in both).
        """
        from defkg.store.embedded import to_rdflib

        body = self._read_all(sparql, SPARQL_JSON, "a SELECT query", self.dataset(inferred, sparql))
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QuerySolutions):
            raise RemoteStoreError(f"the store at {self.query_url} answered a SELECT with no rows")
        names = [v.value for v in result.variables]
        return [{n: to_rdflib(row[n]) for n in names if row[n] is not None} for row in result]

    def ask(self, sparql: str, *, inferred: bool = False) -> bool:
        """Run an ASK query."""
        body = self._read_all(sparql, SPARQL_JSON, "an ASK query", self.dataset(inferred, sparql))
        return bool(json.loads(body)["boolean"])

    def construct(self, sparql: str, *, inferred: bool = False) -> rdflib.Graph:
        """Run a CONSTRUCT or DESCRIBE query; the triples come back as an rdflib Graph."""
        from defkg.store.embedded import to_rdflib

        body = self._read_all(
            sparql, N_TRIPLES, "a CONSTRUCT query", self.dataset(inferred, sparql)
        )
        graph = rdflib.Graph()
        for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def graph_names(self) -> list[str]:
        """The named graphs of the release held by the store (not our publication metadata)."""
        return list(self.layout.graph_names)

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""

    # --- the public endpoint ------------------------------------------------------------------

    def forward(
        self,
        sparql: str,
        accept: str,
        *,
        timeout: float,
        max_bytes: int,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
    ) -> RemoteAnswer:
        """Send an (already checked) public query and stream the answer back under our limits.

        The whole exchange must finish within ``timeout`` seconds and the body must stay within
        ``max_bytes``; past either limit the connection is dropped and the iterator raises
        RemoteTimeout or RemoteResultTooLarge, so a runaway query never ties up a worker.
        """
        deadline = time.monotonic() + timeout
        exchange = self._open(
            "POST",
            self.query_url,
            body=self._query_body(sparql, default_graphs, named_graphs),
            headers={"Content-Type": FORM, "Accept": accept},
            timeout=timeout,
            what="a query",
        )

        def chunks() -> Iterator[bytes]:
            sent = 0
            try:
                while True:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise RemoteTimeout(f"the query ran longer than {timeout:g} s")
                    # Each read may wait only for what is left of the deadline, so a server
                    # that trickles bytes cannot stretch the query past its time limit.
                    exchange.set_timeout(remaining)
                    try:
                        chunk = exchange.response.read1(_CHUNK)
                    except TimeoutError:
                        raise RemoteTimeout(f"the query ran longer than {timeout:g} s") from None
                    if not chunk:
                        return
                    sent += len(chunk)
                    if sent > max_bytes:
                        raise RemoteResultTooLarge(f"the result is larger than {max_bytes} bytes")
                    yield chunk
            finally:
                exchange.close()

        content_type = exchange.response.getheader("Content-Type", accept)
        return RemoteAnswer(exchange.response.status, content_type, chunks())

    def query(
        self,
        sparql: str,
        *,
        timeout: float,
        max_bytes: int,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """Run a public query; the answer is parsed as it streams in, like pyoxigraph's own.

        SELECT gives ``QuerySolutions``, ASK a ``QueryBoolean``, CONSTRUCT/DESCRIBE an iterator
        of ``Triple``: the same objects the embedded store hands to the result writers, so the
        endpoint's row and byte caps apply unchanged. Underneath, the transfer itself is bounded:
        reading past ``timeout`` seconds raises RemoteTimeout and past ``max_bytes`` bytes
        RemoteResultTooLarge, and either drops the connection to the store.
        """
        answer = self.forward(
            sparql,
            QUERY_ACCEPT,
            timeout=timeout,
            max_bytes=max_bytes,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )
        media_type = answer.content_type.split(";")[0].strip().lower()
        reader = io.BufferedReader(_ChunkReader(answer.chunks), _CHUNK)
        if media_type == SPARQL_JSON:
            return ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
        if media_type == "application/sparql-results+xml":
            return ox.parse_query_results(reader, format=ox.QueryResultsFormat.XML)
        rdf_format = ox.RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            reader.close()
            raise RemoteStoreError(
                f"the store at {self.query_url} answered in {media_type!r}, which defkg cannot read"
            )
        return (quad.triple for quad in ox.parse(reader, format=rdf_format))

    # --- the Graph Store HTTP Protocol ---------------------------------------------------------

    def _gsp(self, graph: str | None) -> str:
        if not self.gsp_url:
            raise RemoteStoreError(
                f"no Graph Store Protocol endpoint is known for {self.query_url}: "
                "give it with --gsp (DEFKG_STORE_GSP)"
            )
        query = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
        separator = "&" if "?" in self.gsp_url else "?"
        return f"{self.gsp_url}{separator}{query}"

    def get_graph(self, graph: str) -> bytes | None:
        """The N-Triples of one named graph, or None when the store does not have it."""
        try:
            with self._open(
                "GET",
                self._gsp(graph),
                headers={"Accept": N_TRIPLES},
                what=f"GET of graph <{graph}>",
            ) as exchange:
                return exchange.read()
        except RemoteStoreError as error:
            if error.status == 404:
                return None
            raise

    def put_graph(self, graph: str | None, ntriples: bytes) -> None:
        """Replace one graph (None: the default graph) as a unit with the given N-Triples."""
        name = "the default graph" if graph is None else f"graph <{graph}>"
        with self._open(
            "PUT",
            self._gsp(graph),
            body=ntriples,
            headers={"Content-Type": N_TRIPLES},
            what=f"PUT of {name}",
        ) as exchange:
            exchange.read()

    def delete_graph(self, graph: str) -> None:
        """Drop one named graph; a graph that is already gone is not an error."""
        try:
            with self._open(
                "DELETE", self._gsp(graph), what=f"DELETE of graph <{graph}>"
            ) as exchange:
                exchange.read()
        except RemoteStoreError as error:
            if error.status != 404:
                raise


# --- running the public endpoint's jobs against a remote store -----------------------------------


def with_prologue(query: str, prefixes: Mapping[str, str], base_iri: str | None) -> tuple[str, int]:
    """``query`` as a remote store is sent it, and how many characters went in front of it.

    The SPARQL protocol has no way to hand a store predeclared prefixes or a base IRI, so they
    are written as ``BASE`` and ``PREFIX`` declarations before the query's own — which come
    after them and win, as they do over the embedded store's. All of it on the query's first
    line: only that line's columns move (by the returned count), no line number changes.
    """
    declarations = [f"BASE <{base_iri}>"] if base_iri else []
    declarations += [f"PREFIX {name}: <{iri}>" for name, iri in prefixes.items()]
    if not declarations:
        return query, 0
    prologue = " ".join(declarations) + " "
    return prologue + query, len(prologue)


#: How pyoxigraph, and so Oxigraph's server, states where a query stops parsing.
_ENGINE_POSITION = re.compile(r"\berror at \d+:\d+: ")
_FIRST_LINE_POSITION = re.compile(r"(\bat 1:|\bline 1, column )(\d+)")


def unshifted(message: str, shift: int) -> str:
    """A store's message with the first line's columns (``at 1:C``, ``line 1, column C``) put
    back where they are in the query as its author wrote it."""
    if not shift:
        return message

    def back(found: re.Match[str]) -> str:
        return found[1] + str(max(1, int(found[2]) - shift))

    return _FIRST_LINE_POSITION.sub(back, message)


def execute_remote(
    store: RemoteStore, job: QueryJob, timeout: float, prefixes: dict[str, str] | None = None
) -> QueryOutcome:
    """Run one untrusted job on the remote store; the remote counterpart of ``embedded.execute``.

    The answer is parsed as it streams in and written by the same result writers as the
    embedded store's, so the row and byte caps, the media types and the error statuses are the
    same. Raises RemoteTimeout when the store overruns ``timeout``; any other failure becomes an
    outcome with a status and a message.
    """
    from defkg.sparql_errors import plain_syntax_error, syntax_error_of
    from defkg.store.jobs import QueryOutcome
    from defkg.store.results import ResultTooLarge, outcome_of

    # What the embedded store does, this side of the wire: the query is read with the
    # predeclared prefixes and the endpoint's IRI as its base, and a syntax error is told in
    # plain words at its place in the query as written.
    syntax = syntax_error_of(job.query, prefixes, job.base_iri)
    if syntax is not None:
        return QueryOutcome.error(
            400, plain_syntax_error(job.query, syntax, prefixes, job.base_iri)
        )
    sent, shift = with_prologue(job.query, prefixes or {}, job.base_iri)
    default_graphs, named_graphs = job.default_graphs, job.named_graphs
    if default_graphs is None and named_graphs is None and not FROM_CLAUSE.search(job.query):
        # The store's default graph and no list, unless GRAPH must be kept off the record.
        default_graphs, named_graphs = store.dataset(False, job.query)
    elif default_graphs is not None and named_graphs is None:
        # Naming default graphs without named ones would leave GRAPH with none on the store.
        named_graphs = tuple(store.layout.graph_names)
    try:
        # The transfer cap sits above the result cap: the JSON we read is bulkier than the
        # format we may write, and the result writers enforce the exact cap themselves.
        result = store.query(
            sent,
            timeout=timeout,
            max_bytes=4 * job.max_bytes,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )
        return outcome_of(result, job, prefixes)
    except RemoteTimeout:
        raise
    except (ResultTooLarge, RemoteResultTooLarge) as error:
        return QueryOutcome.error(422, f"result refused: {error}")
    except RemoteStoreError as error:
        if error.status == 400:
            refused = unshifted(str(error), shift)
            if _ENGINE_POSITION.search(refused):
                # a syntax error in the words of our own engine (Oxigraph's): told as the
                # embedded store tells it, at its place in the query as written
                return QueryOutcome.error(
                    400, plain_syntax_error(job.query, refused, prefixes, job.base_iri)
                )
            return QueryOutcome.error(400, f"the store refused the query: {refused}")
        return QueryOutcome.error(502, f"the store failed to answer: {error}")
    except SyntaxError as error:
        return QueryOutcome.error(502, f"the store's answer could not be read: {error}")


class RemoteQueryRunner:
    """The executor for a remote store: same ``run(job, timeout)`` contract as ``QueryPool``.

    No worker processes are needed: an HTTP exchange can be abandoned at its deadline (the
    connection is dropped), so threads suffice. Admission is the same: at most
    ``max_concurrent`` queries in flight, the next refused at once.
    """

    def __init__(
        self, store: RemoteStore, *, max_concurrent: int, prefixes: dict[str, str] | None = None
    ) -> None:
        self.store = store
        self.prefixes = dict(prefixes or {})
        self._admission = threading.BoundedSemaphore(max(1, max_concurrent))

    def start(self) -> None:
        """Nothing to start; kept so the web layer can treat both executors alike."""

    def close(self) -> None:
        """Nothing to stop: no connection outlives its query."""

    def alive(self) -> int:
        """1 when the store answers a trivial query (for /healthz), else 0."""
        try:
            self.store.ask("ASK { }")
        except RemoteStoreError:
            return 0
        return 1

    def run(
        self, job: QueryJob, timeout: float, timings: dict[str, float] | None = None
    ) -> QueryOutcome:
        """Run ``job`` within ``timeout`` s; raises Saturated or QueryTimeout as the pool does."""
        if not self._admission.acquire(blocking=False):
            raise Saturated("too many queries are running; retry in a moment")
        started = time.monotonic()
        try:
            return execute_remote(self.store, job, timeout, self.prefixes)
        except RemoteTimeout:
            raise QueryTimeout(timeout) from None
        finally:
            if timings is not None:
                timings["ran"] = time.monotonic() - started
            self._admission.release()
