"""Blueprint: the SPARQL 1.1 Protocol endpoint (``/sparql``, and ``/sparql/inferred``).

``/sparql`` queries the asserted data: its default graph is the union of the source graphs,
the entities and the ontology. ``/sparql/inferred`` is the one switch for inferences: the same
endpoint with the OWL RL inferences (``{base}graph/inferred``) added to the default graph. Both
see every graph of the release by name in ``GRAPH``.

The view is thin: :mod:`defkg.web.protocol` reads and checks the request, the query pool
(:mod:`defkg.store.executor`) runs it within the limits. Statuses of its own: 403 for updates
and refused SERVICE calls, 422 for a result over the row or byte cap or a SERVICE answer over
``service_max_bytes`` (SERVICE calls go through :mod:`defkg.store.service_relay`), 504 for a
query stopped at the time limit, 503 + Retry-After when too many queries are running.

Answers are cached (:mod:`defkg.web.result_cache`): a repeated request is answered from the
web process's memory, and every answer carries an ``ETag`` so a client's ``If-None-Match``
gets a 304. ``X-Defkg-Cache`` says ``hit``, ``miss`` or ``off`` (a SERVICE query, or the
cache switched off with ``result_cache_bytes = 0``: then there is no ETag either).

:func:`answer_query` is the endpoint's one answer to a checked request, in plain values. The
Flask view wraps it, and so does :class:`PlainQueries`, which answers the common case (a GET
with ``?query=``) before Flask runs: Flask's request handling was a large part of the web
process's time per uncached answer. Both write the same status, headers, body and access line.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import ClassVar, cast

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from jinja2 import TemplateNotFound
from markupsafe import escape
from werkzeug import urls as _werkzeug_urls  # noqa: F401 (registers "werkzeug.url_quote")

from defkg import formats
from defkg.config import Settings
from defkg.store import QueryTimeout, Saturated, WorkerCrashed
from defkg.store.jobs import QueryJob, QueryOutcome
from defkg.store.sandbox import SERVICE_OFF, service_off_reason
from defkg.store.service_relay import rewrite_services
from defkg.web.fairness import CLIENT_KEY, OverBudget
from defkg.web.negotiation import choose, offered_list
from defkg.web.protocol import (
    ProtocolError,
    ProtocolRequest,
    QueryFacts,
    analyse_query,
    check_services,
    choose_types,
    parse_request,
    resolve_dataset,
)
from defkg.web.publication import Publication
from defkg.web.responses import QUERY_MS_KEY, plain_error
from defkg.web.result_cache import (
    ENVIRON_KEY,
    RepeatedRequests,
    result_etag,
    result_key,
)

blueprint = Blueprint("sparql", __name__)

#: The service description for RDF clients, or the query page for browsers (offered last).
DESCRIPTION_TYPES = [*formats.media_types("graph"), "text/html"]
_METHODS = "GET, HEAD, POST, OPTIONS"


@blueprint.record_once
def answer_repeats_before_flask(state) -> None:
    """Put :class:`RepeatedRequests` and :class:`PlainQueries` in front of the app (once, when
    it is assembled): repeats first, then plain GET queries, then Flask for everything else."""
    publication = state.app.extensions["defkg"]
    state.app.wsgi_app = RepeatedRequests(
        PlainQueries(state.app.wsgi_app, publication),
        publication.result_cache,
        publication.release_tag,
    )


@blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql() -> ResponseReturnValue:
    """The endpoint over the asserted data."""
    return _endpoint(with_inferences=False)


@blueprint.route("/sparql/inferred", methods=["GET", "POST", "OPTIONS"])
def sparql_inferred() -> ResponseReturnValue:
    """The same endpoint with the OWL RL inferences in the default graph."""
    return _endpoint(with_inferences=True)


def _endpoint(*, with_inferences: bool) -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return _preflight()
    publication = current_app.extensions["defkg"]
    settings: Settings = publication.settings
    try:
        parsed = parse_request(
            request.method,
            request.content_type,
            request.args.to_dict(flat=False),
            request.form.to_dict(flat=False) if request.mimetype.endswith("urlencoded") else {},
            request.get_data(cache=False)
            if request.mimetype == "application/sparql-query"
            else b"",
            max_query_length=settings.max_query_length,
        )
    except ProtocolError as error:
        return plain_error(error.status, error.message, error.headers)
    if parsed is None:
        return _describe(publication, with_inferences)
    answer = answer_query(
        publication,
        parsed,
        request.headers.get("Accept"),
        with_inferences=with_inferences,
        client=request.environ.get(CLIENT_KEY) or request.remote_addr or "-",
        if_none_match=request.if_none_match.contains,
    )
    if answer.query_ms is not None:
        request.environ[QUERY_MS_KEY] = answer.query_ms
    if answer.cache_key is not None:
        request.environ[ENVIRON_KEY] = answer.cache_key  # lets RepeatedRequests answer repeats
    if answer.status == 304:
        response = Response(status=304)
    else:
        response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


_PLAIN_TEXT = "text/plain; charset=utf-8"


@dataclass
class QueryAnswer:
    """The endpoint's answer to one query, in plain values (for Flask or bare WSGI)."""

    status: int
    body: bytes
    content_type: str
    #: ETag, X-Defkg-Cache, Retry-After: whichever apply
    headers: dict[str, str] = field(default_factory=dict)
    #: milliseconds spent waiting for the query pool (None: the pool was not asked)
    query_ms: float | None = None
    #: the result cache's key when the answer is (now) in the cache, for RepeatedRequests
    cache_key: tuple | None = None


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> QueryAnswer:
    """An error answer: the same plain-text body as ``plain_error``."""
    return QueryAnswer(
        status, (message.rstrip() + "\n").encode("utf-8"), _PLAIN_TEXT, dict(headers or {})
    )


