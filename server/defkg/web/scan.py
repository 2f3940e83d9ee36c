"""A lexical scan of a SPARQL query that reads it as the query engine does.

Before a query runs, the endpoint must know every endpoint it would call (SERVICE), every
graph it names (FROM, FROM NAMED), how deeply it nests, and whether its answer can vary
between two runs (NOW(), RAND(), …). A full parse is not needed for that, but the scan must
agree with the engine's parser — spargebra inside pyoxigraph 0.5 — *by construction*: a
SERVICE keyword hidden from the scan escapes the allow-list. So this module follows the
engine's own grammar (``lib/spargebra/src/parser.rs``), not only the SPARQL 1.1 text:

* Terminals are matched as the engine's PEG rules match them: ordered choice and possessive
  repetition (atomic groups here), the engine's character classes (no astral letters), its
  one-dot-group ``PN_LOCAL``, its four string kinds with ``ECHAR``/``UCHAR`` escapes, comments
  ``#`` to the end of the line and white space of exactly space, tab, CR and LF.
* Keywords are matched as the engine's ``i("SERVICE")`` does: ASCII case-insensitively and
  with **no word boundary** after them. ``SERVICESILENT<…>``, ``SERVICEex:x`` and
  ``1SERVICE<…>`` are all SERVICE for the engine, so the scan reads every name-shaped run of
  characters for the keywords it could hold. A run that holds SERVICE or FROM anywhere the
  engine could start reading it as the keyword — anywhere in a plain word, or before the colon
  of a prefixed name — is either the keyword in a form whose target is certain (the run starts
  with the keyword, optionally ``SILENT``/``NAMED``, then ends or continues with a prefixed name)
  or the query is refused (:class:`ScanError`, a 400 that says where and why).
* The engine backtracks where this scan cannot follow without a full parse; the query is
  refused at each such point instead of guessed at:

  - ``<`` after an operand inside parentheses may be the less-than operator for the engine,
    while the scan reads an IRI up to the next ``>``. If that text holds a quote, ``#`` or a
    bracket — which would start a string, a comment or a nesting the engine sees and the scan
    does not — the query is refused. Without them, both readings resume at the same place.
  - A prefixed name whose IRI would be invalid makes the engine fall back to the bare
    ``prefix:`` and read on *inside* the local part (``ex:SERVICE:x\\#y`` is SERVICE for it).
    A keyword in a local part is accepted only when the local part is made of characters
    that always extend a declared absolute prefix ending in ``/`` or ``#`` validly.
  - A string or IRI with a ``\\u`` escape that names no character fails in the engine and
    it tries another string kind: refused.
  - A quote that does not open a well-formed string: refused.

* Nesting is counted as the engine recurses: every ``(``, ``{``, ``[`` and ``<<`` outside
  strings, IRIs and comments. The engine's parser and evaluator recurse per level and a deep
  enough query overflows a worker's stack, so :func:`scan` refuses a query nested deeper than
  ``max_nesting`` before the engine sees it.

SERVICE targets must come out as absolute IRIs without escapes, so no IRI resolution or
unescaping can differ between this scan and the engine; the endpoint then rewrites every
target token (their spans are in :attr:`Scan.service_spans`) into a URL of the SERVICE relay,
so the engine calls nothing but the relay whatever IRI it would have made of the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin

# --- the engine's terminals (spargebra's grammar) -------------------------------------------
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
# spargebra's PN_CHARS_BASE stops at U+FFFD: unlike the SPARQL text, no astral letters.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*+"
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
# PN_PREFIX = PN_CHARS_BASE PN_CHARS* ("."+ PN_CHARS+)*
_PN_PREFIX = rf"[{_PN_CHARS_BASE}][{_PN_CHARS}]*+(?:\.++[{_PN_CHARS}]++)*+"
# PN_LOCAL = (PN_CHARS_U / ':' / [0-9] / PLX) (PN_CHARS / ':' / PLX)*
#            ("."+ (PN_CHARS / ':' / PLX)+)?
# — one dot group only: ``ex:a.b.c`` is ``ex:a.b`` then ``.`` for the engine.
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]|{_PLX})*+"
    rf"(?:\.++(?:[{_PN_CHARS}:]|{_PLX})++)?+"
)
_STRING_ITEM = rf"(?:{_ECHAR}|{_UCHAR})"

_TOKEN_CHOICES = "|".join(
    [
        r"(?P<ws>[ \t\r\n]+)",
        r"(?P<comment>\#[^\r\n]*)",
        rf"(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>)",
        # The engine's order: long strings first; each item atomic, as PEG commits.
        rf"(?P<string>'''(?:(?:''|')?+(?:[^'\\]|{_STRING_ITEM}))*+'''"
        rf'|"""(?:(?:""|")?+(?:[^"\\]|{_STRING_ITEM}))*+"""'
        rf"|'(?:[^'\\\n\r]|{_STRING_ITEM})*+'"
        rf'|"(?:[^"\\\n\r]|{_STRING_ITEM})*+")',
        rf"(?P<var>[?$]{_VARNAME})",
        rf"(?P<bnode>_:[{_PN_CHARS_U}0-9][{_PN_CHARS}]*+(?:\.++[{_PN_CHARS}]++)*+)",
        r"(?P<langtag>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+)",
        r"(?P<number>(?:[0-9]++\.[0-9]*+|\.[0-9]++|[0-9]++)[eE][+-]?[0-9]++"
        r"|[0-9]*+\.[0-9]++|[0-9]++)",
        rf"(?P<pname>(?:{_PN_PREFIX})?+:(?:{_PN_LOCAL})?+)",
        rf"(?P<word>{_PN_PREFIX})",
        r"(?P<punct>\^\^|<=|>=|!=|&&|\|\||\{\||\|\}|.)",
    ]
)
#: one token of the engine's grammar, white space and comments (matched at one offset)
_TOKEN = re.compile(_TOKEN_CHOICES, re.DOTALL)
#: the next token after any white space and comments, or the end of the text: the same
#: choices in the same order (white space and comments can only come first), so that one
#: match per token leaves the skipping of white space to the regular expression engine
_NEXT_TOKEN = re.compile(
    r"(?:[ \t\r\n]++|\#[^\r\n]*+)*+(?:" + _TOKEN_CHOICES + r"|(?P<end>\Z))", re.DOTALL
)
_UCHAR_IN_TEXT = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
# A local part that extends any absolute IRI ending in "/" or "#" into a valid IRI: the
# engine then reads the whole prefixed name (no fallback into the local part).
_INERT_LOCAL = re.compile(r"(?:[A-Za-z0-9_.:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?@])*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

#: Tokens after which ``<`` is certainly the start of an IRI, never the less-than operator.
_IRI_CERTAIN_AFTER = frozenset(
    {"(", ",", "!", "=", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/", "^^"}
    | {"{", "[", ";", ".", "|", "^", "?", "{|", "~"}
)
#: Characters that, read as query text rather than an IRI, would open a string, a comment or
#: a nesting level.
_REREAD_HAZARDS = frozenset("'#()[]")
#: Built-in functions whose value differs between two runs of the same query.
NONDETERMINISTIC_FUNCTIONS = ("now", "rand", "uuid", "struuid", "bnode")
#: any of them anywhere in a name (a substring, as the engine needs no word boundary)
_NONDETERMINISTIC = re.compile("|".join(NONDETERMINISTIC_FUNCTIONS))
#: what a name must hold, in any case, for the pass to act on it once the query form is known:
#: SERVICE, FROM, VALUES or a nondeterministic function (a superset of what it acts on, ASCII
#: case-insensitively as the engine compares: the pass looks closer at every name it matches)
_WORTH_A_LOOK = re.compile(
    "|".join(("service", "from", "values", *NONDETERMINISTIC_FUNCTIONS)), re.IGNORECASE | re.ASCII
)
_OPENERS = {"(": ")", "{": "}", "[": "]", "{|": "|}"}
_CLOSERS = {closer: opener for opener, closer in _OPENERS.items()}
#: the punctuation :meth:`_Scanner.bracket` acts on (any other does nothing there)
_BRACKETS = frozenset({*_OPENERS, *_CLOSERS, "<", ">"})


class ScanError(ValueError):
    """The query cannot be checked; the message says what and where."""


class NestingTooDeep(ScanError):
    """The query nests brackets deeper than the limit."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class Token(NamedTuple):
    """One token (a named tuple: the scan makes one per token of every query it checks)."""

    kind: str  #: a group name of the token pattern: iri, string, var, pname, word, punct, …
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


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
    #: the deepest nesting of ( { [ << in the query
    nesting: int = 0
    #: False when two runs may answer differently (NOW(), RAND(), fresh blank nodes, …)
    deterministic: bool = True


