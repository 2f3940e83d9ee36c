"""The description of one resource: the SPARQL that gathers it and the human values shown for it.

Plain functions, no Flask. :func:`describe` asks the store (the ``Store`` protocol of
``defkg.store``) for a resource's own triples, its incoming links, the details of its figures,
the provenance of its facts down to the sentence selectors, and the labels of everything it
mentions. :func:`human_value` and friends turn RDF terms into what a person reads ("over 500
military personnel", "July 2023", "1,800,000 KZT"), and :func:`highlight_figures` finds the
figures inside a quoted sentence so the page can mark them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from defkg.iris import OA, SCHEMA, TIME, WD, IriScheme

PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")

#: Characters that may not appear inside a SPARQL IRIREF (and so never in an IRI we look up).
_UNSAFE_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

#: What the bound individuals read as when the graph does not label them.
BOUND_WORDS = {
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

#: Properties whose values say what a resource is called or what it is; shown in the header.
DESCRIPTION_PROPERTIES = (
    SKOS.definition,
    RDFS.comment,
    DCTERMS.description,
    SCHEMA.description,
)


class Store(Protocol):
    """The part of ``defkg.store.Store`` this module uses."""

    def select(self, sparql: str) -> list[dict[str, Node]]: ...

    def construct(self, sparql: str) -> Graph: ...

    def ask(self, sparql: str) -> bool: ...


def is_safe_iri(iri: str) -> bool:
    """True when ``iri`` can be written between ``<…>`` in SPARQL without escaping anything."""
    return bool(iri) and not _UNSAFE_IRI.search(iri)


def _prefix_block(scheme: IriScheme) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in scheme.prefixes().items())


def exists_query(iri: str, scheme: IriScheme) -> str:
    """ASK whether ``iri`` occurs anywhere in the dataset: as subject, object or graph name."""
    return f"""ASK {{
  {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}
  UNION {{ GRAPH ?g {{ ?s ?p <{iri}> }} }}
  UNION {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}
}}"""


def description_query(iri: str, scheme: IriScheme) -> str:
    """The CONSTRUCT that gathers the RDF of ``iri`` from the asserted graphs.

    It holds the resource's own triples; its incoming links (except ``rdf:type``, which for an
    ontology class would list every instance); two levels of blank nodes and figure nodes
    (quantities, intervals) it points to; and for the resource, the nodes it points to and the
    nodes pointing at it, their ``prov:wasDerivedFrom`` anchor with its source and selectors and
    their ``prov:wasAttributedTo`` speaker. Labels come from :func:`labels_query`.
    """
    x = f"<{iri}>"
    asserted = f"FILTER(?g != <{scheme.inferred_graph}>)"
    return f"""{_prefix_block(scheme)}
