"""SPARQL syntax errors in plain words, with line and column: for the endpoint and `defkg query`.

pyoxigraph's parser says where it stopped and what its grammar could have read there, which is
often a list of character classes (an unknown prefix came out as a dump of Unicode ranges that
never named it) or the last alternatives it tried ("SELEC" was told "expected CONSTRUCT", a
missing object "expected OPTIONAL"), at the furthest place any of them reached, which can be
past the mistake. This module says instead what a person would: the unknown prefix by name,
with the declaration to add or the predeclared prefix it resembles; a query that does not
begin with a query form; a string never closed; an IRI that is none; and otherwise what could
come at the place of the mistake (a variable, an IRI or a literal; '}'; AS; a number …) and the
token found there, or the token that is one too many. That is found by trying: the engine
parses the query with each candidate put at the places before where it stopped (a parse that
never plans or runs the query, see :func:`_parse`).

The prefixes are the one table of :meth:`defkg.iris.IriScheme.prefixes`, predeclared by the
endpoint, the query UI and `defkg query` alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.S)
_PROLOGUE = re.compile(
    r"(?:\s+|#[^\n]*|(?i:PREFIX)\s+[\w.-]*:\s*<[^>]*>|(?i:BASE)\s*<[^>]*>)*", re.S
)
_PNAME = re.compile(r"(?<![\w<#/?$])([A-Za-z][\w.-]*)?:(?=[\w%\\]|\s|$|[;.,)}\]])")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z_]*")


def plain_syntax_error(
    query: str,
    error: BaseException | str,
    prefixes: Mapping[str, str] | None = None,
    base_iri: str | None = None,
) -> str:
    """``syntax error at L:C (line L, column C): …`` in plain words, for ``query``'s ``error``
    (the engine's, the query read with the predeclared ``prefixes`` and ``base_iri``)."""
    prefixes = prefixes or {}
    text = str(error)
    form = _misspelt_form(query)
    if form is not None:
        return form
    found = _POSITION.search(text)
    if found is None:
        return f"syntax error in the query: {text}"
    line, column, expected = int(found[1]), int(found[2]), found[3].strip()
    where = _where(line, column)
    if "Prefix not found" in expected:
        named = _prefix_before(query, line, column)
        if named is not None:
            prefix, column = named  # where the prefixed name starts, not where it ends
            return f"{_where(line, column)}: {_unknown_prefix(prefix, prefixes)}"
    stop = _offset(query, line, column)
    unclosed = _unclosed_string(query, stop)
    if unclosed is not None:
        return f"{_where(*_line_column(query, unclosed))}: this string is never closed"
    if "IRI parsing failed" in expected:
        iri = _iri_before(query, stop)
        if iri is not None:
            relative = "" if base_iri else "; a relative one needs a BASE"
            return (
                f"{_where(*_line_column(query, iri[0]))}: {iri[1]} is not a valid IRI (an IRI "
                f"holds no spaces, quotes or braces{relative})"
            )
    wanted = _expected(query, stop, (prefixes, base_iri))
    if wanted is not None:
        place, names, extra = wanted
        at = _line_column(query, place)
        token = _token_at(query, *at)
        if extra:
            return f"{_where(*at)}: unexpected {token} here"
        return f"{_where(*at)}: expected {_or(names)}, but {_found(token)}"
    words = _keywords(expected)
    token = _token_at(query, line, column)
    if _FUNCTIONS.intersection(words):
        # the engine lists the functions an expression could start with
        expression = "an expression (a variable, a value or a call such as STR(?x))"
        return f"{where}: expected {expression}, but {_found(token)}"
    if words:
        shown = ", ".join(words[:8]) + (f", … ({len(words) - 8} more)" if len(words) > 8 else "")
        one = "expected " + (shown if len(words) == 1 else f"one of {shown}")
        return f"{where}: {one}, but {_found(token)}"
    return f"{where}: unexpected text here ({_found(token)})"


def _where(line: int, column: int) -> str:
    return f"syntax error at {line}:{column} (line {line}, column {column})"


def _found(token: str) -> str:
    return f"found {token}" if token else "the query ends here"


def syntax_error_of(
    query: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None
) -> SyntaxError | None:
    """The engine's syntax error for ``query`` (read with these predeclared prefixes and base
    IRI), or None when it parses (or may: see :func:`_parse`), found without planning or
    running it."""
    _parses, error = _parse(query, prefixes, base_iri)
    if error is not None and str(error).endswith(_ENDS_EARLY) and _VALUES.search(query):
        return None  # a VALUES clause of its own may end it: the sentinel cannot follow that
    return error


#: Put after a query to see whether the engine parses it without letting it run: a VALUES
#: clause may end any query, and one whose row is longer than its variables is refused by the
#: parser itself, so the engine stops there, before it plans (a 500-pattern query took 6 s to
#: plan) or evaluates anything (an ASK is evaluated at once, even over an empty store).
_SENTINEL = " VALUES (?defkgParsed) { (1 2) }"
_SENTINEL_REFUSED = "The VALUES clause rows should have exactly the same number of values"
_ENDS_EARLY = "the query ends here"
_VALUES = re.compile(r"values", re.IGNORECASE)


def _parse(
    query: str, prefixes: Mapping[str, str] | None, base_iri: str | None
) -> tuple[bool, SyntaxError | None]:
    """(whether ``query`` parses, the engine's error if it does not).

    The query is parsed with :data:`_SENTINEL` after it. Where the engine refuses the sentinel
    itself, the query before it was whole — unless a brace is left open, where the same VALUES
    is a part of a group (``{ ?s ?p ?o VALUES …``). Where it stops in the query, that is its
    error; where it reads on into the sentinel, the query ends too early.
    """
    import pyoxigraph as ox

    kwargs: dict[str, object] = {"prefixes": dict(prefixes or {})}
    if base_iri:
        kwargs["base_iri"] = base_iri
    try:
        ox.Store().query(query + _SENTINEL, **kwargs)  # type: ignore[arg-type]
    except SyntaxError as error:
        found = _POSITION.search(str(error))
        if found is None:
            return False, error
        if _offset(query + _SENTINEL, int(found[1]), int(found[2])) < len(query):
            return False, error
        if _SENTINEL_REFUSED in str(error):
            if _braces_closed(query):
                return True, None
        elif not _VALUES.search(query):
            # the engine read on into the sentinel and failed there: the query cannot be
            # whole, so the engine's own words for it are had without anything being run
            try:
                ox.Store().query(query, **kwargs)  # type: ignore[arg-type]
            except SyntaxError as own:
                return False, own
        line, column = _line_column(query, len(query))
        return False, SyntaxError(f"error at {line}:{column}: {_ENDS_EARLY}")
    return True, None  # not reached: the sentinel is always refused


def _braces_closed(query: str) -> bool:
    """Whether every ``{`` of the query (outside strings, IRIs and comments) is closed."""
    depth = 0
    for found in _TOKENS.finditer(query):
        depth += {"{": 1, "}": -1}.get(found.group(), 0)
    return depth <= 0


# --- what the query lacks, found by trying what could come there ----------------------------

#: The tokens of a query, roughly: enough to find where tokens start (strings, IRIs and
#: comments whole, so that no place inside them is tried); an unclosed quote is a token.
_TOKENS = re.compile(
    "|".join(
        [
            r"\s+",
            r"#[^\n]*",
            r"'''(?:[^\\]|\\.)*?'''",
            r'"""(?:[^\\]|\\.)*?"""',
            r"'(?:[^'\\\n]|\\.)*'",
            r'"(?:[^"\\\n]|\\.)*"',
            r"<[^<>\"{}|^`\\\s]*>",
            r"[?$]\w+",
            r"[A-Za-z_][\w.-]*(?::[\w.%\\-]*)?",
            r":[\w.%\\-]*",
            r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?",
            r"\^\^|<=|>=|!=|&&|\|\||.",
        ]
    ),
    re.S,
)

#: What is tried at a place: the text put there, and how a message names it (in this order).
_TRIES = (
    ("?x", "a variable"),
    ("<http://example.org/x>", "an IRI"),
    ('"x"', "a literal"),
    ("1", "a number"),
    ("*", "'*'"),
    ("AS", "AS"),
    ("BY", "BY"),
    ("WHERE", "WHERE"),
    ("{", "'{'"),
    ("}", "'}'"),
    ("(", "'('"),
    (")", "')'"),
    ("]", "']'"),
    (".", "'.'"),
)
#: How many places, back from where the engine stopped, are tried (the nearest first).
_PLACES = 4
#: At most this many texts read on at a place for them to be named as what was expected.
_MOST_READ = 3


def _offset(query: str, line: int, column: int) -> int:
    """The character offset of ``line``:``column`` (both from 1), at most the query's end."""
    start = 0
    for _ in range(line - 1):
        found = query.find("\n", start)
        if found < 0:
            return len(query)
        start = found + 1
    return min(start + max(column - 1, 0), len(query))


def _line_column(query: str, offset: int) -> tuple[int, int]:
    """The line and column (both from 1) of ``offset``."""
    return query.count("\n", 0, offset) + 1, offset - (query.rfind("\n", 0, offset) + 1) + 1


def _reaches(changed: str, after: int, context: tuple[Any, Any]) -> tuple[bool, bool]:
    """(parses, reads on): whether the engine parses ``changed``, and else whether it reads
    it up to ``after`` at least (the end of what was put in, and the space after it)."""
    parses, error = _parse(changed, *context)
    if parses or error is None:
        return True, True
    found = _POSITION.search(str(error))
    if found is None:
        return False, False
    return False, _offset(changed, int(found[1]), int(found[2])) >= after


def _expected(
    query: str, stop: int, context: tuple[Any, Any]
) -> tuple[int, list[str], bool] | None:
    """Where the query goes wrong, what could come there, and whether the token there is one
    too many, or None.

    The engine reports where its reading went furthest, which can be past the mistake (or in
    the middle of a word), and lists what its last rules wanted there ("expected OPTIONAL" for
    a missing object). So the places nearest before ``stop`` (token starts, the end) are each
    tried with every :data:`_TRIES` text put before the token there and instead of it. At the
    nearest place where some make the query parse, those are what was expected, or where
    leaving the token out does, that token is one too many; else, at the nearest where a few
    are read and the engine goes on into what follows, those. Each try parses a query that is
    never run (:func:`_parse`).
    """
    starts = [m.start() for m in _TOKENS.finditer(query) if not m.group().isspace()]
    starts = [start for start in starts if start <= stop and query[start] != "#"]
    places = [len(query)] if stop >= len(query) else []
    places += sorted(starts, reverse=True)
    tried: list[tuple[int, list[str], list[str], bool]] = []
    for place in places[:_PLACES]:
        token = _TOKENS.match(query, place) if place < len(query) else None
        end = token.end() if token is not None else place
        whole: list[str] = []
        read: list[str] = []
        for text, name in _TRIES:
            # put before the token (then a space), and put instead of it
            changes = [(query[:place] + text + " " + query[place:], place + len(text) + 1)]
            if token is not None:
                changes.append((query[:place] + text + query[end:], place + len(text)))
            for changed, after in changes:
                parses, on = _reaches(changed, after, context)
                if parses and name not in whole:
                    whole.append(name)
                elif on and after < len(changed) and name not in read:
                    read.append(name)
        extra = token is not None and _reaches(query[:place] + query[end:], place, context)[0]
        tried.append((place, whole, read, extra))
    for place, whole, _read, extra in tried:
        if whole:
            return place, _named(whole), False
        if extra:
            return place, [], True
    for place, _whole, read, _extra in tried:
        # many texts read on at once is the engine's furthest reading, not what is missing
        if 0 < len(_named(read)) <= _MOST_READ:
            return place, _named(read), False
    return None


def _named(names: list[str]) -> list[str]:
    """What was expected, by name: a literal stands for the number it includes."""
    if "a literal" in names and "a number" in names:
        names = [n for n in names if n != "a number"]
    return names


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _unclosed_string(query: str, stop: int) -> int | None:
    """Where a string that is never closed opens, if one opens before ``stop``."""
    for found in _TOKENS.finditer(query):
        if found.start() > stop:
            return None
        if found.group() in ("'", '"'):
            return found.start()
    return None


def _iri_before(query: str, stop: int) -> tuple[int, str] | None:
    """The ``<…>`` nearest before ``stop`` (on one line), and where it starts."""
    opened = query.rfind("<", 0, stop)
    if opened < 0:
        return None
    closed = query.find(">", opened)
    if closed < 0 or "\n" in query[opened:closed]:
        return None
    return opened, query[opened : closed + 1]


def _misspelt_form(query: str) -> str | None:
    """A query whose first word (after PREFIX and BASE) is not a query form."""
    start = _PROLOGUE.match(query)
    offset = start.end() if start else 0
    word = _KEYWORD.match(query, offset)
    if word is None or word[0].upper() in FORMS or word[0].upper() in _UPDATES:
        return None
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    close = difflib.get_close_matches(word[0].upper(), FORMS, n=1, cutoff=0.6)
    hint = f": did you mean {close[0]}?" if close else ""
    return (
        f"syntax error at {line}:{column} (line {line}, column {column}): a query begins with "
        f"SELECT, CONSTRUCT, ASK or DESCRIBE (after its PREFIX and BASE lines), not "
        f"'{word[0]}'{hint}"
    )


#: Built-in functions of SPARQL (and pyoxigraph's): in the engine's list of what could come,
#: they say that an expression could.
_FUNCTION_NAMES = (
    "ABS AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI "
    "EXISTS FLOOR GROUP_CONCAT HOURS IF IRI LANG LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH "
    "NOW RAND REGEX REPLACE ROUND SAMPLE SECONDS SHA1 SHA256 SHA384 SHA512 STR STRAFTER "
    "STRBEFORE STRDT STRENDS STRLANG STRLEN STRSTARTS STRUUID SUBSTR SUM TIMEZONE TZ UCASE URI "
    "UUID YEAR ADJUST OBJECT PREDICATE SUBJECT TRIPLE"
)
_FUNCTIONS = frozenset(_FUNCTION_NAMES.split())

#: SPARQL Update's first words: refused elsewhere as updates, not as misspellings
_UPDATES = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


def _unknown_prefix(prefix: str, prefixes: Mapping[str, str]) -> str:
    known = ", ".join(f"{p}:" for p in prefixes)
    close = difflib.get_close_matches(prefix, list(prefixes), n=1, cutoff=0.6)
    message = f"unknown prefix '{prefix}:'"
    if close:
        message += f": did you mean '{close[0]}:' ({prefixes[close[0]]})?"
    else:
        message += f"; declare it first: PREFIX {prefix}: <…>"
    if known:
        message += f" (predeclared: {known})"
    return message


def _line_text(query: str, line: int) -> str:
    lines = query.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _prefix_before(query: str, line: int, column: int) -> tuple[str, int] | None:
    """The prefix and column of the last prefixed name that starts before ``column``."""
    text = _line_text(query, line)
    names = [m for m in _PNAME.finditer(text) if m.start() < column]
    if not names:
        return None
    return names[-1][1] or "", names[-1].start() + 1


def _keywords(expected: str) -> list[str]:
    """The keywords of pyoxigraph's "expected …" list, without its character classes."""
    expected = re.sub(r"^expected\s+(?:one of\s+)?", "", expected.strip()).rstrip(". ")
    words = []
    for item in re.split(r",\s*(?![^\[]*\])", expected):
        item = item.strip()
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", item):
            words.append(item)
    return list(dict.fromkeys(words))


def _token_at(query: str, line: int, column: int) -> str:
    """What the query has at ``line``:``column``, quoted, or "" at its end."""
    text = _line_text(query, line)[max(column - 1, 0) :]
    rest = text.strip() or "\n".join(query.split("\n")[line:]).strip()
    if not rest:
        return ""
    token = re.match(r"[\w:?$<>#/.-]+|\S", rest)
    return f"'{token[0] if token else rest[:1]}'"