def answer_query(
    publication: Publication,
    parsed: ProtocolRequest,
    accept: str | None,
    *,
    with_inferences: bool,
    client: str = "-",
    if_none_match: Callable[[str], bool] | None = None,
) -> QueryAnswer:
    """The one answer path of the endpoint: check the query, answer it from the result cache
    (or 304), else run it within ``client``'s budgets and the limits, and map what went wrong.

    ``if_none_match(etag)`` says whether the request's If-None-Match names that ETag (a 304).
    """
    try:
        plan = plan_query(publication, parsed, accept, with_inferences)
    except ProtocolError as error:
        return _refusal(error.status, error.message, error.headers)
    cached = cached_answer(publication, plan, if_none_match)
    if cached is not None:
        return cached
    return run_query(publication, plan, client)


@dataclass(frozen=True)
class QueryPlan:
    """A checked query, ready to be answered."""

    job: QueryJob
    facts: QueryFacts
    #: the release tag when the answer may be cached (None: never, e.g. SERVICE or RAND())
    tag: str | None
    etag: str | None
    key: tuple


def plan_query(
    publication: Publication, parsed: ProtocolRequest, accept: str | None, with_inferences: bool
) -> QueryPlan:
    """The checks (form, nesting, SERVICE, dataset, formats); raises :class:`ProtocolError`."""
    settings: Settings = publication.settings
    base_iri = query_base_iri(settings, with_inferences)
    facts = analyse_query(
        parsed.query,
        max_nesting=settings.max_query_nesting,
        prefixes=settings.iris.prefixes(),
        base_iri=base_iri,
    )
    check_services(facts, settings.service_allowlist)
    if facts.services and not getattr(publication.executor, "sandboxed", True):
        raise ProtocolError(403, SERVICE_OFF)
    default_graphs, named_graphs = resolve_dataset(
        parsed,
        facts,
        publication.graph_names,
        publication.query_default_graphs(with_inferences),
    )
    solutions_type, graph_type = choose_types(accept, parsed.format, facts.form)
    job = QueryJob(
        query=parsed.query,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        solutions_type=solutions_type,
        graph_type=graph_type,
        max_rows=settings.max_result_rows,
        max_bytes=settings.max_result_bytes,
        base_iri=base_iri,
    )
    # A SERVICE call reads someone else's data, which may change, and NOW(), RAND(), … differ
    # between runs: never cached.
    cache = publication.result_cache
    uncacheable = facts.services or not facts.deterministic or not cache.enabled
    tag = None if uncacheable else publication.release_tag()
    etag = result_etag(tag, job) if tag is not None else None
    return QueryPlan(job, facts, tag, etag, result_key(tag or "", job))