CONSTRUCT {{
  {x} ?p ?o .
  ?s ?ip {x} .
  ?d ?dp ?do .
  ?dd ?ddp ?ddo .
  ?f prov:wasDerivedFrom ?a .
  ?f prov:wasAttributedTo ?who .
  ?f defkg:numericValue ?fv .
  ?a ?ap ?ao .
  ?sel ?selp ?selo .
  ?doc ?docp ?doco .
}}
WHERE {{
  {{ GRAPH ?g {{ {x} ?p ?o }} {asserted} }}
  UNION
  {{ GRAPH ?g {{ ?s ?ip {x} }} FILTER(?ip != rdf:type) {asserted} }}
  UNION
  {{
    GRAPH ?g {{ {x} ?dlink ?d . ?d ?dp ?do . }}
    {asserted}
    FILTER(isBlank(?d) || EXISTS {{ GRAPH ?gt {{ ?d a ?dt }}
           FILTER(?dt IN (defkg:Quantity, defkg:MonetaryAmount, time:Interval, time:Instant)) }})
    OPTIONAL {{ GRAPH ?g {{ ?do ?ddp ?ddo }} FILTER(isBlank(?do)) BIND(?do AS ?dd) }}
  }}
  UNION
  {{
    {{
      SELECT DISTINCT ?f WHERE {{
        {{ BIND({x} AS ?f) }}
        UNION {{ GRAPH ?g {{ {x} ?fp ?f }} FILTER(isIRI(?f)) {asserted} }}
        UNION {{ GRAPH ?g {{ ?f ?fp {x} }} FILTER(?fp != rdf:type) {asserted} }}
      }}
    }}
    {{ GRAPH ?g3 {{ ?f prov:wasAttributedTo ?who }} }}
    UNION
    {{ GRAPH ?g8 {{ ?f defkg:numericValue ?fv }} }}
    UNION
    {{
      GRAPH ?g4 {{ ?f prov:wasDerivedFrom ?a }}
      OPTIONAL {{ GRAPH ?g5 {{ ?a ?ap ?ao }} }}
      OPTIONAL {{ GRAPH ?g6 {{ ?a oa:hasSelector ?sel . ?sel ?selp ?selo }} }}
      OPTIONAL {{
        GRAPH ?g7 {{ ?a oa:hasSource ?doc . ?doc ?docp ?doco }}
        FILTER(?docp IN (rdf:type, schema:datePublished, schema:publisher, schema:headline))
      }}
    }}
  }}
}}"""


def labels_query(nodes: Iterable[URIRef], scheme: IriScheme) -> str:
    """A CONSTRUCT of the labels of ``nodes``, from every asserted graph."""
    values = " ".join(f"<{n}>" for n in sorted(set(nodes)) if is_safe_iri(str(n)))
    return f"""{_prefix_block(scheme)}
