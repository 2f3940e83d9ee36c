"""Humanising values: what a person reads for an RDF term, in one place.

"over 500 military personnel", "July 2023", "1,800,000 KZT": :func:`human_value` and friends
turn RDF terms into page text, :class:`Value` is one value as any page kind shows it, and
:func:`figure_spans` finds the figures inside a quoted sentence so a page can mark them.
Plain functions, no Flask, no SPARQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from defkg.iris import OA, SCHEMA, TIME, WD, IriScheme

PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")

#: What the bound individuals read as when the graph does not label them.
BOUND_READINGS = {
    "exactly": "",
    "moreThan": "more than",
    "atLeast": "at least",
    "lessThan": "less than",
    "atMost": "at most",
    "approximately": "about",
}

#: Plural names of the QUDT units the articles use, for figures without a label.
UNIT_WORDS = {
    "TONNE": "tonnes",
    "KiloGM": "kilograms",
    "KiloM": "kilometres",
    "M": "metres",
    "HR": "hours",
    "DAY": "days",
    "L": "litres",
}

_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_number(value: int | Decimal | float) -> str:
    """``3000`` → ``3,000``; ``Decimal('1.50')`` → ``1.5``; keeps every stated digit otherwise."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    whole, _, fraction = f"{number.normalize():f}".partition(".")
    return f"{int(whole):,}.{fraction}" if whole.lstrip("-") else f"0.{fraction}"


def format_literal(literal: Literal) -> str:
    """A literal as a person reads it: dates as dates, numbers with separators, text as text."""
    datatype = literal.datatype
    text = str(literal)
    try:
        if datatype == XSD.date:
            day = date.fromisoformat(text[:10])
            return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
        if datatype == XSD.gYearMonth:
            year, month = text[:7].split("-")
            return f"{_MONTHS[int(month) - 1]} {int(year)}"
        if datatype == XSD.gYear:
            return str(int(text[:4]))
        if datatype == XSD.dateTime:
            day = date.fromisoformat(text[:10])
            return f"{day.day} {_MONTHS[day.month - 1]} {day.year}, {text[11:16]}"
        if datatype in (XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger):
            return format_number(int(text))
        if datatype in (XSD.decimal, XSD.double, XSD.float):
            return format_number(Decimal(text))
        if datatype == XSD.boolean:
            return "yes" if text in ("true", "1") else "no"
    except (ValueError, IndexError, InvalidOperation):
        pass  # an ill-typed literal is shown as written
    return text


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``)."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


def short_name(iri: str, scheme: IriScheme) -> str:
    """``defkg:Quantity`` for an IRI in a known namespace, else the IRI."""
    return scheme.curie(iri) or iri


#: How well-known properties read on a page, where the graph has no label for them.
KNOWN_LABELS = {
    str(RDF.type): "type",
    str(OWL.sameAs): "same as",
    str(SKOS.altLabel): "also known as",
    str(SKOS.definition): "definition",
    str(RDFS.comment): "comment",
    str(RDFS.subClassOf): "subclass of",
    str(RDFS.subPropertyOf): "subproperty of",
    str(RDFS.domain): "domain",
    str(RDFS.range): "range",
    str(PROV.wasDerivedFrom): "stated in",
    str(PROV.wasAttributedTo): "attributed to",
    str(OA.hasSource): "source",
    str(OA.hasSelector): "selector",
    str(OA.exact): "exact text",
    str(OA.start): "start",
    str(OA.end): "end",
}


