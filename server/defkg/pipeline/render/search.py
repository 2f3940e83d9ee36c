"""The release's search index, ``search.sqlite``: full text over names, sentences and
descriptions, written by the build so that the server needs nothing but the release.

One row per IRI the dataset describes with a name or a text: entities, facts, figures, sentence
anchors, sources, ontology terms. Each row keeps what a hit shows (label, kind, source, a
snippet); two SQLite FTS5 tables index it (both in Python's standard library):

- ``words`` (``unicode61``, diacritics folded) over the names (every label and alternative
  name, in every language the data has) and the texts (sentences, descriptions, definitions);
- ``grams`` (``trigram``) over the names only, for misspelt names ("Kamaletdinow").

Why SQLite FTS5: a ranked (BM25), prefix-capable index that is one file, opened read-only by
every web process without loading it into memory, and answers in well under a millisecond at
the sizes of ``benchmarks/`` (see benchmarks/RESULTS.md, "search"). The file is the same bytes
for the same triples: rows are inserted in IRI order into an in-memory database, the FTS
segments are merged (``optimize``), the database is vacuumed and serialised.

This is the writer; the server reads the index with :mod:`defkg.store.search`, and the two
agree on the layout version :data:`defkg.release.SEARCH_FORMAT`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from defkg.iris import OA, SCHEMA
from defkg.release import SEARCH_FORMAT

PROV = Namespace("http://www.w3.org/ns/prov#")


#: Predicates whose literal objects name a resource (matched and ranked highest).
NAME_PREDICATES = (
    RDFS.label,
    SKOS.prefLabel,
    SKOS.altLabel,
    SCHEMA.name,
    SCHEMA.alternateName,
    SCHEMA.headline,
)
#: Predicates whose literal objects describe a resource (matched, ranked below names).
TEXT_PREDICATES = (
    OA.exact,
    RDFS.comment,
    SKOS.definition,
    DCTERMS.description,
    SCHEMA.description,
)

SCHEMA_SQL = """
CREATE TABLE entry (
  id INTEGER PRIMARY KEY,   -- the rowid of both FTS tables
  iri TEXT NOT NULL,
  label TEXT NOT NULL,      -- the English label, else any label, else the local name
  kind TEXT NOT NULL,       -- the label of its type ("region", "fact", "sentence")
  source TEXT NOT NULL,     -- the report it comes from (its headline), or ''
  source_iri TEXT NOT NULL,
  snippet TEXT NOT NULL     -- the sentence or description a hit shows
);
CREATE VIRTUAL TABLE words USING fts5(
  names, text, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE grams USING fts5(names, content='', tokenize='trigram');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class _Node:
    labels: list[Literal] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    types: list[Node] = field(default_factory=list)
    anchors: list[Node] = field(default_factory=list)  #: prov:wasDerivedFrom
    selectors: list[Node] = field(default_factory=list)
    sources: list[Node] = field(default_factory=list)  #: oa:hasSource


@dataclass(frozen=True)
class Entry:
    """One row of the index."""

    iri: str
    label: str
    kind: str
    source: str
    source_iri: str
    snippet: str
    names: str
    text: str


def best_label(labels: list[Literal], fallback: str) -> str:
    """The English label, else one without language, else any (all in sorted order)."""
    ordered = sorted(labels, key=lambda label: (str(label), label.language or ""))
    for wanted in ("en", None):
        for label in ordered:
            if label.language == wanted:
                return str(label)
    return str(ordered[0]) if ordered else fallback


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def _kind_words(name: str) -> str:
    """``MonetaryAmount`` → ``monetary amount`` (for a type without a label)."""
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return out or name


def entries(triples: Iterable[tuple[Node, Node, Node]]) -> list[Entry]:
    """The index rows for ``triples`` (asserted data and ontology), in IRI order."""
    nodes: dict[Node, _Node] = defaultdict(_Node)
    for s, p, o in triples:
        if p in NAME_PREDICATES and isinstance(o, Literal):
            node = nodes[s]
            node.names.append(str(o))
            if p == RDFS.label or p == SCHEMA.headline:
                node.labels.append(o)
        elif p in TEXT_PREDICATES and isinstance(o, Literal):
            nodes[s].texts.append(str(o))
        elif p == RDF.type:
            nodes[s].types.append(o)
        elif p == PROV.wasDerivedFrom:
            nodes[s].anchors.append(o)
        elif p == OA.hasSelector:
            nodes[s].selectors.append(o)
        elif p == OA.hasSource:
            nodes[s].sources.append(o)
    empty = _Node()

    def label(node: Node) -> str:
        found = nodes.get(node, empty)
        return best_label(found.labels, _local_name(str(node)))

    def sentence(anchor: Node) -> str:
        for selector in sorted(nodes.get(anchor, empty).selectors, key=str):
            texts = nodes.get(selector, empty).texts
            if texts:
                return sorted(texts)[0]
        return ""

    selectors = {sel for node in nodes.values() for sel in node.selectors}
    rows = []
    for subject in sorted((s for s in nodes if isinstance(s, URIRef)), key=str):
        node = nodes[subject]
        if subject in selectors:
            continue  # its text is indexed with its sentence anchor
        anchors = sorted(node.anchors, key=str)
        own_sentence = sentence(subject)
        texts = sorted(set(node.texts))
        if own_sentence:
            texts.append(own_sentence)
        if not node.names and not texts:
            continue  # selectors and plain nodes: nothing a reader would look for
        documents = sorted(node.sources, key=str) or sorted(
            (d for a in anchors for d in nodes.get(a, empty).sources), key=str
        )
        document = documents[0] if documents else None
        label_text = best_label(node.labels, _local_name(str(subject)))
        other_names = " · ".join(sorted(set(node.names) - {label_text}))
        snippet = (
            own_sentence
            or (sentence(anchors[0]) if anchors else "")
            or next(iter(texts), "")
            or (f"Also: {other_names}" if other_names else "")
        )
        types = sorted(node.types, key=str)
        kind = "sentence" if OA.SpecificResource in types else ""
        for type_ in [] if kind else types:
            labels = nodes.get(type_, empty).labels
            kind = best_label(labels, "") or _kind_words(_local_name(str(type_)))
            if labels:
                break
        rows.append(
            Entry(
                iri=str(subject),
                label=label_text,
                kind=kind,
                source=label(document) if document is not None else "",
                source_iri=str(document) if document is not None else "",
                snippet=snippet[:300],
                names=" · ".join(sorted(set(node.names))),
                text=" ".join(dict.fromkeys(texts)),
            )
        )
    return rows


def index_bytes(rows: list[Entry]) -> bytes:
    """The SQLite database of ``rows``: the same rows always give the same bytes."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(SCHEMA_SQL)
        connection.execute("INSERT INTO meta VALUES ('format', ?)", (SEARCH_FORMAT,))
        connection.executemany(
            "INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (i, r.iri, r.label, r.kind, r.source, r.source_iri, r.snippet)
                for i, r in enumerate(rows, 1)
            ),
        )
        connection.executemany(
            "INSERT INTO words(rowid, names, text) VALUES (?, ?, ?)",
            ((i, r.names, r.text) for i, r in enumerate(rows, 1)),
        )
        connection.executemany(
            "INSERT INTO grams(rowid, names) VALUES (?, ?)",
            ((i, r.names) for i, r in enumerate(rows, 1)),
        )
        # ranked by ORDER BY rank (FTS5's fast path): names weigh ten times the texts
        connection.execute("INSERT INTO words(words, rank) VALUES ('rank', 'bm25(10.0, 1.0)')")
        connection.execute("INSERT INTO words(words) VALUES ('optimize')")
        connection.execute("INSERT INTO grams(grams) VALUES ('optimize')")
        connection.commit()
        connection.execute("VACUUM")
        return connection.serialize()
    finally:
        connection.close()


def search_index(triples: Iterable[tuple[Node, Node, Node]]) -> bytes:
    """``search.sqlite`` for the asserted triples of a release."""
    return index_bytes(entries(triples))