CONSTRUCT {{ ?m rdfs:label ?l . }}
WHERE {{
  VALUES ?m {{ {values} }}
  GRAPH ?g {{ ?m rdfs:label ?l }}
  FILTER(?g != <{scheme.inferred_graph}>)
}}"""


def describe(store: Store, iri: URIRef, scheme: IriScheme) -> Graph:
    """The RDF description of ``iri`` (see :func:`description_query`), labels included."""
    graph = store.construct(description_query(str(iri), scheme))
    mentioned = {n for t in graph for n in t if isinstance(n, URIRef)}
    if mentioned:
        graph += store.construct(labels_query(mentioned, scheme))
    for prefix, namespace in scheme.prefixes().items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def exists(store: Store, iri: URIRef, scheme: IriScheme) -> bool:
    """True when the dataset mentions ``iri`` anywhere (or names a graph with it)."""
    return is_safe_iri(str(iri)) and store.ask(exists_query(str(iri), scheme))


# --- human values ----------------------------------------------------------------------------


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
    best = ""
    for prefix, namespace in scheme.prefixes().items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, name = namespace, f"{prefix}:{iri[len(namespace) :]}"
    return name if best else iri


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
    str(PROV.wasAttributedTo): "stated by",
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
    if name in BOUND_WORDS:
        return BOUND_WORDS[name]
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


def number_spellings(value: Literal | None) -> list[str]:
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


def figure_spans(sentence: str, spellings: Sequence[str]) -> list[tuple[int, int]]:
    """Where any spelling occurs in ``sentence`` as a whole word, widened to take in a bound
    word before it ("over 500"). Spans are sorted and do not overlap."""
    spans: list[tuple[int, int]] = []
    for spelling in sorted(spellings, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w.,$])" + re.escape(spelling) + r"(?![\w]|[.,]\d)", re.I)
        for match in pattern.finditer(sentence):
            start, end = match.span()
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


# --- the page of one resource ------------------------------------------------------------------


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


@dataclass
class Quote:
    """A sentence a fact on the page was derived from, with its figures marked."""

    anchor: Value
    segments: list[tuple[str, bool]]
    start: int | None
    end: int | None
    article: Value | None
    published: str | None
    publisher: Value | None
    speakers: list[Value]
    facts: list[Value]
    primary: bool = True  #: the resource itself (or one of its figures) is derived from it


@dataclass
class ResourcePage:
    """Everything the resource template shows; built by :func:`build_page`."""

    iri: str
    label: str
    types: list[Value]
    descriptions: list[str]
    alt_labels: list[str]
    rows: list[Row]
    incoming: list[Row]
    quotes: list[Quote]
    same_as: list[Value]
    wikidata_status: str | None
    parts: list[Part] = field(default_factory=list)


@dataclass
class Part:
    """A hash resource described in the same document (``…/dataset#dist-defkg.nt``)."""

    fragment: str
    label: str
    rows: list[Row]


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


_ORDER = [
    RDF.type,
    SKOS.definition,
    RDFS.comment,
    SKOS.altLabel,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
]


def _sort_key(prop: Node, graph: Graph, scheme: IriScheme) -> tuple[int, str]:
    rank = _ORDER.index(prop) if prop in _ORDER else len(_ORDER)
    if str(prop).startswith(str(PROV)):
        rank = len(_ORDER) + 1  # provenance after the facts themselves
    return rank, label_of(graph, prop, scheme).lower()


def natural_key(text: str) -> tuple:
    """Sort key reading digit runs as numbers: "sentence 2" before "sentence 10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _values_sorted(values: Iterable[Value]) -> list[Value]:
    return sorted(values, key=lambda v: (natural_key(v.text.lower()), v.iri or ""))


def build_page(graph: Graph, iri: URIRef, scheme: IriScheme) -> ResourcePage:
    """The page model of ``iri`` from its description (:func:`describe`)."""
    rows = _rows_of(graph, iri, scheme, skip=(RDFS.label, RDF.type))  # both are in the header
    parts = [
        Part(
            str(node).split("#", 1)[1], label_of(graph, node, scheme), _rows_of(graph, node, scheme)
        )
        for node in sorted(set(graph.subjects()), key=lambda n: natural_key(str(n)))
        if isinstance(node, URIRef) and str(node).startswith(f"{iri}#")
    ]
    incoming: dict[Node, Row] = {}
    for subject, prop in graph.subject_predicates(iri):
        if subject == iri:
            continue
        row = incoming.setdefault(prop, Row(property_value(graph, prop, scheme)))
        row.values.append(value_of(graph, subject, scheme))
    for row in incoming.values():
        row.values = _values_sorted(row.values)
    descriptions = [
        str(o)
        for p in DESCRIPTION_PROPERTIES
        for o in graph.objects(iri, p)
        if isinstance(o, Literal)
    ]
    status = graph.value(iri, scheme.vocab.wikidataStatus)
    return ResourcePage(
        iri=str(iri),
        label=label_of(graph, iri, scheme),
        types=_values_sorted(value_of(graph, t, scheme) for t in graph.objects(iri, RDF.type)),
        descriptions=sorted(descriptions),
        alt_labels=sorted(
            f"{o} ({o.language})"
            if isinstance(o, Literal) and o.language not in (None, "en")
            else str(o)
            for o in graph.objects(iri, SKOS.altLabel)
        ),
        rows=rows,
        incoming=[incoming[p] for p in sorted(incoming, key=lambda p: _sort_key(p, graph, scheme))],
        quotes=build_quotes(graph, iri, scheme),
        same_as=_values_sorted(
            Value(local_name(str(o)), str(o), str(o), label_of(graph, o, scheme))
            for o in graph.objects(iri, OWL.sameAs)
        ),
        wikidata_status=label_of(graph, status, scheme) if status is not None else None,
        parts=parts,
    )


def _rows_of(graph: Graph, node: Node, scheme: IriScheme, skip: Sequence[Node] = ()) -> list[Row]:
    """Every property of ``node`` with its values, properties in reading order."""
    rows: dict[Node, Row] = {}
    for prop, obj in graph.predicate_objects(node):
        if prop in skip:
            continue
        row = rows.setdefault(prop, Row(property_value(graph, prop, scheme)))
        row.values.append(value_of(graph, obj, scheme))
    for row in rows.values():
        row.values = _values_sorted(row.values)
    return [rows[p] for p in sorted(rows, key=lambda p: _sort_key(p, graph, scheme))]


def build_quotes(graph: Graph, iri: URIRef, scheme: IriScheme) -> list[Quote]:
    """The Source panel: each sentence anchor a fact on the page derives from, with its figures
    marked, its position, article, publisher and speakers.

    Primary quotes (first) are the sentences the resource itself or its own figures come from,
    or the resource when it is an anchor; the others are the sentences of the facts it links to
    or that link to it. A primary quote names the speakers and figures of the primary facts
    only, so an interpretation attributed to the curators does not blur who said the fact.
    """
    own = {iri, *(o for o in graph.objects(iri, None) if is_figure(graph, o, scheme))}
    facts: dict[Node, list[Node]] = {}
    for fact, anchor in graph.subject_objects(PROV.wasDerivedFrom):
        facts.setdefault(anchor, []).append(fact)
    is_anchor = (iri, RDF.type, OA.SpecificResource) in graph or graph.value(iri, OA.hasSource)
    if is_anchor:
        facts.setdefault(iri, [])
    quotes = []
    for anchor, derived in facts.items():
        exact, start, end = None, None, None
        for selector in sorted(graph.objects(anchor, OA.hasSelector)):
            exact = exact or graph.value(selector, OA.exact)
            start = start if start is not None else graph.value(selector, OA.start)
            end = end if end is not None else graph.value(selector, OA.end)
        if exact is None:
            continue
        primary = anchor == iri or any(f in own for f in derived)
        named = [f for f in derived if f in own] if primary and anchor != iri else derived
        spellings: list[str] = []
        for fact in named:
            for figure in [fact, *graph.objects(fact, scheme.vocab.quantity)]:
                if is_figure(graph, figure, scheme):
                    spellings += number_spellings(graph.value(figure, scheme.vocab.numericValue))
        article = graph.value(anchor, OA.hasSource)
        speakers = {w for f in named for w in graph.objects(f, PROV.wasAttributedTo)}
        published = graph.value(article, SCHEMA.datePublished) if article is not None else None
        publisher = graph.value(article, SCHEMA.publisher) if article is not None else None
        quotes.append(
            Quote(
                anchor=value_of(graph, anchor, scheme),
                segments=highlight_segments(str(exact), figure_spans(str(exact), spellings)),
                start=int(start) if isinstance(start, Literal) else None,
                end=int(end) if isinstance(end, Literal) else None,
                article=value_of(graph, article, scheme) if article is not None else None,
                published=format_literal(published) if isinstance(published, Literal) else None,
                publisher=value_of(graph, publisher, scheme) if publisher is not None else None,
                speakers=_values_sorted(value_of(graph, w, scheme) for w in speakers),
                facts=_values_sorted(value_of(graph, f, scheme) for f in derived),
                primary=primary,
            )
        )
    quotes.sort(key=lambda q: (not q.primary, _anchor_order(q.anchor.iri or "")))
    return quotes


def _anchor_order(iri: str) -> tuple[str, int]:
    """Sentence anchors in reading order: ``…/s2`` before ``…/s10``."""
    match = re.search(r"/s(\d+)$", iri)
    return (iri[: match.start()], int(match.group(1))) if match else (iri, 0)


# --- ontology terms, graphs, the home page --------------------------------------------------

#: Properties that align a term with another vocabulary's term.
ALIGNMENT_PROPERTIES = (
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
    OWL.sameAs,
)

CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = (
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDF.Property,
)


@dataclass
class Constraint:
    """One SHACL property shape (or node shape) that applies to a term."""

    shape: Value
    path: str
    rules: list[str]
    message: str | None


@dataclass
class TermInfo:
    """What an ontology term's page adds to the resource page."""

    kind: str  #: "class", "property" or "individual"
    superclasses: list[Value]
    subclasses: list[Value]
    domains: list[Value]
    ranges: list[Value]
    used_as_domain: list[Value]
    used_as_range: list[Value]
    alignments: list[Row]
    constraints: list[Constraint]
    usage: int
    examples: list[Value]


def _values(graph: Graph, nodes: Iterable[Node], scheme: IriScheme) -> list[Value]:
    return _values_sorted(value_of(graph, n, scheme) for n in set(nodes))


def term_kind(graph: Graph, iri: URIRef) -> str:
    """``class``, ``property`` or ``individual``, from the term's declared types."""
    types = set(graph.objects(iri, RDF.type))
    if types & set(CLASS_TYPES) or (iri, RDFS.subClassOf, None) in graph:
        return "class"
    if types & set(PROPERTY_TYPES) or (iri, RDFS.subPropertyOf, None) in graph:
        return "property"
    return "individual"


def usage_pattern(iri: str, kind: str) -> str:
    """The graph pattern binding ``?s`` to the resources that use a term."""
    if kind == "class":
        return f"?s a <{iri}> ."
    if kind == "property":
        return f"?s <{iri}> ?o ."
    return f"?s ?p <{iri}> . FILTER(?p != rdf:type)"


def _data_graphs_filter(scheme: IriScheme, *, inferred: bool) -> str:
    excluded = [scheme.ontology_graph, scheme.shapes_graph]
    if not inferred:
        excluded.append(scheme.inferred_graph)
    return "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in excluded) + "))"


