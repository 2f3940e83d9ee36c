"""SPARQL syntax errors in plain words, with line and column: for the endpoint and `defkg query`.

pyoxigraph's parser says where it stopped and what its grammar could have read there, which is
often a list of character classes (an unknown prefix came out as a dump of Unicode ranges that
never named it) or the last alternative it tried ("SELEC" was told "expected CONSTRUCT"). This
module says instead what a person would: the unknown prefix by name, with the declaration to
add or the predeclared prefix it resembles; a query that does not begin with a query form; the
keywords that could come next and the token found instead.

The prefixes are the one table of :meth:`defkg.iris.IriScheme.prefixes`, predeclared by the
endpoint, the query UI and `defkg query` alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.S)
_PROLOGUE = re.compile(
    r"(?:\s+|#[^\n]*|(?i:PREFIX)\s+[\w.-]*:\s*<[^>]*>|(?i:BASE)\s*<[^>]*>)*", re.S
)
_PNAME = re.compile(r"(?<![\w<#/?$])([A-Za-z][\w.-]*)?:(?=[\w%\\]|\s|$|[;.,)}\]])")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z_]*")


def plain_syntax_error(
    query: str, error: BaseException | str, prefixes: Mapping[str, str] | None = None
) -> str:
    """``syntax error at L:C (line L, column C): …`` in plain words, for ``query``'s ``error``."""
    prefixes = prefixes or {}
    text = str(error)
    form = _misspelt_form(query)
    if form is not None:
        return form
    found = _POSITION.search(text)
    if found is None:
        return f"syntax error in the query: {text}"
    line, column, expected = int(found[1]), int(found[2]), found[3].strip()
    where = f"syntax error at {line}:{column} (line {line}, column {column})"
    if "Prefix not found" in expected:
        named = _prefix_before(query, line, column)
        if named is not None:
            prefix, column = named  # where the prefixed name starts, not where it ends
            where = f"syntax error at {line}:{column} (line {line}, column {column})"
            return f"{where}: {_unknown_prefix(prefix, prefixes)}"
    words = _keywords(expected)
    token = _token_at(query, line, column)
    found_text = f"found {token}" if token else "the query ends here"
    if words:
        shown = ", ".join(words[:8]) + (f", … ({len(words) - 8} more)" if len(words) > 8 else "")
        one = "expected " + (shown if len(words) == 1 else f"one of {shown}")
        return f"{where}: {one}, but {found_text}"
    return f"{where}: unexpected text here ({found_text})"


def syntax_error_of(
    query: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None
) -> SyntaxError | None:
    """The engine's syntax error for ``query`` (with these predeclared prefixes and base IRI),
    or None when it parses, found without running it.

    pyoxigraph parses a query only to run it: SELECT, CONSTRUCT and DESCRIBE answers are
    evaluated lazily, when read, and so cost nothing here over an empty store, but an ASK is
    evaluated at once (a VALUES cross product runs for seconds even with no data). An ASK is
    therefore parsed as ``SELECT*`` with the same text after it, and the error's column put
    back; a query whose form this module cannot see is not parsed here at all (None).
    """
    import pyoxigraph as ox

    start = _PROLOGUE.match(query)
    offset = start.end() if start else 0
    word = _KEYWORD.match(query, offset)
    form = word[0].upper() if word is not None else ""
    if word is None or form not in FORMS:
        return None
    text, shift = query, 0
    if form == "ASK":
        text = query[:offset] + "SELECT*" + query[word.end() :]
        shift = len("SELECT*") - len(word[0])
    kwargs: dict[str, object] = {"prefixes": dict(prefixes or {})}
    if base_iri:
        kwargs["base_iri"] = base_iri
    try:
        ox.Store().query(text, **kwargs)  # type: ignore[arg-type]
    except SyntaxError as error:
        if not shift:
            return error
        line = query.count("\n", 0, offset) + 1
        column = offset - (query.rfind("\n", 0, offset) + 1) + 1  # where the form starts

        def back(found: re.Match[str]) -> str:
            at_line, at_column = int(found[1]), int(found[2])
            if at_line == line and at_column > column + len(word[0]):
                at_column -= shift
            return f"error at {at_line}:{at_column}"

        return SyntaxError(re.sub(r"error at (\d+):(\d+)", back, str(error), count=1))
    return None


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
