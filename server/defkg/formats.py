"""The formats defkg reads and writes: one registry, looked up by name, media type or file name.

Like rdflib's plugin registry, this is the only table of formats: the endpoint's content
negotiation and ``format=`` parameter, the resource documents, the downloads, the release's
VoID and the serialisers all ask here, so a format is added (or a media type corrected) in one
place. The order of :data:`FORMATS` is the server's order of preference within each kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["page", "graph", "dataset", "results", "text"]


@dataclass(frozen=True)
class Format:
    """One format: its short name, media type and what it serialises."""

    key: str  #: short name: the document extension (``.ttl``) and the ``format=`` value
    media_type: str
    label: str
    kind: Kind  #: page, graph (triples), dataset (quads), results (SELECT/ASK), text
    rdflib: str | None = None  #: rdflib's serializer/parser plugin name
    aliases: tuple[str, ...] = ()  #: other ``format=`` values that select it
    generic: tuple[str, ...] = ()  #: generic media types a client may ask for instead


FORMATS: tuple[Format, ...] = (
    Format("html", "text/html", "HTML", "page"),
    Format("ttl", "text/turtle", "Turtle", "graph", "turtle", ("turtle",)),
    Format(
        "jsonld",
        "application/ld+json",
        "JSON-LD",
        "graph",
        "json-ld",
        ("json",),
        ("application/json",),
    ),
    Format(
        "nt", "application/n-triples", "N-Triples", "graph", "nt", ("ntriples",), ("text/plain",)
    ),
    Format(
        "rdf",
        "application/rdf+xml",
        "RDF/XML",
        "graph",
        "xml",
        ("xml", "rdfxml"),
        ("application/xml",),
    ),
    Format("trig", "application/trig", "TriG", "dataset", "trig"),
    Format("nq", "application/n-quads", "N-Quads", "dataset", "nquads"),
    Format(
        "json",
        "application/sparql-results+json",
        "SPARQL results in JSON",
        "results",
        generic=("application/json",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "SPARQL results in XML",
        "results",
        generic=("application/xml",),
    ),
    Format("csv", "text/csv", "CSV", "results"),
    Format("tsv", "text/tab-separated-values", "TSV", "results"),
)

#: Release files that are neither dumps nor results, by file name or extension.
_OTHER_FILES = {
    "SHA256SUMS": "text/plain",
    "search.sqlite": "application/vnd.sqlite3",
    ".txt": "text/plain",
    ".json": "application/json",
}


def of_kind(*kinds: Kind) -> list[Format]:
    """The formats of the given kinds, in the server's order of preference."""
    return [f for f in FORMATS if f.kind in kinds]


def media_types(*kinds: Kind) -> list[str]:
    """The media types offered for the given kinds, in the server's order of preference."""
    return [f.media_type for f in of_kind(*kinds)]


def by_key(key: str, *kinds: Kind) -> Format | None:
    """The format whose short name (or ``format=`` alias) is ``key``, among ``kinds``."""
    candidates = of_kind(*kinds) if kinds else list(FORMATS)
    for f in candidates:
        if key == f.key:
            return f
    for f in candidates:
        if key in f.aliases or key == f.media_type:
            return f
    return None


def by_media_type(media_type: str, *kinds: Kind) -> Format | None:
    """The format a (specific or generic) media type selects, among ``kinds``."""
    media_type = media_type.split(";", 1)[0].strip().lower()
    candidates = of_kind(*kinds) if kinds else list(FORMATS)
    exact = next((f for f in candidates if f.media_type == media_type), None)
    return exact or next((f for f in candidates if media_type in f.generic), None)


def offered(*kinds: Kind) -> list[str]:
    """What content negotiation offers for ``kinds``: the specific media types first, then the
    generic ones (``application/json``…) that stand for them."""
    specific = media_types(*kinds)
    generic = [g for f in of_kind(*kinds) for g in f.generic if g not in specific]
    return [*specific, *dict.fromkeys(generic)]


def for_file(name: str) -> Format | None:
    """The dump format of a release file name (``defkg.ttl``, ``defkg.nq.gz``), if any."""
    stem = name.removesuffix(".gz")
    extension = stem.rsplit(".", 1)[-1] if "." in stem else ""
    return by_key(extension, "graph", "dataset") if extension else None


def media_type_for_file(name: str) -> str:
    """The media type a release file is served with (``application/gzip`` for ``.gz``)."""
    if name.endswith(".gz"):
        return "application/gzip"
    dump = for_file(name)
    if dump is not None:
        return dump.media_type
    if name in _OTHER_FILES:
        return _OTHER_FILES[name]
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    results = by_key(extension.lstrip("."), "results")
    if results is not None and extension in (".csv", ".tsv"):
        return results.media_type
    return _OTHER_FILES.get(extension, "application/octet-stream")