def term_info(store: Store, graph: Graph, iri: URIRef, scheme: IriScheme) -> TermInfo:
    """Super/sub-classes, domain/range, alignments, SHACL constraints and usage of a term.

    Usage counts the inferred graph too, so a superclass counts its subclasses' instances.
    """
    kind = term_kind(graph, iri)
    pattern = usage_pattern(str(iri), kind)
    data = _data_graphs_filter(scheme, inferred=True)
    prefixes = _prefix_block(scheme)
    rows = store.select(
        f"{prefixes}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} {data} }}"
    )
    usage = int(rows[0]["n"]) if rows and "n" in rows[0] else 0
    example_rows = store.select(
        f"""{prefixes}SELECT DISTINCT ?s
WHERE {{ GRAPH ?g {{ {pattern} }} {data} FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 100"""
    )
    examples = [r["s"] for r in example_rows if "s" in r]
    labels = store.construct(labels_query(examples, scheme)) if examples else Graph()
    alignments: dict[Node, Row] = {}
    for prop in ALIGNMENT_PROPERTIES:
        for obj in graph.objects(iri, prop):
            if isinstance(obj, URIRef) and not scheme.is_minted(str(obj)):
                row = alignments.setdefault(prop, Row(property_value(graph, prop, scheme)))
                row.values.append(value_of(graph, obj, scheme))
    return TermInfo(
        kind=kind,
        superclasses=_values(graph, graph.objects(iri, RDFS.subClassOf), scheme)
        + _values(graph, graph.objects(iri, RDFS.subPropertyOf), scheme),
        subclasses=_values(graph, graph.subjects(RDFS.subClassOf, iri), scheme)
        + _values(graph, graph.subjects(RDFS.subPropertyOf, iri), scheme),
        domains=_values(graph, graph.objects(iri, RDFS.domain), scheme),
        ranges=_values(graph, graph.objects(iri, RDFS.range), scheme),
        used_as_domain=_values(graph, graph.subjects(RDFS.domain, iri), scheme),
        used_as_range=_values(graph, graph.subjects(RDFS.range, iri), scheme),
        alignments=list(alignments.values()),
        constraints=constraints_for(store, iri, scheme),
        usage=usage,
        examples=_values_sorted(value_of(labels, e, scheme) for e in examples),
    )


