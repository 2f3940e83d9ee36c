"""The page of one resource (an entity, a fact, a sentence anchor, a source, a graph): the
SPARQL that gathers its description and the page model built from it.

:func:`describe` asks the store for a resource's own triples, its incoming links, the details
of its figures, the provenance of its facts down to the sentence selectors, and the labels of
everything it mentions; :func:`build_page` turns that graph into what ``resource.html`` shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import render_template
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from defkg import formats
from defkg.iris import OA, SCHEMA, IriScheme
from defkg.store import Store
from defkg.web.downloads import ReleaseInfo
from defkg.web.pages.common import is_safe_iri, labels_query, prefix_block
from defkg.web.pages.values import (
    DCTERMS,
    PROV,
    Row,
    Value,
    figure_spans,
    format_literal,
    highlight_segments,
    is_figure,
    label_of,
    link_for,
    local_name,
    natural_key,
    number_spellings,
    property_value,
    short_name,
    value_of,
    values_sorted,
)

#: Properties whose values say what a resource is called or what it is; shown in the header.
DESCRIPTION_PROPERTIES = (
    SKOS.definition,
    RDFS.comment,
    DCTERMS.description,
    SCHEMA.description,
)


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
    return f"""{prefix_block(scheme)}
CONSTRUCT {{
  {x} ?p ?o .
  ?s ?ip {x} .
  ?s a ?stype .
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
  {{
    GRAPH ?g {{ ?s ?ip {x} }} FILTER(?ip != rdf:type) {asserted}
    OPTIONAL {{ GRAPH ?gt {{ ?s a ?stype }} FILTER(?gt != <{scheme.inferred_graph}>) }}
  }}
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
    facts: list[Value]  #: every fact the sentence states: the same list on every page
    primary: bool = True  #: the resource itself (or one of its figures) is derived from it
    #: the speakers are the publisher itself: the sentence names no one (see the readings)
    no_speaker: bool = False
    readings: list[Value] = field(default_factory=list)  #: the curators' interpretations
    computed: list[Value] = field(default_factory=list)  #: figures defkg derived from it


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
    #: for a derived figure: how defkg computed it (else None) and from which stated figures
    computation: str | None = None
    computed_from: list[Value] = field(default_factory=list)
    #: derived figures computed for this fact (``defkg:computedFor``), each marked as derived
    computed: list[Value] = field(default_factory=list)


@dataclass
class Part:
    """A hash resource described in the same document (``…/dataset#dist-defkg.nt``)."""

    fragment: str
    label: str
    rows: list[Row]


_ORDER: list[Node] = [
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


def build_page(graph: Graph, iri: URIRef, scheme: IriScheme) -> ResourcePage:
    """The page model of ``iri`` from its description (:func:`describe`)."""
    # the label, the types and the descriptions are in the header
    rows = _rows_of(graph, iri, scheme, skip=(RDFS.label, RDF.type, *DESCRIPTION_PROPERTIES))
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
        if isinstance(subject, BNode) and prop in (RDF.first, RDF.rest):
            continue  # a member of an RDF list (owl:oneOf …): the list node has no page
        row = incoming.setdefault(prop, Row(property_value(graph, prop, scheme)))
        row.values.append(value_of(graph, subject, scheme))
    for row in incoming.values():
        row.values = values_sorted(row.values)
        row.groups = grouped_by_kind(graph, row, scheme)
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
        types=values_sorted(value_of(graph, t, scheme) for t in graph.objects(iri, RDF.type)),
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
        same_as=values_sorted(
            Value(local_name(str(o)), str(o), str(o), label_of(graph, o, scheme))
            for o in graph.objects(iri, OWL.sameAs)
        ),
        wikidata_status=label_of(graph, status, scheme) if status is not None else None,
        parts=parts,
        computation=computation_of(graph, iri, scheme),
        computed_from=values_sorted(
            value_of(graph, o, scheme) for o in graph.objects(iri, scheme.vocab.computedFrom)
        ),
        computed=values_sorted(
            derived_value(graph, d, scheme)
            for d in graph.subjects(scheme.vocab.computedFor, iri)
            if is_derived(graph, d, scheme)
        ),
    )


#: A list of links longer than this is shown in groups by kind, each folded.
GROUP_ABOVE = 8


def grouped_by_kind(graph: Graph, row: Row, scheme: IriScheme) -> list[tuple[str, list[Value]]]:
    """A long row's values in groups, each folded on the page; [] for a short row.

    Facts group by the sentence they are derived from, in reading order ("sentence 8 (4)"), so
    a prolific speaker's forty statements read sentence by sentence; anything else by its kind.
    """
    if len(row.values) <= GROUP_ABOVE:
        return []
    keyed: dict[tuple, list[Value]] = {}
    names: dict[tuple, str] = {}
    sources: set[Node | None] = set()
    for value in row.values:
        node = URIRef(value.iri) if value.iri else None
        anchor = graph.value(node, PROV.wasDerivedFrom) if node is not None else None
        types = sorted(graph.objects(node, RDF.type), key=str) if node is not None else []
        if anchor is not None:
            source = graph.value(anchor, OA.hasSource)
            sources.add(source)
            key: tuple = (0, _anchor_order(str(anchor)))
            names[key] = label_of(graph, anchor, scheme)
            if source is not None:
                names[(*key, "source")] = label_of(graph, source, scheme)
        else:
            name = label_of(graph, types[0], scheme) if types else "other"
            key = (1, (name, 0))
            names[key] = name
        keyed.setdefault(key, []).append(value)
    several = len(sources) > 1  # "sentence 3" of which report, then
    return [
        (
            f"{names[key]} of {names[(*key, 'source')]}"
            if several and (*key, "source") in names
            else names[key],
            keyed[key],
        )
        for key in sorted(keyed)
    ]


def _rows_of(graph: Graph, node: Node, scheme: IriScheme, skip: Sequence[Node] = ()) -> list[Row]:
    """Every property of ``node`` with its values, properties in reading order."""
    rows: dict[Node, Row] = {}
    for prop, obj in graph.predicate_objects(node):
        if prop in skip:
            continue
        row = rows.setdefault(prop, Row(property_value(graph, prop, scheme)))
        row.values.append(value_of(graph, obj, scheme))
    for row in rows.values():
        row.values = values_sorted(row.values)
    return [rows[p] for p in sorted(rows, key=lambda p: _sort_key(p, graph, scheme))]


#: Types of the nodes that are curators' readings of a sentence, not facts it states.
READING_TYPES = (
    "Interpretation",
    "DataQualityFinding",
    "InconsistentFigures",
    "ConflictingFigures",
)


def is_derived(graph: Graph, node: Node, scheme: IriScheme) -> bool:
    """True for a figure defkg computed (``defkg:DerivedFigure``), which no source states."""
    return (node, RDF.type, scheme.vocab.DerivedFigure) in graph or (
        graph.value(node, scheme.vocab.computation) is not None
    )


def computation_of(graph: Graph, node: Node, scheme: IriScheme) -> str | None:
    """How defkg computed a derived figure ("sum of 171 + 82 + 87"), or None if it is not one."""
    if not is_derived(graph, node, scheme):
        return None
    computation = graph.value(node, scheme.vocab.computation)
    return str(computation) if computation is not None else "computed by defkg"


def derived_value(graph: Graph, node: Node, scheme: IriScheme) -> Value:
    """A derived figure as a value, its computation as the note."""
    value = value_of(graph, node, scheme)
    value.note = f"derived: {computation_of(graph, node, scheme)}"
    return value


def is_reading(graph: Graph, node: Node, scheme: IriScheme) -> bool:
    """True for the curators' interpretation or finding about a sentence."""
    return any((node, RDF.type, scheme.vocab[name]) in graph for name in READING_TYPES)


def figures_of(graph: Graph, fact: Node, scheme: IriScheme) -> list[Node]:
    """The fact itself when it is a figure, and every figure it points to."""
    return [n for n in [fact, *graph.objects(fact, None)] if is_figure(graph, n, scheme)]


def sentence_facts_query(anchors: Iterable[Node], scheme: IriScheme) -> str:
    """A CONSTRUCT of everything said about the given sentence anchors: each node derived from
    one (fact, figure, reading, derived figure) with its types, label, attribution and figures,
    and the readings that target one. The Source panel of every page is built from it, so a
    sentence shows the same facts and marks the same figures wherever it is quoted."""
    values = " ".join(f"<{a}>" for a in sorted({str(a) for a in anchors}) if is_safe_iri(a))
    asserted = f"FILTER(?g != <{scheme.inferred_graph}>)"
    return f"""{prefix_block(scheme)}
CONSTRUCT {{
  ?f prov:wasDerivedFrom ?a . ?f a ?t . ?f rdfs:label ?l . ?f prov:wasAttributedTo ?w .
  ?w rdfs:label ?wl . ?f defkg:numericValue ?v . ?f ?fp ?q . ?q defkg:numericValue ?qv .
  ?q rdfs:label ?ql . ?f defkg:computation ?c .
  ?r oa:hasTarget ?a . ?r defkg:interprets ?x . ?r a ?rt . ?r rdfs:label ?rl .
  ?r prov:wasAttributedTo ?rw .
}}
WHERE {{
  VALUES ?a {{ {values} }}
  {{
    GRAPH ?g {{ ?f prov:wasDerivedFrom ?a }} {asserted}
    {{ GRAPH ?g1 {{ ?f a ?t }} FILTER(?g1 != <{scheme.inferred_graph}>) }}
    UNION {{ GRAPH ?g2 {{ ?f rdfs:label ?l }} }}
    UNION {{
      GRAPH ?g3 {{ ?f prov:wasAttributedTo ?w }}
      OPTIONAL {{ GRAPH ?g4 {{ ?w rdfs:label ?wl }} }}
    }}
    UNION {{ GRAPH ?g5 {{ ?f defkg:numericValue ?v }} }}
    UNION {{
      GRAPH ?g6 {{ ?f ?fp ?q }} GRAPH ?g7 {{ ?q defkg:numericValue ?qv }}
      OPTIONAL {{ GRAPH ?g8 {{ ?q rdfs:label ?ql }} }}
    }}
    UNION {{ GRAPH ?g9 {{ ?f defkg:computation ?c }} }}
  }}
  UNION
  {{
    GRAPH ?g {{ ?x prov:wasDerivedFrom ?a . ?r defkg:interprets ?x }} {asserted}
    {{ GRAPH ?g1 {{ ?r a ?rt }} FILTER(?g1 != <{scheme.inferred_graph}>) }}
    UNION {{ GRAPH ?g2 {{ ?r rdfs:label ?rl }} }}
    UNION {{ GRAPH ?g3 {{ ?r prov:wasAttributedTo ?rw }} }}
  }}
  UNION
  {{
    GRAPH ?g {{ ?r oa:hasTarget ?a }} {asserted}
    {{ GRAPH ?g1 {{ ?r a ?rt }} FILTER(?g1 != <{scheme.inferred_graph}>) }}
    UNION {{ GRAPH ?g2 {{ ?r rdfs:label ?rl }} }}
    UNION {{ GRAPH ?g3 {{ ?r prov:wasAttributedTo ?rw }} }}
  }}
}}"""


def quoted_anchors(graph: Graph, iri: URIRef) -> set[Node]:
    """The sentence anchors the page of ``iri`` quotes (and ``iri`` if it is one)."""
    anchors = set(graph.objects(None, PROV.wasDerivedFrom))
    if (iri, RDF.type, OA.SpecificResource) in graph or graph.value(iri, OA.hasSource):
        anchors.add(iri)
    return {a for a in anchors if isinstance(a, URIRef)}


def with_sentence_facts(store: Store, graph: Graph, iri: URIRef, scheme: IriScheme) -> Graph:
    """``graph`` plus :func:`sentence_facts_query` of its sentences (a new graph: the
    description is shared between requests and documents and is never changed)."""
    anchors = quoted_anchors(graph, iri)
    if not anchors:
        return graph
    merged = Graph()
    merged += graph
    merged += store.construct(sentence_facts_query(anchors, scheme))
    return merged


def build_quotes(graph: Graph, iri: URIRef, scheme: IriScheme) -> list[Quote]:
    """The Source panel: each sentence anchor a fact on the page derives from, with every
    figure it states marked, its position, article, publisher, speakers, the facts it states,
    the curators' readings of it and the figures defkg computed from it.

    Primary quotes (first) are the sentences the resource itself or its own figures come from,
    or the resource when it is an anchor; the others are the sentences of the facts it links to
    or that link to it. The speakers are those of the stated facts (of the primary facts only,
    on a primary quote), never the curators of a reading nor defkg for a computed figure.
    """
    own = {iri, *(o for o in graph.objects(iri, None) if is_figure(graph, o, scheme))}
    derived_from: dict[Node, list[Node]] = {}
    for fact, anchor in graph.subject_objects(PROV.wasDerivedFrom):
        derived_from.setdefault(anchor, []).append(fact)
    is_anchor = (iri, RDF.type, OA.SpecificResource) in graph or graph.value(iri, OA.hasSource)
    if is_anchor:
        derived_from.setdefault(iri, [])
    quotes = []
    for anchor, derived in derived_from.items():
        exact, start, end = None, None, None
        for selector in sorted(graph.objects(anchor, OA.hasSelector), key=str):
            exact = exact or graph.value(selector, OA.exact)
            start = start if start is not None else graph.value(selector, OA.start)
            end = end if end is not None else graph.value(selector, OA.end)
        if exact is None:
            continue
        readings = {f for f in derived if is_reading(graph, f, scheme)}
        readings |= {
            r for r in graph.subjects(OA.hasTarget, anchor) if is_reading(graph, r, scheme)
        }
        computed = {f for f in derived if is_derived(graph, f, scheme)}
        stated = [f for f in derived if f not in readings and f not in computed]
        readings |= {
            r
            for f in stated
            for r in graph.subjects(scheme.vocab.interprets, f)
            if is_reading(graph, r, scheme)
        }
        primary = anchor == iri or any(f in own for f in derived)
        named = [f for f in stated if f in own] if primary and anchor != iri else stated
        spellings: list[str] = []
        for fact in stated:
            for figure in figures_of(graph, fact, scheme):
                spellings += number_spellings(graph.value(figure, scheme.vocab.numericValue))
        article = graph.value(anchor, OA.hasSource)
        speakers = {w for f in named or stated for w in graph.objects(f, PROV.wasAttributedTo)}
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
                speakers=values_sorted(
                    value_of(graph, w, scheme) for w in speakers if w != publisher
                ),
                facts=values_sorted(value_of(graph, f, scheme) for f in set(stated)),
                primary=primary,
                no_speaker=publisher is not None and speakers == {publisher},
                readings=values_sorted(value_of(graph, r, scheme) for r in readings),
                computed=values_sorted(derived_value(graph, c, scheme) for c in computed),
            )
        )
    quotes.sort(key=lambda q: (not q.primary, _anchor_order(q.anchor.iri or "")))
    return quotes


