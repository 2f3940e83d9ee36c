"""The messages between the endpoint and whatever runs its untrusted queries.

A :class:`QueryJob` says what to run, against which graphs, how to serialise the answer and
within which caps; a :class:`QueryOutcome` is the HTTP-ready answer (status, media type, bytes).
Both are small frozen dataclasses of plain values so that they cross a process boundary cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueryJob:
    """One query to run, already checked against the endpoint's rules."""

    query: str
    #: IRIs of the default graph's members ("" is the store's own default graph, which holds
    #: the asserted view), or None: the query's FROM clauses, else the store's default graph.
    default_graphs: tuple[str, ...] | None
    #: IRIs usable in GRAPH, or None: the query's FROM NAMED, else every graph of the store.
    named_graphs: tuple[str, ...] | None
    #: the media type to answer a SELECT or ASK with (None: the client accepts none).
    solutions_type: str | None
    #: the media type to answer a CONSTRUCT or DESCRIBE with (None: the client accepts none).
    graph_type: str | None
    max_rows: int
    max_bytes: int
    #: the IRI relative IRIs in the query resolve against (the endpoint's, as Fuseki and
    #: Oxigraph do); None: relative IRIs are an error
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryOutcome:
    """The answer to a job: a status, a media type and the body (an error message if not 200)."""

    status: int
    media_type: str
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> QueryOutcome:
        return cls(status, "text/plain; charset=utf-8", message.encode("utf-8"))