def constraints_for(store: Store, iri: URIRef, scheme: IriScheme) -> list[Constraint]:
    """The SHACL constraints that apply to a term: the property shapes of node shapes that
    target it (a class), and every property shape whose path is it (a property)."""
    rows = store.select(
        f"""{_prefix_block(scheme)}
SELECT ?shape ?shapeLabel ?ps ?path ?c ?v WHERE {{
  GRAPH <{scheme.shapes_graph}> {{
    {{ ?shape sh:targetClass|sh:targetSubjectsOf|sh:targetObjectsOf <{iri}> .
       ?shape sh:property ?ps . ?ps sh:path ?path . ?ps ?c ?v }}
    UNION
    {{ ?shape sh:property ?ps . ?ps sh:path <{iri}> . BIND(<{iri}> AS ?path) ?ps ?c ?v }}
    OPTIONAL {{ ?shape rdfs:label ?shapeLabel }}
  }}
  FILTER(STRSTARTS(STR(?c), STR(sh:)) && ?c != sh:path)
}}"""
    )
    grouped: dict[tuple[Node, Node], Constraint] = {}
    for row in rows:
        key = (row["shape"], row["ps"])
        shape = row["shape"]
        if key not in grouped:
            path = row.get("path")
            grouped[key] = Constraint(
                shape=Value(
                    str(row.get("shapeLabel") or short_name(str(shape), scheme)),
                    link_for(str(shape), scheme) if isinstance(shape, URIRef) else None,
                    str(shape),
                ),
                path=short_name(str(path), scheme) if isinstance(path, URIRef) else "(a path)",
                rules=[],
                message=None,
            )
        constraint = grouped[key]
        name, value = local_name(str(row["c"])), row["v"]
        if name == "message":
            constraint.message = str(value)
        elif name in ("name", "description", "order", "group"):
            continue
        elif isinstance(value, URIRef):
            constraint.rules.append(f"{name} {short_name(str(value), scheme)}")
        elif isinstance(value, Literal):
            constraint.rules.append(f"{name} {value}")
        else:
            constraint.rules.append(f"{name} (a list or node)")
    for constraint in grouped.values():
        constraint.rules.sort()
    return sorted(grouped.values(), key=lambda c: (c.shape.text, c.path))