def position(text: str, offset: int) -> str:
    """``line L, column C`` of ``offset`` in ``text`` (both from 1)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _ascii_lower(text: str) -> str:
    # The engine compares keywords with eq_ignore_ascii_case: a long s (U+017F) is not S.
    return text.translate(_ASCII_LOWER)


def _check_escapes(text: str, token: Token) -> None:
    """Refuse a string or IRI with a \\u escape naming no character: the engine's rule then
    fails and it reads the text another way."""
    for match in _UCHAR_IN_TEXT.finditer(token.text):
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise ScanError(
                f"the escape {match.group()} at {position(text, token.start + match.start())} "
                "names no character"
            )


def tokenize(text: str) -> list[Token]:
    """Every token of ``text`` but white space and comments, as the engine splits them."""
    out: list[Token] = []
    append = out.append
    # tuple.__new__ is Token(…) without the Python frame of its generated __new__ (once per
    # token of every query)
    make = tuple.__new__
    for match in _NEXT_TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind == "end":
            break
        value = match.group(kind)
        start = match.start(kind)
        if kind == "punct":
            if value in "\"'":
                raise ScanError(f"unterminated or malformed string at {position(text, start)}")
        elif kind in ("string", "iri") and "\\" in value:
            _check_escapes(text, Token(kind, value, start))
        append(make(Token, (kind, value, start)))
    return out


def tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) of every token but white space and comments."""
    return [(t.kind, t.text, t.start) for t in tokenize(text)]


