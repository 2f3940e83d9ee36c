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
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Namespace
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from defkg.iris import OA, SCHEMA
from defkg.pipeline.load import line_terms, nt_lines, triples_of
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


class _Node:
    """What the index needs of one subject: its names and texts, and the terms (in their
    N-Triples form) of the links a row follows (types, sentence anchors, selectors, sources).

    Kept per graph (:func:`facts_of_lines`) and united across graphs (:func:`unite`): a
    subject several graphs describe has the facts of all of them.
    """

    __slots__ = ("anchors", "labels", "names", "selectors", "sources", "texts", "types")

    def __init__(self) -> None:
        self.labels: list[tuple[str, str | None]] = []  #: (text, language) of each label
        self.names: list[str] = []
        self.texts: list[str] = []
        self.types: list[str] = []
        self.anchors: list[str] = []  #: prov:wasDerivedFrom
        self.selectors: list[str] = []
        self.sources: list[str] = []  #: oa:hasSource

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)

    def joined(self, other: _Node) -> _Node:
        both = _Node()
        for name in self.__slots__:
            setattr(both, name, getattr(self, name) + getattr(other, name))
        return both


#: the facts of one graph (or of several, united): a :class:`_Node` per subject, by the
#: subject's N-Triples form
Facts = dict[str, _Node]


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


def best_label(labels: list[tuple[str, str | None]], fallback: str) -> str:
    """The English label, else one without language, else any (all in sorted order); each
    label as (text, language)."""
    ordered = sorted(labels, key=lambda label: (label[0], label[1] or ""))
    for wanted in ("en", None):
        for text, language in ordered:
            if language == wanted:
                return text
    return ordered[0][0] if ordered else fallback


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def _kind_words(name: str) -> str:
    """``MonetaryAmount`` → ``monetary amount`` (for a type without a label)."""
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return out or name


_NAMES = frozenset(f"<{p}>" for p in NAME_PREDICATES)
_LABELS = frozenset({f"<{RDFS.label}>", f"<{SCHEMA.headline}>"})
_TEXTS = frozenset(f"<{p}>" for p in TEXT_PREDICATES)
_LINKS = {
    f"<{RDF.type}>": "types",
    f"<{PROV.wasDerivedFrom}>": "anchors",
    f"<{OA.hasSelector}>": "selectors",
    f"<{OA.hasSource}>": "sources",
}
_WANTED = _NAMES | _TEXTS | frozenset(_LINKS)


def facts_of_lines(lines: Iterable[str]) -> Facts:
    """The :data:`Facts` of a graph given as its N-Triples lines (as the build writes them,
    read by :func:`defkg.pipeline.load.line_terms`)."""
    nodes: Facts = {}
    for line in lines:
        subject, predicate, obj = line_terms(line)
        if predicate not in _WANTED:
            continue
        link = _LINKS.get(predicate)
        if link is not None:
            node = nodes.get(subject) or nodes.setdefault(subject, _Node())
            getattr(node, link).append(obj)
            continue
        if not obj.startswith('"'):
            continue  # a name or a text is a literal
        text, language = _literal(obj, line)
        node = nodes.get(subject) or nodes.setdefault(subject, _Node())
        if predicate in _NAMES:
            node.names.append(text)
            if predicate in _LABELS:
                node.labels.append((text, language))
        else:
            node.texts.append(text)
    return nodes


def _literal(obj: str, line: str) -> tuple[str, str | None]:
    """The text and language of a literal in N-Triples form; rdflib reads what has an escape
    or a datatype (its lexical form may be normalised)."""
    if "\\" not in obj:
        end = obj.index('"', 1)
        suffix = obj[end + 1 :]
        if not suffix:
            return obj[1:end], None
        if suffix.startswith("@"):
            return obj[1:end], suffix[1:]
    literal = triples_of([line])[0][2]  # rdflib's own reading
    return str(literal), getattr(literal, "language", None)


def unite(parts: Iterable[Facts]) -> Facts:
    """The facts of several graphs together (a subject's from every graph that has it)."""
    united: Facts = {}
    for facts in parts:
        if not united:
            united = dict(facts)
            continue
        for key, node in facts.items():
            have = united.get(key)
            united[key] = node if have is None else have.joined(node)
    return united


def _text(term: str) -> str:
    """The text of a term in N-Triples form (an IRI's, a blank node's label, a literal's)."""
    if term.startswith("<"):
        return term[1:-1]
    if term.startswith("_:"):
        return term[2:]
    return _literal(term, f"<urn:x:s> <urn:x:p> {term} .\n")[0]


def entries(triples: Iterable[tuple[Node, Node, Node]]) -> list[Entry]:
    """The index rows for ``triples`` (asserted data and ontology), in IRI order."""
    return rows(facts_of_lines(nt_lines(triples)))


def rows(nodes: Facts) -> list[Entry]:
    """The index rows of the (united) facts of a release, in IRI order."""
    empty = _Node()

    def label(node: str) -> str:
        found = nodes.get(node, empty)
        return best_label(found.labels, _local_name(_text(node)))

    def sentence(anchor: str) -> str:
        for selector in sorted(nodes.get(anchor, empty).selectors, key=_text):
            texts = nodes.get(selector, empty).texts
            if texts:
                return sorted(texts)[0]
        return ""

    selectors = {sel for node in nodes.values() for sel in node.selectors}
    found = []
    for subject in sorted((s for s in nodes if s.startswith("<")), key=_text):
        node = nodes[subject]
        if subject in selectors:
            continue  # its text is indexed with its sentence anchor
        anchors = sorted(node.anchors, key=_text)
        own_sentence = sentence(subject)
        texts = sorted(set(node.texts))
        if own_sentence:
            texts.append(own_sentence)
        if not node.names and not texts:
            continue  # selectors and plain nodes: nothing a reader would look for
        documents = sorted(node.sources, key=_text) or sorted(
            (d for a in anchors for d in nodes.get(a, empty).sources), key=_text
        )
        document = documents[0] if documents else None
        iri = subject[1:-1]
        label_text = best_label(node.labels, _local_name(iri))
        other_names = " · ".join(sorted(set(node.names) - {label_text}))
        snippet = (
            own_sentence
            or (sentence(anchors[0]) if anchors else "")
            or next(iter(texts), "")
            or (f"Also: {other_names}" if other_names else "")
        )
        types = sorted(node.types, key=_text)
        kind = "sentence" if f"<{OA.SpecificResource}>" in types else ""
        for type_ in [] if kind else types:
            labels = nodes.get(type_, empty).labels
            kind = best_label(labels, "") or _kind_words(_local_name(_text(type_)))
            if labels:
                break
        found.append(
            Entry(
                iri=iri,
                label=label_text,
                kind=kind,
                source=label(document) if document is not None else "",
                source_iri=_text(document) if document is not None else "",
                snippet=snippet[:300],
                names=" · ".join(sorted(set(node.names))),
                text=" ".join(dict.fromkeys(texts)),
            )
        )
    return found


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


def search_index_of(parts: Iterable[Facts]) -> bytes:
    """``search.sqlite`` for the facts of each graph of a release (:func:`facts_of_lines`),
    the same bytes as :func:`search_index` of their triples."""
    return index_bytes(rows(unite(parts)))