def _anchor_order(iri: str) -> tuple[str, int]:
    """Sentence anchors in reading order: ``…/s2`` before ``…/s10``."""
    match = re.search(r"/s(\d+)$", iri)
    return (iri[: match.start()], int(match.group(1))) if match else (iri, 0)


def graph_members(store: Store, iri: URIRef, scheme: IriScheme, limit: int = 200) -> list[Value]:
    """The labelled resources a named graph describes (up to ``limit``), by label."""
    rows = store.select(
        f"""{prefix_block(scheme)}
SELECT DISTINCT ?s WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}
ORDER BY ?s LIMIT {int(limit)}"""
    )
    subjects = [r["s"] for r in rows if "s" in r]
    labels = store.construct(labels_query(subjects, scheme)) if subjects else Graph()
    return values_sorted(value_of(labels, s, scheme) for s in subjects)


@dataclass
class QuotedSentence:
    """One sentence anchor of a source document, in reading order."""

    anchor: Value
    text: str
    start: int


def source_sentences(store: Store, iri: URIRef, scheme: IriScheme) -> list[QuotedSentence]:
    """The sentence anchors whose ``oa:hasSource`` is ``iri``, in text order: the document's
    text as the dataset quotes it, each sentence linking to its anchor."""
    rows = store.select(
        f"""{prefix_block(scheme)}
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
        sentences[anchor] = QuotedSentence(
            anchor=Value(
                str(label) if label is not None else short_name(str(anchor), scheme),
                link_for(str(anchor), scheme),
                str(anchor),
            ),
            text=str(row["exact"]),
            start=int(start) if isinstance(start, Literal) else 0,
        )
    return sorted(sentences.values(), key=lambda s: (s.start, natural_key(s.anchor.iri or "")))


# --- the page ----------------------------------------------------------------------------------


def sparql_link(iri: str) -> str:
    """The query UI, opened on a DESCRIBE of the resource."""
    return "/sparql?edit=" + quote(f"DESCRIBE <{iri}>", safe="")


def page_context(
    store: Store, graph: Graph, iri: URIRef, scheme: IriScheme, kind: str
) -> dict[str, Any]:
    """What every resource-like template (resource, term, ontology) needs."""
    path = scheme.path_for_iri(str(iri)) or "/"
    return {
        "page": build_page(with_sentence_facts(store, graph, iri, scheme), iri, scheme),
        "path": path,
        "formats": [(ext, f"{path}.{ext}") for ext in document_formats()],
        "sparql_link": sparql_link(str(iri)),
        "kind": kind,
        "members": None,
        "sentences": None,
    }


def document_formats() -> list[str]:
    """The extensions of the RDF documents every page links to (all but the page itself)."""
    return [f.key for f in formats.of_kind("graph")]


def render(
    store: Store,
    graph: Graph,
    iri: URIRef,
    scheme: IriScheme,
    kind: str,
    release: ReleaseInfo | None = None,
) -> str:
    """The HTML page of a resource, a source document or a named graph; an entity's or a
    fact's page with its citation (``defkg.web.pages.cite``)."""
    from defkg.web.pages.cite import citation

    context = page_context(store, graph, iri, scheme, kind)
    if kind == "resource":
        context["cite"] = citation(
            context["page"],
            scheme,
            release.version if release is not None else None,
            release.modified if release is not None else None,
        )
        context["cite_href"] = link_for(context["cite"].release_iri, scheme)
    if (None, OA.hasSource, iri) in graph:
        context["sentences"] = source_sentences(store, iri, scheme)
    if kind == "graph" and str(iri) in store.graph_names():
        context["members"] = graph_members(store, iri, scheme)
    if kind == "resource":  # many reports: a measure over time, other reports, a plan's outcome
        from defkg.web.pages.reports import reports_view, types_of

        context["reports"] = reports_view(store, iri, scheme, types_of(graph, iri))
    return render_template("resource.html", **context)
