"""A lexical scan of a SPARQL query: its form, its FROM graphs and its SERVICE endpoints.

The endpoint must know, before running a query, every endpoint it would call (SERVICE) and
every graph it names (FROM, FROM NAMED). A full grammar parse is not needed for that and was
a liability (rdflib's parser recurses per triple pattern and fails on long queries), so this
module tokenises the text with the terminals of the SPARQL 1.1 grammar (§19.8) and reads the
few constructs that matter: ``PREFIX``/``BASE`` declarations, ``FROM [NAMED] target`` and
``SERVICE [SILENT] target``.

Safety rests on tokenising exactly as the query engine does: a keyword hidden from this scan
inside what it takes for a string, an IRI or a comment would escape the allow-list. So:
strings, IRIs, prefixed names and comments follow the grammar's terminals (with pyoxigraph's
``\\u`` escapes); a quote that does not open a well-formed string makes the scan give up
(:class:`ScanError`) instead of guessing where the string ends; and SERVICE targets must come
out as absolute IRIs without escapes, so no IRI resolution or unescaping can differ between
this scan and the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf\\"']"""
_ESC = f"(?:{_ECHAR}|{_UCHAR})"
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)

_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>\s+)",
            r"(?P<comment>\#[^\n\r]*)",
            rf"(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)",
            # Long strings first, as the grammar's ordered choice does.
            rf"(?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ESC}))*'''"
            rf'|"""(?:(?:"|"")?(?:[^"\\]|{_ESC}))*"""'
            rf"|'(?:[^'\\\n\r]|{_ESC})*'"
            rf'|"(?:[^"\\\n\r]|{_ESC})*")',
            rf"(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            rf"(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            rf"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<other>.)",
        ]
    ),
    re.DOTALL,
)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


class ScanError(ValueError):
    """The query cannot be checked; the message says what and where."""


@dataclass
class Scan:
    """What the scan found, in the order it appears in the query."""

    form: str | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    #: (start, end) offsets in the text of each SERVICE target token, parallel to ``services``
    service_spans: list[tuple[int, int]] = field(default_factory=list)
    variable_service: bool = False


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) of every token but whitespace and comments."""
    out: list[tuple[str, str, int]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        if kind == "other" and value in "\"'":
            raise ScanError(f"unterminated or malformed string at {_position(text, match.start())}")
        out.append((kind, value, match.start()))
    return out


def scan(text: str) -> Scan:
    """Read the form, FROM / FROM NAMED graphs and SERVICE endpoints of a query.

    Raises :class:`ScanError` when a target cannot be determined safely.
    """
    found = Scan()
    base: str | None = None
    prefixes: dict[str, str] = {}
    items = tokens(text)

    def resolve(kind: str, value: str, offset: int, *, strict: bool) -> str:
        """The IRI a target token names; ``strict`` (SERVICE) forbids anything but plain
        absolute IRIs, so that no resolution step can differ from the engine's."""
        if kind == "iri":
            iri = value[1:-1]
        elif kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix not in prefixes:
                raise ScanError(f"undeclared prefix '{prefix}:' at {_position(text, offset)}")
            iri = prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
        else:
            raise ScanError(f"expected an IRI at {_position(text, offset)}, found {value!r}")
        if "\\" in iri:
            if strict:
                raise ScanError(
                    f"SERVICE endpoint with an escape at {_position(text, offset)}: "
                    "write the IRI plainly"
                )
            return iri
        if not _ABSOLUTE.match(iri):
            if strict:
                raise ScanError(
                    f"SERVICE endpoint <{iri}> at {_position(text, offset)} is relative: "
                    "write the absolute IRI"
                )
            return urljoin(base, iri) if base else iri
        return iri

    index = 0
    while index < len(items):
        kind, value, offset = items[index]
        word = value.upper() if kind == "word" else ""
        following = items[index + 1] if index + 1 < len(items) else ("end", "", len(text))
        if word == "BASE" and following[0] == "iri":
            base = resolve(*following, strict=False)
            index += 2
            continue
        if word == "PREFIX" and following[0] == "pname" and index + 2 < len(items):
            target = items[index + 2]
            prefixes[following[1].partition(":")[0]] = resolve(*target, strict=False)
            index += 3
            continue
        if word and found.form is None:
            found.form = word
        if word == "FROM":
            named = following[0] == "word" and following[1].upper() == "NAMED"
            target = items[index + 2] if named and index + 2 < len(items) else following
            if target[0] == "end":
                raise ScanError(f"FROM without a graph at {_position(text, offset)}")
            iri = resolve(*target, strict=False)
            (found.from_named_graphs if named else found.from_graphs).append(iri)
            index += 3 if named else 2
            continue
        if word == "SERVICE":
            silent = following[0] == "word" and following[1].upper() == "SILENT"
            target = items[index + 2] if silent and index + 2 < len(items) else following
            if target[0] == "var":
                found.variable_service = True
            elif target[0] == "end":
                raise ScanError(f"SERVICE without an endpoint at {_position(text, offset)}")
            else:
                found.services.append(resolve(*target, strict=True))
                found.service_spans.append((target[2], target[2] + len(target[1])))
            index += 3 if silent else 2
            continue
        index += 1
    return found