@dataclass
class Entry:
    """A class (or graph, or term) with a count, for lists on the home and index pages."""

    value: Value
    count: int


def class_counts(store: Store, scheme: IriScheme) -> list[Entry]:
    """Every class that has instances in the data, with its instance count (inferred types
    included, so ``defkg:Activity`` counts operations too), most used first."""
    rows = store.select(
        f"""{_prefix_block(scheme)}
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH ?g {{ ?s a ?c }} {_data_graphs_filter(scheme, inferred=True)}
}} GROUP BY ?c"""
    )
    classes = [r["c"] for r in rows if isinstance(r.get("c"), URIRef)]
    labels = store.construct(labels_query(classes, scheme)) if classes else Graph()
    entries = [
        Entry(value_of(labels, r["c"], scheme), int(r["n"]))
        for r in rows
        if isinstance(r.get("c"), URIRef)
    ]
    return sorted(entries, key=lambda e: (-e.count, e.value.text.lower()))


def graph_counts(store: Store, scheme: IriScheme) -> list[Entry]:
    """Every named graph with its triple count, in name order."""
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return sorted(
        (
            Entry(
                Value(short_name(str(r["g"]), scheme), link_for(str(r["g"]), scheme), str(r["g"])),
                int(r["n"]),
            )
            for r in rows
            if isinstance(r.get("g"), URIRef)
        ),
        key=lambda e: e.value.iri or "",
    )


def dataset_counts(store: Store, scheme: IriScheme) -> dict[str, int]:
    """Headline counts for the home page: sources, facts with a source sentence, entities
    linked to Wikidata, minted resources."""
    data = _data_graphs_filter(scheme, inferred=False)
    row = store.select(
        f"""{_prefix_block(scheme)}
SELECT
  (COUNT(DISTINCT ?article) AS ?sources)
  (COUNT(DISTINCT ?fact) AS ?facts)
  (COUNT(DISTINCT ?linked) AS ?linked)
  (COUNT(DISTINCT ?minted) AS ?resources)
WHERE {{
  {{ GRAPH ?g {{ ?article a schema:NewsArticle }} {data} }}
  UNION {{ GRAPH ?g {{ ?fact prov:wasDerivedFrom ?anchor }} {data} }}
  UNION {{ GRAPH ?g {{ ?linked owl:sameAs ?wd FILTER(STRSTARTS(STR(?wd), STR(wd:))) }} {data} }}
  UNION {{ GRAPH ?g {{ ?minted ?p ?o FILTER(STRSTARTS(STR(?minted), STR(kg:))) }} {data} }}
}}"""
    )
    first = row[0] if row else {}
    return {
        k: int(first[k]) if k in first else 0 for k in ("sources", "facts", "linked", "resources")
    }


