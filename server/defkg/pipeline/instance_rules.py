"""OWL RL's instance rules over a closed schema, in one linear semi-naive pass per batch.

owlrl re-reads every triple of its graph in every cycle and applies every rule to it, so a
batch of sources (with the schema it needs) costs seconds. Once the ontology's closure is known
(owlrl computes it once, for the base), the rules a batch of data can still trigger are few:
types from ``rdfs:domain``/``rdfs:range``, superclasses and equivalent classes (cax-sco,
cax-eqc), superproperties and equivalent properties (prp-spo1, prp-eqp), inverses (prp-inv),
symmetric and transitive properties (prp-symp, prp-trp) and property chains (prp-spo2).
:func:`instance_closure` applies exactly these, each new triple once (semi-naive).

It answers only when it can be sure of giving owlrl's answer; otherwise it returns None and
the caller runs owlrl. It declines a schema with constructs it does not implement (restrictions,
Boolean class constructors, keys, cardinalities, inverse-functional, irreflexive, asymmetric
or disjoint properties…) and data that would take owlrl outside these rules: schema statements
inside the data, ``owl:sameAs`` or ``owl:differentFrom`` between our own nodes, a functional
property with two values for one subject, a node in two disjoint classes or in ``owl:Nothing``,
and ill-typed literals (owlrl reports those as errors). Tests compare it with owlrl.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib import OWL, RDF, RDFS, Literal
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

#: schema terms this engine does not implement: a schema using any of them goes to owlrl
_UNSUPPORTED = {
    OWL.Restriction,
    OWL.onProperty,
    OWL.hasValue,
    OWL.someValuesFrom,
    OWL.allValuesFrom,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.complementOf,
    OWL.oneOf,
    OWL.hasKey,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
    OWL.cardinality,
    OWL.minCardinality,
    OWL.qualifiedCardinality,
    OWL.InverseFunctionalProperty,
    OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty,
    OWL.propertyDisjointWith,
    OWL.AllDisjointProperties,
    OWL.AllDisjointClasses,
    OWL.disjointUnionOf,
    OWL.AllDifferent,
    OWL.differentFrom,
    OWL.sourceIndividual,
    OWL.NegativePropertyAssertion,
}
#: predicates that make a triple a statement about the schema, not data
_SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.inverseOf,
    OWL.propertyChainAxiom,
    OWL.disjointWith,
    OWL.sameAs,
    OWL.differentFrom,
    RDF.first,
    RDF.rest,
}
_BUILT_IN = (str(RDF), str(RDFS), str(OWL))
#: datasets we link to (as in defkg.pipeline.reason)
_EXTERNAL = ("http://www.wikidata.org/entity/", "https://www.wikidata.org/entity/")
#: built-in classes an individual may have that trigger no rule beyond the ones here
_PLAIN_TYPES = {OWL.NamedIndividual, OWL.Thing, RDFS.Resource}


class Schema:
    """The rule tables of a closed schema (an owlrl closure of the ontology)."""

    def __init__(self, schema: Iterable[Triple]) -> None:
        triples = list(schema)
        self.supported = True
        self.superclasses: dict[Node, set[Node]] = defaultdict(set)
        self.superproperties: dict[Node, set[Node]] = defaultdict(set)
        self.domains: dict[Node, set[Node]] = defaultdict(set)
        self.ranges: dict[Node, set[Node]] = defaultdict(set)
        self.inverses: dict[Node, set[Node]] = defaultdict(set)
        self.symmetric: set[Node] = set()
        self.transitive: set[Node] = set()
        self.functional: set[Node] = set()
        self.disjoint: dict[Node, set[Node]] = defaultdict(set)
        #: property -> [(position of the property in the chain, chain, implied property)]
        self.chains: dict[Node, list[tuple[int, list[Node], Node]]] = defaultdict(list)
        lists = {s: o for s, p, o in triples if p == RDF.first}
        rests = {s: o for s, p, o in triples if p == RDF.rest}
        for s, p, o in triples:
            if p in _UNSUPPORTED or o in _UNSUPPORTED:
                self.supported = False
            # owlrl leaves links to other datasets out; any other sameAs would rewrite the data
            external = str(s).startswith(_EXTERNAL) or str(o).startswith(_EXTERNAL)
            if p == OWL.sameAs and s != o and not external:
                self.supported = False
            if p == RDFS.subClassOf or p == OWL.equivalentClass:
                self.superclasses[s].add(o)
                if p == OWL.equivalentClass:
                    self.superclasses[o].add(s)
            elif p == RDFS.subPropertyOf or p == OWL.equivalentProperty:
                self.superproperties[s].add(o)
                if p == OWL.equivalentProperty:
                    self.superproperties[o].add(s)
            elif p == RDFS.domain:
                self.domains[s].add(o)
            elif p == RDFS.range:
                self.ranges[s].add(o)
            elif p == OWL.inverseOf:
                self.inverses[s].add(o)
                self.inverses[o].add(s)
            elif p == OWL.disjointWith:
                self.disjoint[s].add(o)
                self.disjoint[o].add(s)
            elif p == RDF.type and o == OWL.SymmetricProperty:
                self.symmetric.add(s)
            elif p == RDF.type and o == OWL.TransitiveProperty:
                self.transitive.add(s)
            elif p == RDF.type and o == OWL.FunctionalProperty:
                self.functional.add(s)
            elif p == OWL.propertyChainAxiom:
                chain, node, seen = [], o, set()
                while node in lists and node not in seen:
                    seen.add(node)
                    chain.append(lists[node])
                    node = rests.get(node, RDF.nil)
                if node != RDF.nil or not chain:
                    self.supported = False
                    continue
                for position, member in enumerate(chain):
                    self.chains[member].append((position, chain, s))


def instance_closure(data: Iterable[Triple], schema: Schema) -> set[Triple] | None:
    """Every triple the instance rules add to ``data`` (not those already in it), or None when
    owlrl must decide (see the module docstring)."""
    if not schema.supported:
        return None
    by_sp: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
    by_po: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
    known: set[Triple] = set()
    todo: list[Triple] = []
    for triple in data:
        s, p, o = triple
        if p in _SCHEMA_PREDICATES or (
            p == RDF.type and o not in _PLAIN_TYPES and str(o).startswith(_BUILT_IN)
        ):
            return None
        if isinstance(o, Literal) and o.ill_typed:
            return None
        if triple not in known:
            known.add(triple)
            by_sp[s, p].add(o)
            by_po[p, o].add(s)
            todo.append(triple)
    given = set(known)

    def add(triple: Triple) -> None:
        if triple not in known:
            known.add(triple)
            by_sp[triple[0], triple[1]].add(triple[2])
            by_po[triple[1], triple[2]].add(triple[0])
            todo.append(triple)

    while todo:
        s, p, o = todo.pop()
        if p == RDF.type:
            for c in schema.superclasses.get(o, ()):
                add((s, RDF.type, c))
        for c in schema.domains.get(p, ()):
            add((s, RDF.type, c))
        for c in schema.ranges.get(p, ()):
            add((o, RDF.type, c))
        for q in schema.superproperties.get(p, ()):
            add((s, q, o))
        for q in schema.inverses.get(p, ()):
            add((o, q, s))
        if p in schema.symmetric:
            add((o, p, s))
        if p in schema.transitive:
            for z in list(by_sp.get((o, p), ())):
                add((s, p, z))
            for w in list(by_po.get((p, s), ())):
                add((w, p, o))
        for position, chain, implied in schema.chains.get(p, ()):
            for start, end in _chain_ends(s, o, position, chain, by_sp, by_po):
                add((start, implied, end))

    for (_s, p), objects in by_sp.items():
        if p in schema.functional and len(objects) > 1:
            return None
    types: dict[Node, set[Node]] = defaultdict(set)
    for (s, p), objects in by_sp.items():
        if p == RDF.type:
            types[s] = objects
    for node_types in types.values():
        if OWL.Nothing in node_types:
            return None
        for c in node_types:
            if schema.disjoint.get(c, set()) & node_types:
                return None
    return known - given


def _chain_ends(
    s: Node,
    o: Node,
    position: int,
    chain: list[Node],
    by_sp: dict[tuple[Node, Node], set[Node]],
    by_po: dict[tuple[Node, Node], set[Node]],
) -> list[tuple[Node, Node]]:
    """The (first, last) nodes of every path along ``chain`` whose link at ``position`` is
    the triple ``s chain[position] o``."""
    starts = {s}
    for member in reversed(chain[:position]):
        starts = {w for x in starts for w in by_po.get((member, x), ())}
    ends = {o}
    for member in chain[position + 1 :]:
        ends = {z for x in ends for z in by_sp.get((x, member), ())}
    return [(a, b) for a in starts for b in ends]