def _words(name: str) -> str:
    """``wasDerivedFrom`` → ``was derived from``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


def label_of(graph: Graph, node: Node, scheme: IriScheme) -> str:
    """The English label of ``node`` (any label if none is English), else a short name."""
    labels = list(graph.objects(node, RDFS.label))
    for wanted in ("en", None):
        for label in labels:
            if isinstance(label, Literal) and label.language in (wanted, None):
                return str(label)
    if labels:
        return str(labels[0])
    if isinstance(node, URIRef):
        if str(node) in KNOWN_LABELS:
            return KNOWN_LABELS[str(node)]
        if str(node).startswith(str(WD)):
            return f"Wikidata {local_name(str(node))}"
        return short_name(str(node), scheme)
    if isinstance(node, Literal):
        return format_literal(node)
    return "(unnamed node)"


def bound_phrase(graph: Graph, bound: Node | None, scheme: IriScheme) -> str:
    """``defkg:moreThan`` → ``more than``; ``defkg:exactly`` → ``""``."""
    if bound is None:
        return ""
    name = local_name(str(bound))
    if name in BOUND_READINGS:
        return BOUND_READINGS[name]
    return label_of(graph, bound, scheme)


def quantity_phrase(graph: Graph, quantity: Node, scheme: IriScheme) -> str:
    """A figure from its parts: bound, number, and unit, what is counted or currency."""
    value = graph.value(quantity, scheme.vocab.numericValue)
    number = format_literal(value) if isinstance(value, Literal) else "?"
    words = [bound_phrase(graph, graph.value(quantity, scheme.vocab.bound), scheme), number]
    unit = graph.value(quantity, scheme.vocab.unit)
    counted = graph.value(quantity, scheme.vocab.countOf)
    code = graph.value(quantity, SCHEMA.currency)
    currency = graph.value(quantity, scheme.vocab.currency)
    if code is not None:
        words.append(str(code))
    elif currency is not None:
        words.append(label_of(graph, currency, scheme))
    elif unit is not None:
        words.append(UNIT_WORDS.get(local_name(str(unit)), label_of(graph, unit, scheme)))
    elif counted is not None:
        words.append(label_of(graph, counted, scheme))
    return " ".join(w for w in words if w)


def is_figure(graph: Graph, node: Node, scheme: IriScheme) -> bool:
    """True when ``node`` is a quantity (it has a numeric value)."""
    return graph.value(node, scheme.vocab.numericValue) is not None


def human_value(graph: Graph, node: Node, scheme: IriScheme) -> str:
    """What a page shows for ``node``: a figure reads as stated, a literal formatted, an IRI
    by its label. A figure's curated ``rdfs:label`` ("more than 400 tonnes of water") wins over
    the phrase built from its parts, which has no words for the material."""
    if isinstance(node, Literal):
        return format_literal(node)
    if is_figure(graph, node, scheme):
        label = graph.value(node, RDFS.label)
        return str(label) if label is not None else quantity_phrase(graph, node, scheme)
    if isinstance(node, BNode):
        return interval_phrase(graph, node) or label_of(graph, node, scheme)
    return label_of(graph, node, scheme)


def interval_phrase(graph: Graph, node: Node) -> str | None:
    """``from 2014 to 26 December 2023`` for a ``time:Interval`` with its ends, else None."""

    def end(pred: URIRef) -> str | None:
        instant = graph.value(node, pred)
        if instant is None:
            return None
        for p in (TIME.inXSDDate, TIME.inXSDgYear, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime):
            value = graph.value(instant, p)
            if isinstance(value, Literal):
                return format_literal(value)
        return None

    start, finish = end(TIME.hasBeginning), end(TIME.hasEnd)
    if start is None and finish is None:
        return None
    if start is None:
        return f"up to {finish}"
    if finish is None:
        return f"since {start}"
    return f"from {start} to {finish}"


# --- figures inside a sentence -------------------------------------------------------------


def number_spellings(value: Node | None) -> list[str]:
    """The ways an article may write a number: ``1800000`` → ``1,800,000``, ``1.8 million``."""
    if not isinstance(value, Literal):
        return []
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return [str(value)]
    spellings = [format_number(number), str(value)]
    if number == number.to_integral_value():
        whole = int(number)
        spellings.append(str(whole))
        if 0 <= whole < len(_NUMBER_WORDS):
            spellings.append(_NUMBER_WORDS[whole])
        for size, word in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
            if whole >= size and whole % (size // 10) == 0:
                spellings.append(f"{format_number(Decimal(whole) / size)} {word}")
                break
    return list(dict.fromkeys(s for s in spellings if s))


_BOUND_BEFORE = re.compile(
    r"(?:over|more than|at least|less than|fewer than|at most|about|around|some|nearly|almost)\s+$",
    re.IGNORECASE,
)


#: Signs written before an amount, marked with it.
_CURRENCY_SIGNS = "$€£¥₸₽"


def figure_spans(sentence: str, spellings: Sequence[str]) -> list[tuple[int, int]]:
    """Where any spelling occurs in ``sentence`` as a whole word, widened to take in a bound
    word before it ("over 500"). Spans are sorted and do not overlap."""
    spans: list[tuple[int, int]] = []
    for spelling in sorted(spellings, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w.,])" + re.escape(spelling) + r"(?![\w]|[.,]\d)", re.I)
        for match in pattern.finditer(sentence):
            start, end = match.span()
            if start and sentence[start - 1] in _CURRENCY_SIGNS:
                start -= 1  # "$4 million" is one figure
            bound = _BOUND_BEFORE.search(sentence[:start])
            if bound:
                start = bound.start()
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
    return sorted(spans)


def highlight_segments(sentence: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split ``sentence`` into ``(text, highlighted)`` pieces for the template to escape."""
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            continue
        if start > cursor:
            pieces.append((sentence[cursor:start], False))
        pieces.append((sentence[start:end], True))
        cursor = end
    if cursor < len(sentence):
        pieces.append((sentence[cursor:], False))
    return pieces


@dataclass
class Value:
    """One value as a page shows it."""

    text: str
    href: str | None = None  #: where a click goes: a local page or an external IRI
    iri: str | None = None  #: the IRI itself, shown on hover
    note: str = ""  #: a language tag, a datatype, or a figure's parts


@dataclass
class Row:
    """One property of the resource and its values (or, for incoming links, its subjects)."""

    prop: Value
    values: list[Value] = field(default_factory=list)
    #: the values by kind, for a long list (see ``resource.grouped_by_kind``); else empty
    groups: list[tuple[str, list[Value]]] = field(default_factory=list)


@dataclass
class Entry:
    """A class (or graph, or term) with a count, for lists on the home and index pages."""

    value: Value
    count: int


def link_for(iri: str, scheme: IriScheme) -> str:
    """Where a link to ``iri`` goes: its page on this server when we mint it, else the IRI."""
    return scheme.path_for_iri(iri) or iri


def value_of(graph: Graph, node: Node, scheme: IriScheme) -> Value:
    """A :class:`Value` for ``node``: text, link, and a note for text in another language."""
    text = human_value(graph, node, scheme)
    if isinstance(node, Literal):
        return Value(text, note=node.language if node.language not in (None, "en") else "")
    if isinstance(node, URIRef):
        return Value(text, link_for(str(node), scheme), str(node))
    return Value(text)


def property_value(graph: Graph, prop: Node, scheme: IriScheme) -> Value:
    """A property as a row heading: its label, else its local name in words."""
    value = value_of(graph, prop, scheme)
    if graph.value(prop, RDFS.label) is None and str(prop) not in KNOWN_LABELS:
        value.text = _words(local_name(str(prop)))
    return value


def natural_key(text: str) -> tuple:
    """Sort key reading digit runs as numbers: "sentence 2" before "sentence 10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def values_sorted(values: Iterable[Value]) -> list[Value]:
    return sorted(values, key=lambda v: (natural_key(v.text.lower()), v.iri or ""))