def cached_answer(
    publication: Publication, plan: QueryPlan, if_none_match: Callable[[str], bool] | None
) -> QueryAnswer | None:
    """A 304 for a client that holds the answer, or the answer from the result cache."""
    if plan.etag is not None and if_none_match is not None and if_none_match(plan.etag):
        return QueryAnswer(304, b"", "", {"ETag": f'"{plan.etag}"', "X-Defkg-Cache": "hit"})
    if plan.tag is None:
        return None
    outcome = publication.result_cache.get(plan.key)
    if outcome is None:
        return None
    return _answer(outcome, plan.etag, "hit", cache_key=plan.key)


def run_query(publication: Publication, plan: QueryPlan, client: str) -> QueryAnswer:
    """Run the query in the pool, charged to ``client``'s budgets (429 when over one)."""
    settings: Settings = publication.settings
    budgets = publication.budgets
    try:
        budgets.admit(client)
    except OverBudget as error:
        return _refusal(429, str(error), {"Retry-After": str(error.retry_after)})
    facts, job = plan.facts, plan.job
    timeout = settings.query_timeout
    relay = publication.service_relay if facts.services else None
    session = None
    urls: list[str] = []
    if facts.services:
        timeout = min(timeout, settings.service_timeout)
    if relay is not None:
        # Every SERVICE call goes through the relay, which caps the answer's size.
        session, urls = relay.open(facts.services)
        job = replace(job, query=rewrite_services(job.query, facts.service_spans, urls))
    timings: dict[str, float] = {}
    failure: Exception | None = None
    started = time.perf_counter()
    try:
        outcome = publication.executor.run(job, timeout, timings)
    except (Saturated, WorkerCrashed, QueryTimeout) as error:
        failure = error
    finally:
        query_ms = (time.perf_counter() - started) * 1000
        budgets.release(client, timings.get("ran", 0.0), crashed=isinstance(failure, WorkerCrashed))
        if session is not None and relay is not None:  # a session comes from the relay
            relay.close(session)
    overflowed = session is not None and session.overflowed
    if failure is not None:
        answer = _failure(failure, overflowed, settings)
    else:
        answer = _outcome_answer(publication, plan, outcome, overflowed, urls)
    answer.query_ms = query_ms
    return answer


def _overflow(settings: Settings) -> QueryAnswer:
    return _refusal(
        422,
        f"a SERVICE answer exceeded {settings.service_max_bytes} bytes "
        "(DEFKG_SERVICE_MAX_BYTES) and was cut off; ask the endpoint for less",
    )


def _failure(error: Exception, overflowed: bool, settings: Settings) -> QueryAnswer:
    """The answer to a query the pool could not run to its end."""
    if isinstance(error, Saturated):
        return _refusal(503, str(error), {"Retry-After": "2"})
    if isinstance(error, WorkerCrashed):
        return _refusal(502, str(error))
    if overflowed:
        return _overflow(settings)
    return _refusal(504, str(error) + "; simplify it or add a LIMIT")


def _outcome_answer(
    publication: Publication,
    plan: QueryPlan,
    outcome: QueryOutcome,
    overflowed: bool,
    urls: list[str],
) -> QueryAnswer:
    """The answer to what a worker returned: the result (kept in the cache if it may be),
    or its error."""
    # Checked before the outcome: a cut-off answer may even have parsed (SERVICE SILENT, TSV).
    if overflowed:
        return _overflow(publication.settings)
    if outcome.status != 200:
        message = outcome.body.decode("utf-8", "replace")
        # The engine's messages name the relay; people know the endpoint they asked for.
        for url, endpoint in zip(urls, plan.facts.services, strict=False):
            message = message.replace(url, endpoint)
        return _refusal(outcome.status, message)
    cacheable = plan.tag is not None
    kept = cacheable and publication.result_cache.put(plan.key, outcome)
    return _answer(outcome, plan.etag, "miss" if cacheable else "off", plan.key if kept else None)