def _operand_like(token: Token | None) -> bool:
    """Whether the engine may take ``token`` for the end of an operand (so that a ``<`` after
    it can be less-than). Conservative: anything not known to expect an operand next."""
    if token is None:
        return False
    if token.kind in ("punct", "pair"):
        return token.text not in _IRI_CERTAIN_AFTER
    if token.kind == "word":
        return _ascii_lower(token.text).startswith(("true", "false"))
    return True


class _Scanner:
    """One pass over the tokens: prologue, keywords, brackets."""

    def __init__(
        self,
        text: str,
        max_nesting: int | None,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
    ) -> None:
        self.text = text
        self.max_nesting = max_nesting
        self.items = tokenize(text)
        self.found = Scan()
        # what the engine is given besides the text: a BASE or PREFIX line overrides them
        self.base: str | None = base_iri
        self.prefixes: dict[str, str] = dict(prefixes or {})
        # Open brackets: (opener, kind) with kind "row" for the rows of a VALUES block,
        # "data" for the VALUES block itself, "" otherwise.
        self.stack: list[tuple[str, str]] = []
        self.values_pending = False
        self.bnodes_or_anon = False
        self.triple_depth = 0

    def where(self, offset: int) -> str:
        return position(self.text, offset)

    # --- IRIs -----------------------------------------------------------------------------
    def resolve(self, token: Token, value: str, offset: int, *, strict: bool) -> str:
        """The IRI a target names; ``strict`` (SERVICE) forbids anything but plain absolute
        IRIs, so that no resolution step can differ from the engine's."""
        if token.kind == "iri":
            iri = value[1:-1]
        elif token.kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix not in self.prefixes:
                raise ScanError(f"undeclared prefix '{prefix}:' at {self.where(offset)}")
            iri = self.prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
        else:
            raise ScanError(f"expected an IRI at {self.where(offset)}, found {value!r}")
        if "\\" in iri:
            if strict:
                raise ScanError(
                    f"SERVICE endpoint with an escape at {self.where(offset)}: "
                    "write the IRI plainly"
                )
            return iri
        if not _ABSOLUTE.match(iri):
            if strict:
                raise ScanError(
                    f"SERVICE endpoint <{iri}> at {self.where(offset)} is relative: "
                    "write the absolute IRI"
                )
            return urljoin(self.base, iri) if self.base else iri
        return iri

    def check_iri_reading(self, index: int) -> None:
        """Refuse an IRI the engine may read as ``<`` operator plus query text."""
        token = self.items[index]
        inside = self.stack[-1][1] if self.stack else None
        if (
            inside == ""
            and self.stack[-1][0] == "("
            and _operand_like(self.items[index - 1] if index else None)
            and _REREAD_HAZARDS.intersection(token.text)
        ):
            raise ScanError(
                f"'<' at {self.where(token.start)} follows an operand, so the query engine "
                "may read it as less-than, not as the start of an IRI; put a space after '<' "
                "for less-than, or percent-encode the IRI's quotes, '#', brackets"
            )

    # --- names and keywords ---------------------------------------------------------------
    def refuse_keyword(self, token: Token, keyword: str) -> None:
        raise ScanError(
            f"{token.text!r} at {self.where(token.start)} could be read by the query engine "
            f"as the keyword {keyword} glued to other text; separate {keyword} from what "
            "follows with a space (or rename the prefix or variable)"
        )

    def local_is_inert(self, prefix: str, local: str) -> bool:
        iri = self.prefixes.get(prefix)
        return (
            iri is not None
            and "\\" not in iri
            and bool(_ABSOLUTE.match(iri))
            and iri.endswith(("/", "#"))
            and _INERT_LOCAL.fullmatch(local) is not None
        )

    def keyword_at(self, token: Token, lowered: str, keywords: tuple[str, ...]) -> str | None:
        """Which of ``keywords`` (lower case) the engine could read in ``token`` (``lowered``:
        its text in ASCII lower case), if any, raising for an occurrence whose meaning the
        scan cannot pin down."""
        lowered_head, colon, lowered_local = lowered.partition(":")
        for keyword in keywords:
            if keyword in lowered_head and not lowered_head.startswith(keyword):
                self.refuse_keyword(token, keyword.upper())
            if (
                colon
                and keyword in lowered_local
                and not self.local_is_inert(*token.text.split(":", 1))
            ):
                raise ScanError(
                    f"{token.text!r} at {self.where(token.start)}: the local part holds "
                    f"{keyword.upper()} and its IRI may be invalid, which makes the query "
                    "engine read on inside it; declare its prefix as an absolute IRI ending "
                    "in '/' or '#', or write the IRI in full"
                )
        for keyword in keywords:
            if lowered_head.startswith(keyword):
                return keyword
        return None

    def glued_target(self, token: Token, skip: int) -> Token | None:
        """The prefixed name glued after ``skip`` keyword characters of ``token``; None when
        the keyword ends the token. Raises when what follows is neither."""
        rest = token.text[skip:]
        if not rest:
            return None
        match = _TOKEN.match(token.text, skip)
        if match is None or match.lastgroup != "pname" or match.end() != len(token.text):
            self.refuse_keyword(token, token.text[:skip].upper())
        return Token("pname", rest, token.start + skip)

    def modifier_and_target(
        self, index: int, token: Token, keyword: str, modifier: str
    ) -> tuple[bool, Token | None, int]:
        """After a keyword at ``token`` (possibly glued), read the optional modifier (SILENT,
        NAMED) and the target token; returns (modified, target, index after the target)."""
        skip = len(keyword)
        following = self.items[index + 1] if index + 1 < len(self.items) else None
        if _ascii_lower(token.text[skip:]).startswith(modifier):
            target = self.glued_target(token, skip + len(modifier))
            if target is not None:
                return True, target, index + 1
            return True, following, index + 2
        target = self.glued_target(token, skip)
        if target is not None:
            return False, target, index + 1
        if (
            following is not None
            and following.kind in ("word", "pname")
            and _ascii_lower(following.text).startswith(modifier)
        ):
            glued = self.glued_target(following, len(modifier))
            if glued is not None:
                return True, glued, index + 2
            after = self.items[index + 2] if index + 2 < len(self.items) else None
            return True, after, index + 3
        return False, following, index + 2

    # --- the pass ---------------------------------------------------------------------------
    def run(self) -> Scan:
        items = self.items
        found = self.found
        index = 0
        while index < len(items):
            token = items[index]
            kind, value = token.kind, token.text
            if kind == "punct":
                if value in _BRACKETS:
                    self.bracket(index)
                index += 1
                continue
            if kind == "iri":
                self.check_iri_reading(index)
            if kind in ("bnode",):
                self.bnodes_or_anon = True
            if kind not in ("word", "pname"):
                index += 1
                continue
            if found.form is not None and _WORTH_A_LOOK.search(value) is None:
                # Past the prologue, a name holding none of these does nothing below.
                index += 1
                continue
            lowered = _ascii_lower(value)
            if found.deterministic and _NONDETERMINISTIC.search(lowered):
                head, colon, local = value.partition(":")
                lowered_head = lowered.partition(":")[0]
                if _NONDETERMINISTIC.search(lowered_head) or (
                    colon and not self.local_is_inert(head, local)
                ):
                    found.deterministic = False
            keyword = self.keyword_at(token, lowered, ("service", "from"))
            if found.form is None and kind == "word" and lowered.startswith("base"):
                index = self.base_declaration(index, token)
                continue
            if found.form is None and lowered.startswith("prefix"):
                index = self.prefix_declaration(index, token)
                continue
            if kind == "word" and found.form is None:
                for form in ("select", "construct", "describe", "ask"):
                    if lowered.startswith(form):
                        found.form = form.upper()
                        break
            if kind == "word" and lowered == "values":
                self.values_pending = True
            if keyword == "from":
                named, target, index = self.modifier_and_target(index, token, "from", "named")
                if target is None:
                    raise ScanError(f"FROM without a graph at {self.where(token.start)}")
                iri = self.resolve(target, target.text, target.start, strict=False)
                (found.from_named_graphs if named else found.from_graphs).append(iri)
                continue
            if keyword == "service":
                _, target, index = self.modifier_and_target(index, token, "service", "silent")
                if target is None:
                    raise ScanError(f"SERVICE without an endpoint at {self.where(token.start)}")
                if target.kind == "var":
                    found.variable_service = True
                else:
                    if target.kind == "iri":
                        self.check_iri_reading(index - 1)
                    found.services.append(
                        self.resolve(target, target.text, target.start, strict=True)
                    )
                    found.service_spans.append((target.start, target.end))
                continue
            index += 1
        if found.form == "CONSTRUCT" and self.bnodes_or_anon:
            found.deterministic = False  # fresh blank nodes for every answer
        return found

    def prefix_declaration(self, index: int, token: Token) -> int:
        """``PREFIX ex: <iri>`` (the name may be glued to the keyword); returns the next index."""
        rest = token.text[len("prefix") :]
        if rest:
            if not rest.endswith(":") or ":" in rest[:-1]:
                self.refuse_keyword(token, "PREFIX")
            name, target_index = rest[:-1], index + 1
        else:
            following = self.items[index + 1] if index + 1 < len(self.items) else None
            if following is None or following.kind != "pname" or not following.text.endswith(":"):
                raise ScanError(f"PREFIX without a prefix name at {self.where(token.start)}")
            if following.text.count(":") != 1:
                raise ScanError(f"malformed PREFIX declaration at {self.where(token.start)}")
            name, target_index = following.text[:-1], index + 2
        target = self.items[target_index] if target_index < len(self.items) else None
        if target is None or target.kind != "iri":
            raise ScanError(f"PREFIX {name}: without an IRI at {self.where(token.start)}")
        self.prefixes[name] = self.resolve(target, target.text, target.start, strict=False)
        return target_index + 1

    def base_declaration(self, index: int, token: Token) -> int:
        if token.text[len("base") :]:
            self.refuse_keyword(token, "BASE")
        target = self.items[index + 1] if index + 1 < len(self.items) else None
        if target is None or target.kind != "iri":
            raise ScanError(f"BASE without an IRI at {self.where(token.start)}")
        self.base = self.resolve(target, target.text, target.start, strict=False)
        return index + 2

    def bracket(self, index: int) -> None:
        token = self.items[index]
        previous = self.items[index - 1] if index else None
        value = token.text
        adjacent = (
            previous is not None
            and previous.kind == "punct"
            and previous.text == value
            and previous.end == token.start
        )
        if value in "<>" and adjacent:
            # "<<" … ">>" (triple terms) nest as the engine recurses; they are no context for
            # reading "<", so they only count towards the depth. A pair is counted once.
            if value == "<":
                self.triple_depth += 1
                self.check_depth(token)
            else:
                self.triple_depth = max(0, self.triple_depth - 1)
            self.items[index] = Token("pair", value, token.start)
            return
        if value in _OPENERS:
            inside = self.stack[-1][1] if self.stack else None
            if value == "{" and self.values_pending:
                kind = "data"
                self.values_pending = False
            elif value == "(" and (inside == "data" or self.values_pending):
                kind = "row"
            else:
                kind = ""
            if value == "[":
                self.bnodes_or_anon = True
            self.stack.append((value, kind))
            self.check_depth(token)
        elif value in _CLOSERS and self.stack and self.stack[-1][0] == _CLOSERS[value]:
            self.stack.pop()

    def check_depth(self, token: Token) -> None:
        depth = len(self.stack) + self.triple_depth
        self.found.nesting = max(self.found.nesting, depth)
        if self.max_nesting is not None and depth > self.max_nesting:
            raise NestingTooDeep(
                f"the query nests more than {self.max_nesting} levels deep at "
                f"{self.where(token.start)} (brackets, braces, parentheses); the limit is "
                f"{self.max_nesting} (setting max_query_nesting)",
                self.max_nesting,
            )


def scan(
    text: str,
    *,
    max_nesting: int | None = None,
    prefixes: Mapping[str, str] | None = None,
    base_iri: str | None = None,
) -> Scan:
    """Read the form, FROM / FROM NAMED graphs, SERVICE endpoints, nesting and determinism.

    ``prefixes`` and ``base_iri`` must be what the engine runs the query with (its predeclared
    prefixes and base IRI), so that a name is read as the engine will read it.

    Raises :class:`ScanError` when a target cannot be determined safely, and
    :class:`NestingTooDeep` when brackets nest deeper than ``max_nesting``.
    """
    return _Scanner(text, max_nesting, prefixes, base_iri).run()
