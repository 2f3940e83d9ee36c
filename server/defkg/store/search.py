"""The reader of the release's search index, ``search.sqlite`` (its writer is the build's
``defkg.pipeline.render.search``): what ``/search`` and ``/search.json`` answer with.

The index is opened read-only per search. A query is tried in three steps, each only when the
one before found nothing, and the answer says which one matched:

1. ``all words``: every word of the query, each as a prefix ("kamal" finds Kamaletdinov);
2. ``any word``: at least one of them;
3. ``similar spelling``: names sharing three-letter pieces with a word ("Kamaletdinow").

The best 200 hits by BM25 (names weighing ten times the sentences and descriptions) are
ranked again: the hits whose label is the query first, then those whose label holds it,
shortest label first (the region "Zhambyl Region" before "the snow rescue in the Zhambyl
Region"), then the others in BM25 order. Counts stop at 1,000 ("1,000+ hits").
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from defkg.iris import IriScheme
from defkg.release import SEARCH_FILE, SEARCH_FORMAT

#: Hits per page, and the most a client may ask for at once.
PAGE_SIZE = 20
MAX_LIMIT = 100
#: Longer queries are cut (a search box, not a document).
MAX_QUERY_CHARS = 200

_WORD = re.compile(r"\w+", re.UNICODE)

#: The best matches by BM25 (FTS5's own ``ORDER BY rank`` path, which never scores in Python).
_TOP_SQL = "SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?"
#: How many hits are counted at most ("1,000+ hits"): counting all of a common word's matches
#: costs more than finding the best of them.
COUNT_CAP = 1000
_COUNT_SQL = "SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?)"
_LABELS_SQL = "SELECT id, label FROM entry WHERE id IN ({marks})"
_ENTRY_SQL = """SELECT id, iri, label, kind, source, source_iri, snippet FROM entry
WHERE id IN ({marks})"""
#: Names sharing pieces with a misspelt word, taken unranked and scored by :func:`by_spelling`.
_CANDIDATES_SQL = "SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?"
FUZZY_CANDIDATES = 500
#: The best matches by BM25 that are ranked again by their label (see :func:`reranked`).
RERANK_WINDOW = 200


class SearchUnavailable(Exception):
    """The release has no (readable) search index."""


@dataclass
class Hit:
    """One search hit as the page and the JSON show it."""

    iri: str
    page: str  #: where the hit's page is on this server
    label: str
    kind: str
    source: str
    source_iri: str
    source_page: str
    snippet: str
    marked: list[tuple[str, bool]] = field(default_factory=list)  #: snippet, words marked


@dataclass
class SearchResult:
    query: str
    match: str  #: "all words", "any word", "similar spelling" or "" (nothing found)
    total: int
    offset: int
    limit: int
    hits: list[Hit]
    #: ``total`` is a lower bound: more than COUNT_CAP hits match
    more: bool = False


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_steps(query: str) -> list[tuple[str, str, str]]:
    """``(name, table, FTS5 expression)`` for each step of a query, in order.

    Every word is matched whole but the last, which is matched as a prefix (the word being
    typed: "kamal"); a prefix term costs more than a whole one, so only one is used."""
    words = _WORD.findall(query.lower())[:12]
    if not words:
        return []
    terms = [_quoted(w) for w in words[:-1]] + [_quoted(words[-1]) + "*"]
    steps = [("all words", "words", " AND ".join(terms))]
    if len(words) > 1:
        steps.append(("any word", "words", " OR ".join(_quoted(w) + "*" for w in words)))
    grams = sorted({w[i : i + 3] for w in words if len(w) >= 3 for i in range(len(w) - 2)})
    if grams:
        steps.append(("similar spelling", "grams", " OR ".join(_quoted(g) for g in grams)))
    return steps


#: The similar-spelling step ORs this many of a query's three-letter pieces, the rarest.
RARE_GRAMS = 4


def rarest_grams(connection: sqlite3.Connection, expression: str) -> str:
    """The trigram expression cut to its :data:`RARE_GRAMS` rarest pieces that occur at all:
    a common piece ("ion") matches most names and only slows the step down."""
    grams = re.findall(r'"((?:[^"]|"")*)"', expression)
    if len(grams) <= RARE_GRAMS:
        return expression
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.gram_counts USING fts5vocab(main, grams, row)"
    )
    counts = []
    for gram in grams:
        row = connection.execute(
            "SELECT doc FROM temp.gram_counts WHERE term = ?", (gram.replace('""', '"'),)
        ).fetchone()
        if row and row[0]:
            counts.append((row[0], gram))
    chosen = [g for _n, g in sorted(counts)[:RARE_GRAMS]]
    return " OR ".join(f'"{g}"' for g in chosen) if chosen else expression


def marked_snippet(snippet: str, query: str) -> list[tuple[str, bool]]:
    """The snippet in ``(text, marked)`` pieces, the words starting with a query word marked."""
    words = sorted(set(_WORD.findall(query.lower())), key=len, reverse=True)
    if not words:
        return [(snippet, False)]
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.I)
    pieces, cursor = [], 0
    for found in pattern.finditer(snippet):
        if found.start() > cursor:
            pieces.append((snippet[cursor : found.start()], False))
        pieces.append((found.group(0), True))
        cursor = found.end()
    if cursor < len(snippet):
        pieces.append((snippet[cursor:], False))
    return pieces


def open_index(path: Path) -> sqlite3.Connection:
    """The release's index, read-only; :class:`SearchUnavailable` when it is missing or old."""
    if not path.is_file():
        raise SearchUnavailable(f"this release has no search index ({SEARCH_FILE})")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.Error as error:
        raise SearchUnavailable(f"the search index cannot be read: {error}") from None
    if row is None or row[0] != SEARCH_FORMAT:
        connection.close()
        raise SearchUnavailable("the search index was written by another defkg version")
    return connection


