"""The SPARQL 1.1 Protocol as plain functions: read a request, check a query, pick the formats.

Nothing here touches Flask or the store. :func:`parse_request` turns the parts of an HTTP
request into a :class:`ProtocolRequest` (or ``None`` when there is no query: the service
description), :func:`analyse_query` finds what must be checked before running anything (the
query form, FROM / FROM NAMED graphs, SERVICE endpoints), :func:`resolve_dataset` applies the
dataset rules, and :func:`choose_types` negotiates the result formats. Every refusal is a
:class:`ProtocolError` carrying the HTTP status and a message that says what and where.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from defkg import formats
from defkg.store.results import GRAPH_TYPES, SOLUTION_TYPES
from defkg.web.negotiation import choose, offered_list
from defkg.web.scan import NestingTooDeep, ScanError, scan

READ_ONLY = "this service is read-only: SPARQL Update is not accepted"

#: What content negotiation offers: the specific types, then generic ones that stand for them.
SOLUTION_OFFER = formats.offered("results")
GRAPH_OFFER = formats.offered("graph")


def _media_type(found: formats.Format | None) -> str | None:
    return found.media_type if found is not None else None


class ProtocolError(Exception):
    """A request the endpoint refuses: ``status`` and a message for the client."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class ProtocolRequest:
    """The query operation's parameters, as the protocol defines them."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    format: str | None = None


def _bare_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_request(
    method: str,
    content_type: str | None,
    args: Mapping[str, Sequence[str]],
    form: Mapping[str, Sequence[str]],
    body: bytes,
    *,
    max_query_length: int,
) -> ProtocolRequest | None:
    """Read a query operation from a GET or POST; ``None`` for a GET without ``query``.

    ``args`` and ``form`` map each parameter name to all its values (a repeated parameter
    matters: two ``query`` values are an error). ``form`` is only consulted for a form POST,
    ``body`` only for a direct POST.
    """
    method = method.upper()
    params: dict[str, list[str]] = {k: list(v) for k, v in args.items()}
    queries = list(params.get("query", []))
    if method in ("GET", "HEAD"):
        if "update" in params:
            raise ProtocolError(403, READ_ONLY)
    elif method == "POST":
        media_type = _bare_type(content_type)
        if media_type == "application/x-www-form-urlencoded":
            for name, values in form.items():
                params.setdefault(name, []).extend(values)
            if "update" in params:
                raise ProtocolError(403, READ_ONLY)
            queries = list(params.get("query", []))
        elif media_type == "application/sparql-query":
            try:
                queries.append(body.decode("utf-8"))
            except UnicodeDecodeError as error:
                raise ProtocolError(
                    400, f"the request body is not UTF-8 (byte {error.start})"
                ) from None
        elif media_type == "application/sparql-update" or "update" in params:
            raise ProtocolError(403, READ_ONLY)
        else:
            shown = media_type or "none"
            raise ProtocolError(
                415,
                f"unsupported content type {shown}: send a query as "
                "application/x-www-form-urlencoded (query=…) or as application/sparql-query",
            )
        if not queries:
            raise ProtocolError(400, "no query: the request has no 'query' parameter")
    else:
        raise ProtocolError(405, f"method {method} is not allowed here; use GET or POST")
    if not queries:
        return None
    if len(queries) > 1:
        raise ProtocolError(
            400, f"the request has {len(queries)} queries; send exactly one 'query' parameter"
        )
    query = queries[0]
    if len(query) > max_query_length:
        # By GET the query is the URL: 414 URI Too Long, as HTTP names it (with CORS, as every
        # answer here), where a server's own 414 would be an HTML page without it.
        raise ProtocolError(
            414 if method in ("GET", "HEAD") else 400,
            f"the query is {len(query):,} characters long; the limit is {max_query_length:,}",
        )
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    formats = params.get("format", [])
    return ProtocolRequest(
        query=query,
        default_graph_uris=tuple(params.get("default-graph-uri", [])),
        named_graph_uris=tuple(params.get("named-graph-uri", [])),
        format=formats[0] if formats else None,
    )


# --- looking into the query before running it -----------------------------------------------

_PROLOGUE_ITEM = re.compile(
    r"\s*(?:\#[^\n]*(?:\n|$)|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)", re.IGNORECASE
)
_FORM = re.compile(r"\s*([A-Za-z]+)")
QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset(
    ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
)


def query_form(query: str) -> str | None:
    """The first keyword after the prologue (``SELECT``, ``ASK``, ``INSERT`` …), upper-case."""
    position = 0
    while match := _PROLOGUE_ITEM.match(query, position):
        if match.end() == position:
            break
        position = match.end()
    match = _FORM.match(query, position)
    return match.group(1).upper() if match else None


@dataclass(frozen=True)
class QueryFacts:
    """What the endpoint checks before running a query."""

    form: str | None
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    #: SERVICE ?var: the endpoint would be chosen by data at run time, which we cannot check.
    variable_service: bool = False
    has_dataset_clause: bool = field(default=False)
    #: (start, end) offsets of each SERVICE target in the query text, parallel to ``services``
    service_spans: tuple[tuple[int, int], ...] = ()
    #: False when two runs may answer differently (NOW(), RAND(), …): never cached
    deterministic: bool = True


def analyse_query(
    query: str,
    *,
    max_nesting: int | None = None,
    prefixes: Mapping[str, str] | None = None,
    base_iri: str | None = None,
) -> QueryFacts:
    """Find the query form, its FROM / FROM NAMED graphs, its SERVICE endpoints, whether its
    answer can vary, and refuse it when it nests deeper than ``max_nesting``.

    The form comes from a cheap scan of the prologue; the rest from the lexical scan of
    :mod:`defkg.web.scan`, which reads the text as the query engine does. Syntax errors are
    left to the engine, which reports them with their position. Raises :class:`ProtocolError`
    (400) for an update, a query nested too deeply, or a query whose SERVICE or FROM targets
    cannot be determined safely. ``prefixes`` and ``base_iri`` are the engine's: the
    predeclared prefixes and the endpoint's IRI, which the query's PREFIX and BASE override.
    """
    form = query_form(query)
    if form in UPDATE_KEYWORDS:
        raise ProtocolError(400, f"this is a SPARQL Update ({form} …), not a query; {READ_ONLY}")
    try:
        found = scan(query, max_nesting=max_nesting, prefixes=prefixes, base_iri=base_iri)
    except NestingTooDeep as error:
        raise ProtocolError(400, f"the query is nested too deeply: {error}") from None
    except ScanError as error:
        raise ProtocolError(400, f"the query cannot be checked: {error}") from None
    return QueryFacts(
        form or found.form,
        tuple(found.from_graphs),
        tuple(found.from_named_graphs),
        tuple(found.services),
        found.variable_service,
        bool(found.from_graphs or found.from_named_graphs),
        tuple(found.service_spans),
        found.deterministic,
    )


def service_allowed(iri: str, allowlist: Sequence[str]) -> bool:
    """True when ``iri`` is an allow-listed endpoint: equal to an entry, or under an entry
    that ends with ``/`` (an entry ``https://host/`` allows every endpoint on that host)."""
    return any(
        iri == entry or (entry.endswith("/") and iri.startswith(entry)) for entry in allowlist
    )


def check_services(facts: QueryFacts, allowlist: Sequence[str]) -> None:
    """Refuse (403) a query that would call an endpoint not on the allow-list."""
    if facts.variable_service:
        raise ProtocolError(
            403, "SERVICE with a variable is not allowed: name the endpoint with an IRI"
        )
    for iri in facts.services:
        if not service_allowed(iri, allowlist):
            allowed = ", ".join(allowlist) or "none"
            raise ProtocolError(
                403, f"SERVICE <{iri}> is not allowed; allowed endpoints: {allowed}"
            )


def resolve_dataset(
    request: ProtocolRequest,
    facts: QueryFacts,
    graph_names: Sequence[str],
    default_graphs: Sequence[str] | None,
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The (default graphs, named graphs) to run with; ``None`` leaves that part to the query.

    Protocol parameters override FROM / FROM NAMED; either way, only graphs of this dataset
    may be named (a 400 names the first unknown one) — nothing is ever fetched or read.
    Without either, the endpoint's own ``default_graphs`` apply (``None``: the store's default
    graph, which holds the asserted view) and every named graph of the store, all of them
    ours, is usable in GRAPH — so no list of graphs is sent at all.
    """
    known = set(graph_names)

    def check(iris: Sequence[str], where: str) -> None:
        for iri in iris:
            if iri not in known:
                raise ProtocolError(
                    400,
                    f"unknown graph <{iri}> in {where}: this endpoint only queries its own "
                    f"graphs ({', '.join(graph_names)})",
                )

    if request.default_graph_uris or request.named_graph_uris:
        check(request.default_graph_uris, "default-graph-uri")
        check(request.named_graph_uris, "named-graph-uri")
        return request.default_graph_uris, request.named_graph_uris
    if facts.has_dataset_clause:
        check(facts.from_graphs, "FROM")
        check(facts.from_named_graphs, "FROM NAMED")
        return None, None
    return (None if default_graphs is None else tuple(default_graphs)), None


@functools.lru_cache(maxsize=512)
def choose_types(
    accept: str | None, format_parameter: str | None, form: str | None
) -> tuple[str | None, str | None]:
    """The media types for (SELECT/ASK, CONSTRUCT/DESCRIBE) results; None where none fits.

    ``format=`` wins over ``Accept``. Raises 400 for an unknown ``format`` value and 406 when
    the query's form (if known) has no acceptable type. Memoised: clients send few distinct
    Accept headers, and negotiating one was a fifth of a cached answer's time.
    """
    if format_parameter:
        key = format_parameter.strip().lower()
        solutions = _media_type(formats.by_key(key, "results"))
        graph = _media_type(formats.by_key(key, "graph"))
        if solutions is None and graph is None:
            names = ", ".join(
                dict.fromkeys(
                    n for f in formats.of_kind("results", "graph") for n in (f.key, *f.aliases)
                )
            )
            raise ProtocolError(400, f"unknown format={format_parameter!r}; use one of {names}")
    else:
        solutions = _media_type(
            formats.by_media_type(choose(accept, SOLUTION_OFFER) or "", "results")
        )
        graph = _media_type(formats.by_media_type(choose(accept, GRAPH_OFFER) or "", "graph"))
    if form in ("SELECT", "ASK") and solutions is None:
        raise ProtocolError(
            406, f"a {form} result can be served as: {offered_list(SOLUTION_TYPES)}"
        )
    if form in ("CONSTRUCT", "DESCRIBE") and graph is None:
        raise ProtocolError(406, f"a {form} result can be served as: {offered_list(GRAPH_TYPES)}")
    return solutions, graph
