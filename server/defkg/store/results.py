"""Serialise pyoxigraph query results to the SPARQL result formats, within row and byte caps.

Plain functions over pyoxigraph's result objects, shared by the embedded store's query workers
(and by any executor that holds pyoxigraph results). A result over a cap raises
:class:`ResultTooLarge`: the endpoint answers with an error, never with a truncated 200.

SELECT results are written here rather than with ``QuerySolutions.serialize`` because the row
cap must be checked while iterating, and pyoxigraph cannot serialise solutions it has already
handed to Python. CONSTRUCT/DESCRIBE triples are collected (up to the cap) and then written by
pyoxigraph's own serialisers, which cover all four RDF formats including JSON-LD.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from defkg import formats
from defkg.store.jobs import QueryJob, QueryOutcome

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: Media types for SELECT and ASK results, in the server's order of preference.
SOLUTION_TYPES: dict[str, str] = {f.media_type: f.key for f in formats.of_kind("results")}
#: Media types for CONSTRUCT and DESCRIBE results, in the server's order of preference.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    f.media_type: ox.RdfFormat.from_media_type(f.media_type) for f in formats.of_kind("graph")
}


_COMPACT = (",", ":")


class ResultTooLarge(Exception):
    """A result exceeds the row or byte cap; the message says which cap and its value."""


class _CappedBuffer:
    """Collects output and raises ResultTooLarge as soon as it grows past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ResultTooLarge(
                f"the result is larger than the limit of {self.max_bytes:,} bytes; "
                "add a LIMIT or select fewer variables"
            )
        self.parts.append(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _too_many_rows(max_rows: int, what: str) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result has more than the limit of {max_rows:,} {what}; "
        "add a LIMIT (and OFFSET to page)"
    )


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected RDF term {term!r}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"unexpected RDF term {term!r}")


def _csv_term(term: object) -> str:
    # SPARQL 1.1 CSV: IRIs and literals as bare text (no datatype or language), blank nodes _:x.
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def serialize_solutions(
    solutions: ox.QuerySolutions, fmt: str, *, max_rows: int, max_bytes: int
) -> bytes:
    """Write SELECT solutions as ``json``, ``xml``, ``csv`` or ``tsv`` within the caps."""
    names = [v.value for v in solutions.variables]
    out = _CappedBuffer(max_bytes)
    rows = 0
    if fmt == "json":
        head = json.dumps({"head": {"vars": names}}, separators=_COMPACT)
        out.write(head[:-1] + ',"results":{"bindings":[')
        for solution in solutions:
            rows += 1
            if rows > max_rows:
                raise _too_many_rows(max_rows, "rows")
            binding = {
                name: _json_term(solution[name]) for name in names if solution[name] is not None
            }
            text = json.dumps(binding, ensure_ascii=False, separators=_COMPACT)
            out.write(("," if rows > 1 else "") + text)
        out.write("]}}")
    elif fmt == "xml":
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
            + "".join(f"<variable name={quoteattr(n)}/>" for n in names)
            + "</head>\n<results>\n"
        )
        for solution in solutions:
            rows += 1
            if rows > max_rows:
                raise _too_many_rows(max_rows, "rows")
            cells = "".join(
                f"<binding name={quoteattr(n)}>{_xml_term(solution[n])}</binding>"
                for n in names
                if solution[n] is not None
            )
            out.write(f"<result>{cells}</result>\n")
        out.write("</results>\n</sparql>\n")
    elif fmt == "csv":
        line = io.StringIO()
        writer = csv.writer(line, lineterminator="\r\n")
        writer.writerow(names)
        for solution in solutions:
            rows += 1
            if rows > max_rows:
                raise _too_many_rows(max_rows, "rows")
            writer.writerow(["" if solution[n] is None else _csv_term(solution[n]) for n in names])
            if line.tell() > 65536:
                out.write(line.getvalue())
                line.seek(0)
                line.truncate()
        out.write(line.getvalue())
    elif fmt == "tsv":
        # SPARQL 1.1 TSV: terms in their Turtle / N-Triples form, which str() gives.
        out.write("\t".join("?" + n for n in names) + "\n")
        for solution in solutions:
            rows += 1
            if rows > max_rows:
                raise _too_many_rows(max_rows, "rows")
            out.write(
                "\t".join("" if solution[n] is None else str(solution[n]) for n in names) + "\n"
            )
    else:
        raise ValueError(f"unknown result format {fmt!r}")
    return out.getvalue()


def serialize_boolean(value: bool, fmt: str) -> bytes:
    """Write an ASK answer as ``json``, ``xml``, ``csv`` or ``tsv``."""
    word = "true" if value else "false"
    if fmt == "json":
        return ('{"head":{},"boolean":' + word + "}").encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
            f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n"
        ).encode()
    if fmt == "csv":
        # No standard CSV/TSV form for ASK; a one-cell table is what other engines send.
        return f"_askResult\r\n{word}\r\n".encode()
    if fmt == "tsv":
        return f"?_askResult\n{word}\n".encode()
    raise ValueError(f"unknown result format {fmt!r}")


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
    data = ox.serialize(collected, format=rdf_format, prefixes=prefixes or None)
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
        result,
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