def _answer(
    outcome: QueryOutcome, etag: str | None, cache_state: str, cache_key: tuple | None
) -> QueryAnswer:
    """A 200 with the serialised result, its ETag, and whether the result cache answered."""
    content_type = outcome.media_type
    if content_type.startswith("text/") or content_type.endswith("json"):
        content_type += "; charset=utf-8"
    headers = {"ETag": f'"{etag}"'} if etag is not None else {}
    headers["X-Defkg-Cache"] = cache_state
    return QueryAnswer(200, outcome.body, content_type, headers, cache_key=cache_key)


class PlainQueries:
    """WSGI middleware: answers ``GET /sparql[/inferred]?query=…`` without Flask.

    Uses :func:`answer_query`, as the view does; what every response gets (CORS, Vary, the
    access log) is added around both by :class:`defkg.web.app.EveryResponse`. Anything else
    (POST, HEAD, OPTIONS, no query, If-None-Match) goes to Flask.
    """

    #: the paths it answers, and whether each adds the inferences
    PATHS: ClassVar[dict[str, bool]] = {"/sparql": False, "/sparql/inferred": True}

    def __init__(self, wsgi_app, publication: Publication) -> None:
        self.wsgi_app = wsgi_app
        self.publication = publication

    def __call__(self, environ: dict, start_response):
        with_inferences = self.PATHS.get(environ.get("PATH_INFO", ""))
        if (
            with_inferences is None
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_IF_NONE_MATCH" in environ
            or "query" not in (args := _query_args(environ.get("QUERY_STRING", "")))
        ):
            return self.wsgi_app(environ, start_response)
        try:
            parsed = parse_request(
                "GET",
                environ.get("CONTENT_TYPE"),
                args,
                {},
                b"",
                max_query_length=self.publication.settings.max_query_length,
            )
            if parsed is None:  # not reached while "query" is among the arguments
                return self.wsgi_app(environ, start_response)
            answer = answer_query(
                self.publication,
                parsed,
                environ.get("HTTP_ACCEPT"),
                with_inferences=with_inferences,
                client=environ.get(CLIENT_KEY) or environ.get("REMOTE_ADDR") or "-",
            )
        except ProtocolError as error:
            answer = _refusal(error.status, error.message, error.headers)
        except Exception:  # as the app's error handler: a short message, never a traceback
            _log.exception("unhandled error answering GET %s", environ.get("PATH_INFO"))
            answer = _refusal(500, "internal error: the request could not be answered")
        if answer.cache_key is not None:
            environ[ENVIRON_KEY] = answer.cache_key
        headers = [
            ("Content-Type", answer.content_type),
            ("Content-Length", str(len(answer.body))),
            *answer.headers.items(),
        ]
        if answer.query_ms is not None:
            environ[QUERY_MS_KEY] = answer.query_ms
        reason = HTTPStatus(answer.status).phrase
        start_response(f"{answer.status} {reason}", headers)
        return [answer.body]


def _query_args(query_string: str) -> dict[str, list[str]]:
    """The parameters of a WSGI query string exactly as Werkzeug's ``request.args`` reads them
    (every value kept; invalid UTF-8 in an escape stays percent-encoded); {} when the raw
    string is not UTF-8, which is left to Flask."""
    try:
        text = query_string.encode("latin-1").decode()
    except UnicodeError:
        return {}
    return urllib.parse.parse_qs(text, keep_blank_values=True, errors="werkzeug.url_quote")


_log = logging.getLogger(__name__)


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Allow"] = _METHODS
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = _METHODS
    response.headers["Access-Control-Allow-Headers"] = (
        request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type"
    )
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def query_base_iri(settings: Settings, with_inferences: bool) -> str:
    """What relative IRIs in a query resolve against: the endpoint's own IRI, from the
    configuration (as Fuseki and Oxigraph do; SPARQL 1.1 Query section 4.1.1)."""
    return endpoint_url(settings, with_inferences)


def endpoint_url(settings: Settings, with_inferences: bool) -> str:
    """This endpoint's public URL, from the configuration (never from the Host header)."""
    return settings.site_url + ("sparql/inferred" if with_inferences else "sparql")


