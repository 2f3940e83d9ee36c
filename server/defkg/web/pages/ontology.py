"""The pages of ontology terms and of the ontology itself: super- and subclasses, domains
and ranges, alignments, the SHACL constraints that apply, usage; and the index of all terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import render_template
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from defkg.iris import IriScheme
from defkg.store import Store
from defkg.web.pages import resource
from defkg.web.pages.common import data_graphs_filter, labels_query, prefix_block
from defkg.web.pages.values import (
    Entry,
    Row,
    Value,
    link_for,
    local_name,
    property_value,
    short_name,
    value_of,
    values_sorted,
)

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
    return values_sorted(value_of(graph, n, scheme) for n in set(nodes))


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


def term_info(store: Store, graph: Graph, iri: URIRef, scheme: IriScheme) -> TermInfo:
    """Super/sub-classes, domain/range, alignments, SHACL constraints and usage of a term.

    Usage counts the inferred graph too, so a superclass counts its subclasses' instances.
    """
    kind = term_kind(graph, iri)
    pattern = usage_pattern(str(iri), kind)
    data = data_graphs_filter(scheme, inferred=True)
    prefixes = prefix_block(scheme)
    rows = store.select(
        f"{prefixes}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} {data} }}"
    )
    usage = int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0
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
        examples=values_sorted(value_of(labels, e, scheme) for e in examples),
    )


def constraints_for(store: Store, iri: URIRef, scheme: IriScheme) -> list[Constraint]:
    """The SHACL constraints that apply to a term: the property shapes of node shapes that
    target it (a class), and every property shape whose path is it (a property)."""
    rows = store.select(
        f"""{prefix_block(scheme)}
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
class OntologyIndex:
    """The terms of the ontology by kind, each with its label and definition."""

    classes: list[Entry]
    properties: list[Entry]
    individuals: list[Entry]


def first_sentence(text: str) -> str:
    """The first sentence of a definition, for the index (its page shows the rest)."""
    match = re.search(r"(?<=[a-z0-9)\]])\. (?=[A-Z(])", text)
    return text[: match.start() + 1] if match else text


def ontology_index(store: Store, scheme: IriScheme) -> OntologyIndex:
    """Every term minted in the ontology namespace that the ontology graph describes."""
    graph = store.construct(
        f"""{prefix_block(scheme)}
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
        value.note = first_sentence(str(definition)) if definition is not None else ""
        groups[term_kind(graph, term)].append(Entry(value, 0))
    for entries in groups.values():
        entries.sort(key=lambda e: e.value.text.lower())
    return OntologyIndex(groups["class"], groups["property"], groups["individual"])


# --- the pages ---------------------------------------------------------------------------------


def render_term(store: Store, graph: Graph, iri: URIRef, scheme: IriScheme) -> str:
    """The page of one ontology term: its resource page plus what the ontology says of it."""
    context = resource.page_context(store, graph, iri, scheme, "term")
    context["term"] = term_info(store, graph, iri, scheme)
    return render_template("term.html", **context)


def render_ontology(store: Store, graph: Graph, iri: URIRef, scheme: IriScheme) -> str:
    """The page of the ontology: its description and every term, by kind."""
    context = resource.page_context(store, graph, iri, scheme, "ontology")
    context["ontology"] = ontology_index(store, scheme)
    return render_template("ontology.html", **context)
