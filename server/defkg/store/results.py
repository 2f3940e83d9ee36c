"""Serialise pyoxigraph query results to the SPARQL result formats, within row and byte caps.

Plain functions over pyoxigraph's result objects, shared by the embedded store's query workers
(and by any executor that holds pyoxigraph results). A result over a cap raises
:class:`ResultTooLarge`: the endpoint answers with an error, never with a truncated 200.

Everything is written by pyoxigraph's own serialisers (Rust): SELECT solutions stream into a
sink that stops at the byte cap, and the row cap is checked on the written body (counted only
when the body is long enough to hold too many rows); CONSTRUCT/DESCRIBE triples are collected
up to the cap and then written, in all four RDF formats including JSON-LD. ASK answers are
written here (a fixed text per format).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterable
from typing import BinaryIO, cast

import pyoxigraph as ox

from defkg import formats
from defkg.store.jobs import QueryJob, QueryOutcome

#: Media types for SELECT and ASK results, in the server's order of preference.
SOLUTION_TYPES: dict[str, str] = {f.media_type: f.key for f in formats.of_kind("results")}
#: Media types for CONSTRUCT and DESCRIBE results, in the server's order of preference.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    f.media_type: f.rdf_format() for f in formats.of_kind("graph")
}


def _results_format(fmt: str) -> formats.Format:
    """The registry's SPARQL results format named ``fmt`` (``json``, ``xml``, ``csv``, ``tsv``)."""
    found = formats.by_key(fmt, "results")
    if found is None or found.key != fmt:
        raise ValueError(f"unknown result format {fmt!r}")
    return found


class ResultTooLarge(Exception):
    """A result exceeds the row or byte cap; the message says which cap and its value."""


class _CappedSink:
    """A binary file for pyoxigraph's writers that raises ResultTooLarge past ``max_bytes``.

    pyoxigraph hands over its output in chunks of about 8 KB and lets the exception through,
    so an oversized result stops being written as soon as it passes the cap.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ResultTooLarge(
                f"the result is larger than the limit of {self.max_bytes:,} bytes; "
                "add a LIMIT or select fewer variables"
            )
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)


def _too_many_rows(max_rows: int, what: str) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result has more than the limit of {max_rows:,} {what}; "
        "add a LIMIT (and OFFSET to page)"
    )


def count_rows(body: bytes, fmt: str) -> int:
    """How many solutions a serialised SELECT result (as pyoxigraph writes it) holds.

    By the structure of each format, not a strict parser: pyoxigraph's readers refuse a value
    over 16 MB and the csv module a field over 131,072 characters, and a result we wrote
    must never fail to be counted. TSV escapes line breaks, so rows are lines after the
    header; XML escapes ``<`` in text, so ``<result>`` opens each row; CSV is read with the
    csv module without its field limit; JSON with pyoxigraph's reader up to 16 MB, else by
    :func:`_count_json_rows`.
    """
    if fmt == "tsv":
        return body.count(b"\n") - 1
    if fmt == "xml":
        return body.count(b"<result>")
    if fmt == "csv":
        limit = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)
        try:
            rows = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
            return sum(1 for _ in rows) - 1
        finally:
            csv.field_size_limit(limit)
    if fmt == "json" and len(body) > _JSON_READER_MAX:
        return _count_json_rows(body)
    parsed = ox.parse_query_results(body, format=_results_format(fmt).results_format())
    return sum(1 for _ in cast(ox.QuerySolutions, parsed))


#: pyoxigraph's JSON reader refuses a token over 16 MB, and only after growing its buffer to
#: gigabytes: a longer body (which may hold such a value) is counted by structure instead.
_JSON_READER_MAX = 16 * 2**20
#: JSON strings (escapes included; an unrolled loop, fast on long strings) and brackets.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]')


def _count_json_rows(body: bytes) -> int:
    """Rows of a SPARQL JSON result: the objects directly inside ``results.bindings`` (depth
    3: the document, ``results``, the ``bindings`` array), strings skipped."""
    depth = rows = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group()
        if token in (b"{", b"["):
            if token == b"{" and depth == 3:
                rows += 1
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
    return rows


def serialize_solutions(
    solutions: ox.QuerySolutions, fmt: str, *, max_rows: int, max_bytes: int
) -> bytes:
    """Write SELECT solutions as ``json``, ``xml``, ``csv`` or ``tsv`` within the caps.

    pyoxigraph writes them (in Rust, several times faster than building them here term by
    term) into a sink that stops at ``max_bytes``; rows are counted afterwards, and only when
    the body is long enough to hold more than ``max_rows`` of them.
    """
    results = _results_format(fmt)
    sink = _CappedSink(max_bytes)
    solutions.serialize(cast(BinaryIO, sink), format=results.results_format())
    body = sink.getvalue()
    if len(body) > results.min_row_bytes * max_rows and count_rows(body, fmt) > max_rows:
        raise _too_many_rows(max_rows, "rows")
    return body


def serialize_boolean(value: bool, fmt: str) -> bytes:
    """Write an ASK answer as ``json``, ``xml``, ``csv`` or ``tsv``."""
    return _results_format(fmt).ask_answer(value)


def serialize_triples(
    triples: Iterable[ox.Triple],
    rdf_format: ox.RdfFormat,
    *,
    max_rows: int,
    max_bytes: int,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """Write CONSTRUCT/DESCRIBE triples in ``rdf_format`` within the caps."""
    collected: list[ox.Triple] = []
    for triple in triples:
        collected.append(triple)
        if len(collected) > max_rows:
            raise _too_many_rows(max_rows, "triples")
    data = cast(bytes, ox.serialize(collected, format=rdf_format, prefixes=prefixes or None))
    if len(data) > max_bytes:
        raise ResultTooLarge(
            f"the result is larger than the limit of {max_bytes:,} bytes; "
            "add a LIMIT or construct fewer triples"
        )
    return data


def outcome_of(
    result: object, job: QueryJob, prefixes: dict[str, str] | None = None
) -> QueryOutcome:
    """Serialise a pyoxigraph query result as the job asks, within its caps (both stores).

    Raises ResultTooLarge over a cap; a result form the client accepts no type for is a 406.
    """
    if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
        if job.solutions_type is None:
            return not_acceptable(SOLUTION_TYPES)
        fmt = SOLUTION_TYPES[job.solutions_type]
        if isinstance(result, ox.QueryBoolean):
            body = serialize_boolean(bool(result), fmt)
        else:
            body = serialize_solutions(result, fmt, max_rows=job.max_rows, max_bytes=job.max_bytes)
        return QueryOutcome(200, job.solutions_type, body)
    if job.graph_type is None:
        return not_acceptable(GRAPH_TYPES)
    body = serialize_triples(
        cast(ox.QueryTriples, result),
        GRAPH_TYPES[job.graph_type],
        max_rows=job.max_rows,
        max_bytes=job.max_bytes,
        prefixes=prefixes,
    )
    return QueryOutcome(200, job.graph_type, body)


def not_acceptable(offered: dict) -> QueryOutcome:
    """406 listing what this kind of result can be served as."""
    return QueryOutcome.error(
        406, "none of the accepted media types can be served; offered: " + ", ".join(offered)
    )