def _describe(publication: Publication, with_inferences: bool) -> Response:
    """GET without a query: the service description, or the query page for a browser."""
    if request.method not in ("GET", "HEAD"):
        return plain_error(400, "no query: the request has no 'query' parameter")
    chosen = choose(request.headers.get("Accept"), DESCRIPTION_TYPES)
    if chosen is None:
        return plain_error(
            406, "the service description can be served as: " + offered_list(DESCRIPTION_TYPES)
        )
    settings = publication.settings
    url = endpoint_url(settings, with_inferences)
    if chosen == "text/html":
        return Response(_query_page(settings, url, with_inferences), mimetype="text/html")
    graph = service_description(
        url,
        settings,
        publication.graph_names,
        publication.default_graphs(with_inferences),
        publication.triple_count(with_inferences),
        service_off=service_off_reason(publication.executor),
    )
    described = cast(formats.Format, formats.by_media_type(chosen))  # one of DESCRIPTION_TYPES
    body = graph.serialize(format=described.rdflib, encoding="utf-8")
    return Response(body, content_type=chosen + "; charset=utf-8")


def _query_page(settings: Settings, url: str, with_inferences: bool) -> str:
    """The query UI (the template another module provides), or a bare form if it is absent."""
    context = {
        "endpoint": url,
        "with_inferences": with_inferences,
        "prefixes": settings.iris.prefixes(),
        "settings": settings,
    }
    try:
        return render_template("query.html", **context)
    except TemplateNotFound:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>defkg SPARQL endpoint</title></head><body>"
            f"<h1>SPARQL endpoint</h1><p>{escape(url)}</p>"
            f"<form method='get' action='{escape(url)}'>"
            "<textarea name='query' rows='12' cols='80'>"
            "SELECT * WHERE { ?s ?p ?o } LIMIT 10</textarea><br>"
            "<button type='submit'>Run</button></form></body></html>"
        )


def service_description(
    url: str,
    settings: Settings,
    graph_names: list[str],
    default_graphs: tuple[str, ...],
    triple_count: int,
    service_off: str | None = None,
):  # -> rdflib.Graph
    """The SPARQL 1.1 Service Description of the endpoint at ``url``, with VoID and limits.

    ``service_off`` says why SERVICE is switched off (the query workers cannot be isolated
    from the network): then federated query is not offered and the reason is stated.
    """
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, XSD

    from defkg.iris import SD, VOID

    w3c_formats = Namespace("http://www.w3.org/ns/formats/")
    iris = settings.iris
    defkg = iris.vocab
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", w3c_formats)
    graph.bind("defkg", str(defkg))
    service = URIRef(url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for answer_format in (*formats.of_kind("results"), *formats.of_kind("graph")):
        if answer_format.w3c is not None:
            graph.add((service, SD.resultFormat, w3c_formats[answer_format.w3c]))
    if service_off is None:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    else:
        graph.add((service, defkg.serviceCallsOff, Literal(service_off)))

    dataset = iris.dataset
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, VOID.sparqlEndpoint, service))
    graph.add((dataset, VOID.uriSpace, Literal(iris.base)))
    default = BNode("defaultGraph")
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, RDF.type, VOID.Dataset))
    graph.add((default, VOID.triples, Literal(triple_count, datatype=XSD.integer)))
    for member in default_graphs:
        # The default graph is the union of these named graphs.
        graph.add((default, VOID.subset, URIRef(member)))
    for index, name in enumerate(graph_names):
        named = BNode(f"namedGraph{index}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))

    limits = [
        ("queryTimeLimit", settings.query_timeout, XSD.decimal),
        ("serviceTimeLimit", settings.service_timeout, XSD.decimal),
        ("maxServiceAnswerBytes", settings.service_max_bytes, XSD.integer),
        ("maxQueryLength", settings.max_query_length, XSD.integer),
        ("maxQueryNesting", settings.max_query_nesting, XSD.integer),
        ("maxRequestBytes", settings.max_request_bytes, XSD.integer),
        ("maxResultRows", settings.max_result_rows, XSD.integer),
        ("maxResultBytes", settings.max_result_bytes, XSD.integer),
        ("maxConcurrentQueries", settings.max_concurrent_queries, XSD.integer),
        ("maxQueryMemoryMegabytes", settings.max_query_memory_mb, XSD.integer),
    ]
    for term, value, datatype in limits:
        graph.add((service, defkg[term], Literal(value, datatype=datatype)))
    for allowed in settings.service_allowlist if service_off is None else ():
        graph.add((service, defkg.allowedServiceEndpoint, URIRef(allowed)))
    return graph