@dataclass
class OntologyIndex:
    """The terms of the ontology by kind, each with its label and definition."""

    classes: list[Entry]
    properties: list[Entry]
    individuals: list[Entry]


def ontology_index(store: Store, scheme: IriScheme) -> OntologyIndex:
    """Every term minted in the ontology namespace that the ontology graph describes."""
    graph = store.construct(
        f"""{_prefix_block(scheme)}
CONSTRUCT {{ ?t a ?type ; rdfs:label ?l ; skos:definition ?d ; rdfs:comment ?c }}
WHERE {{
  GRAPH <{scheme.ontology_graph}> {{
    ?t a ?type . FILTER(STRSTARTS(STR(?t), STR(defkg:)))
    OPTIONAL {{ ?t rdfs:label ?l }} OPTIONAL {{ ?t skos:definition ?d }}
    OPTIONAL {{ ?t rdfs:comment ?c }}
  }}
}}"""
    )
    groups: dict[str, list[Entry]] = {"class": [], "property": [], "individual": []}
    for term in sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}):
        value = value_of(graph, term, scheme)
        definition = graph.value(term, SKOS.definition) or graph.value(term, RDFS.comment)
        value.note = str(definition) if definition is not None else ""
        groups[term_kind(graph, term)].append(Entry(value, 0))
    for entries in groups.values():
        entries.sort(key=lambda e: e.value.text.lower())
    return OntologyIndex(groups["class"], groups["property"], groups["individual"])


def graph_members(store: Store, iri: URIRef, scheme: IriScheme, limit: int = 200) -> list[Value]:
    """The labelled resources a named graph describes (up to ``limit``), by label."""
    rows = store.select(
        f"""{_prefix_block(scheme)}
SELECT DISTINCT ?s WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}
ORDER BY ?s LIMIT {int(limit)}"""
    )
    subjects = [r["s"] for r in rows if "s" in r]
    labels = store.construct(labels_query(subjects, scheme)) if subjects else Graph()
    return _values_sorted(value_of(labels, s, scheme) for s in subjects)


@dataclass
class Sentence:
    """One sentence anchor of a source document, in reading order."""

    anchor: Value
    text: str
    start: int


def source_sentences(store: Store, iri: URIRef, scheme: IriScheme) -> list[Sentence]:
    """The sentence anchors whose ``oa:hasSource`` is ``iri``, in text order: the document's
    text as the dataset quotes it, each sentence linking to its anchor."""
    rows = store.select(
        f"""{_prefix_block(scheme)}
SELECT ?a ?label ?exact ?start WHERE {{
  GRAPH ?g {{ ?a oa:hasSource <{iri}> }}
  GRAPH ?g1 {{ ?a oa:hasSelector ?q . ?q oa:exact ?exact }}
  OPTIONAL {{ GRAPH ?g2 {{ ?a oa:hasSelector ?p . ?p oa:start ?start }} }}
  OPTIONAL {{ GRAPH ?g3 {{ ?a rdfs:label ?label }} }}
}}"""
    )
    sentences = {}
    for row in rows:
        anchor = row["a"]
        start = row.get("start")
        label = row.get("label")
        sentences[anchor] = Sentence(
            anchor=Value(
                str(label) if label is not None else short_name(str(anchor), scheme),
                link_for(str(anchor), scheme),
                str(anchor),
            ),
            text=str(row["exact"]),
            start=int(start) if isinstance(start, Literal) else 0,
        )
    return sorted(sentences.values(), key=lambda s: (s.start, natural_key(s.anchor.iri or "")))