def reranked(query: str, rows: list[tuple]) -> list[tuple]:
    """``(id, label)`` rows (in BM25 order) with the hits whose label is the query first, then
    those whose label holds it, shortest label first (the region "Zhambyl Region" before "the
    snow rescue in the Zhambyl Region"), then the rest in BM25 order."""
    wanted = query.lower()

    def key(item: tuple[int, tuple]) -> tuple:
        position, row = item
        label = row[1].lower()
        return (label != wanted, len(label) if wanted in label else 10**9, position)

    return [row for _position, row in sorted(enumerate(rows), key=key)]


def _trigrams(text: str) -> set[str]:
    lowered = text.lower()
    return {lowered[i : i + 3] for i in range(max(1, len(lowered) - 2))}


def by_spelling(query: str, rows: list[tuple]) -> list[tuple]:
    """Candidate ``(id, label)`` rows ordered by how many of the query's three-letter pieces
    their label shares (the share of the query's pieces, then of the label's)."""
    wanted = _trigrams(query)

    def key(item: tuple[int, tuple]) -> tuple:
        position, row = item
        have = _trigrams(row[1])
        shared = len(wanted & have)
        return (-shared / max(1, len(wanted)), -shared / max(1, len(have)), position)

    return [row for _position, row in sorted(enumerate(rows), key=key)]


def search(
    path: Path, query: str, scheme: IriScheme, *, limit: int = PAGE_SIZE, offset: int = 0
) -> SearchResult:
    """The hits for ``query`` in the index at ``path`` (see the module's docstring)."""
    query = query.strip()[:MAX_QUERY_CHARS]
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    connection = open_index(path)
    try:
        for name, table, expression in match_steps(query):
            if table == "grams":
                expression = rarest_grams(connection, expression)
            total = connection.execute(
                _COUNT_SQL.format(table=table), (expression, COUNT_CAP + 1)
            ).fetchone()[0]
            if not total:
                continue
            window = max(RERANK_WINDOW, offset + limit)
            # names sharing pieces with a misspelt word: BM25 over thousands of trigram
            # matches is slow and means little, so the candidates are scored by their label
            sql = _CANDIDATES_SQL if table == "grams" else _TOP_SQL
            size = FUZZY_CANDIDATES if table == "grams" else window
            ids = [r[0] for r in connection.execute(sql.format(table=table), (expression, size))]
            marks = ",".join("?" * len(ids))
            labels = dict(
                connection.execute(f"SELECT id, label FROM entry WHERE id IN ({marks})", ids)
            )
            order = [(i, labels[i]) for i in ids if i in labels]
            if table == "grams":
                order = by_spelling(query, order)
            elif offset + limit <= RERANK_WINDOW:
                order = reranked(query, order)
            shown = [i for i, _label in order[offset : offset + limit]]
            found = {
                r[0]: r
                for r in connection.execute(
                    _ENTRY_SQL.format(marks=",".join("?" * len(shown))), shown
                )
            }
            ordered = [found[i] for i in shown if i in found]
            hits = [
                Hit(
                    iri=iri,
                    page=scheme.path_for_iri(iri) or iri,
                    label=label,
                    kind=kind,
                    source=source,
                    source_iri=source_iri,
                    source_page=(scheme.path_for_iri(source_iri) or source_iri)
                    if source_iri
                    else "",
                    snippet=snippet,
                    marked=marked_snippet(snippet, query),
                )
                for _id, iri, label, kind, source, source_iri, snippet in ordered
            ]
            capped = total > COUNT_CAP
            return SearchResult(query, name, min(total, COUNT_CAP), offset, limit, hits, capped)
    except sqlite3.Error as error:
        raise SearchUnavailable(f"the search index cannot be read: {error}") from None
    finally:
        connection.close()
    return SearchResult(query, "", 0, offset, limit, [])
