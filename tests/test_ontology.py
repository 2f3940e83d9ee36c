"""The ontology: its metadata, documented terms, no undeclared terms in the data, a consistent
OWL RL closure, the Wikidata linking policy, and a JSON-LD context that covers every term."""

from __future__ import annotations

import json
import re
from functools import cache

import owlrl
import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from reasoned_graph import PROJECT_ROOT

DEFKG = Namespace("https://w3id.org/defkg/ontology/")
ONTOLOGY = URIRef("https://w3id.org/defkg/ontology")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VANN = Namespace("http://purl.org/vocab/vann/")
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
WD_ENTITY = re.compile(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*")

DATA_FILES = ("data/entities.ttl", "data/kz-mod-2023-12-27.ttl")


@cache
def ontology() -> Graph:
    return Graph().parse(PROJECT_ROOT / "ontology" / "defkg.ttl")


@cache
def data() -> Graph:
    graph = Graph()
    for name in DATA_FILES:
        graph.parse(PROJECT_ROOT / name)
    return graph


def declared_terms(graph: Graph) -> set[URIRef]:
    """Every defkg: class, property and individual the ontology declares."""
    return {s for s in graph.subjects(RDF.type, None) if str(s).startswith(str(DEFKG))}


def inconsistencies(graph: Graph) -> list[str]:
    """What the OWL RL closure of ``graph`` flags: owl:Nothing members and owlrl's errors."""
    closure = Graph()
    closure += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    problems = [f"{s} is a member of owl:Nothing" for s in closure.subjects(RDF.type, OWL.Nothing)]
    problems += [str(m) for e in closure.subjects(RDF.type, ERR.ErrorMessage)
                 for m in closure.objects(e, ERR.error)]  # fmt: skip
    return sorted(problems)


# --- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        (RDF.type, OWL.Ontology),
        (OWL.versionIRI, URIRef("https://w3id.org/defkg/ontology/0.1.0")),
        (OWL.versionInfo, Literal("0.1.0")),
        (DCTERMS.license, URIRef("https://creativecommons.org/publicdomain/zero/1.0/")),
        (VANN.preferredNamespacePrefix, Literal("defkg")),
        (VANN.preferredNamespaceUri, Literal(str(DEFKG))),
    ],
)
def test_ontology_metadata_has_exact_values(prop: URIRef, expected: URIRef | Literal) -> None:
    assert expected in set(ontology().objects(ONTOLOGY, prop))


@pytest.mark.parametrize(
    "prop", [DCTERMS.title, DCTERMS.description, DCTERMS.creator, DCTERMS.created, DCTERMS.modified]
)
def test_ontology_metadata_is_present(prop: URIRef) -> None:
    assert list(ontology().objects(ONTOLOGY, prop)), f"the ontology has no {prop}"


def test_description_states_the_linking_policy() -> None:
    description = str(ontology().value(ONTOLOGY, DCTERMS.description))
    assert "owl:sameAs" in description
    assert "http://www.wikidata.org/entity/" in description
    assert "defkg:noVerifiedWikidataItem" in description


# --- terms -----------------------------------------------------------------------------------


def test_every_term_has_english_label_comment_and_is_defined_by() -> None:
    graph = ontology()
    missing = []
    for term in sorted(declared_terms(graph)):
        for prop in (RDFS.label, RDFS.comment):
            if not any(getattr(v, "language", None) == "en" for v in graph.objects(term, prop)):
                missing.append(f"{term} has no {prop} in English")
        if (term, RDFS.isDefinedBy, ONTOLOGY) not in graph:
            missing.append(f"{term} has no rdfs:isDefinedBy the ontology")
    assert not missing, "\n".join(missing)
    assert len(declared_terms(graph)) > 100  # the check above ran over the real ontology


def test_classes_and_properties_are_aligned_with_established_vocabularies() -> None:
    graph = ontology()
    foreign = {
        str(o)
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass)
        for o in graph.objects(None, p)
        if isinstance(o, URIRef) and not str(o).startswith(str(DEFKG))
    }
    for vocabulary in (
        "https://schema.org/",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/ns/org#",
        "http://qudt.org/schema/qudt/",
        "http://www.w3.org/ns/oa#",
    ):
        assert any(iri.startswith(vocabulary) for iri in foreign), f"no alignment with {vocabulary}"


def test_the_data_uses_only_terms_the_ontology_declares() -> None:
    declared = declared_terms(ontology())
    used = {
        term
        for triple in data()
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(DEFKG))
    }
    undeclared = sorted(used - declared)
    assert not undeclared, f"terms used in data/ but not declared in the ontology: {undeclared}"


def test_subclass_hierarchy_places_activities_under_their_parents() -> None:
    graph = ontology()
    expected = {
        DEFKG.FirefightingOperation: DEFKG.DisasterResponseOperation,
        DEFKG.RescueOperation: DEFKG.DisasterResponseOperation,
        DEFKG.StaffOfficerDeployment: DEFKG.MissionParticipation,
        DEFKG.ContingentRotation: DEFKG.MissionParticipation,
        DEFKG.PlannedDeployment: DEFKG.MissionParticipation,
        DEFKG.MonetaryAmount: DEFKG.Quantity,
        DEFKG.CreditHoliday: DEFKG.SupportMeasure,
    }
    for child, parent in expected.items():
        assert (child, RDFS.subClassOf, parent) in graph


# --- consistency -----------------------------------------------------------------------------


def test_owl_rl_closure_of_ontology_and_data_is_consistent() -> None:
    graph = Graph()
    graph += ontology()
    graph += data()
    assert inconsistencies(graph) == []


def test_consistency_check_catches_a_contradiction() -> None:
    graph = Graph()
    graph += ontology()
    graph += data()
    # A person cannot be an organisation (owl:disjointWith): the check must say so.
    graph.add((URIRef("https://w3id.org/defkg/id/sultan-kamaletdinov"), RDF.type, DEFKG.Ministry))
    assert inconsistencies(graph) != []


# --- Wikidata links --------------------------------------------------------------------------

#: The verified QIDs of shared/wikidata-qids.md (the entities of the seed article).
VERIFIED_QIDS = {
    "Q232", "Q1520", "Q200881", "Q5256775", "Q1065", "Q160805", "Q822", "Q6250", "Q929",
    "Q974", "Q83210", "Q111279364", "Q486657", "Q995653", "Q90", "Q173751", "Q4917",
    "Q34486", "Q191118", "Q169950", "Q406039", "Q847956", "Q873364",
}  # fmt: skip


def test_every_sameas_is_a_verified_wikidata_entity_iri() -> None:
    targets = [o for o in data().objects(None, OWL.sameAs)]
    assert targets
    for target in targets:
        assert WD_ENTITY.fullmatch(str(target)), f"not a Wikidata entity IRI: {target}"
        assert str(target).rsplit("/", 1)[1] in VERIFIED_QIDS, f"unverified QID: {target}"


def test_every_entity_without_a_link_says_so() -> None:
    entities = Graph().parse(PROJECT_ROOT / "data" / "entities.ttl")
    for subject in set(entities.subjects(RDF.type, None)):
        linked = (subject, OWL.sameAs, None) in entities
        flagged = (subject, DEFKG.wikidataStatus, DEFKG.noVerifiedWikidataItem) in entities
        assert linked != flagged, f"{subject}: exactly one of owl:sameAs or the no-item status"


# --- the JSON-LD context ---------------------------------------------------------------------


@cache
def context() -> dict:
    with open(PROJECT_ROOT / "ontology" / "context.jsonld", encoding="utf-8") as handle:
        return json.load(handle)["@context"]


def _expanded(value: str | dict) -> str:
    iri = value["@id"] if isinstance(value, dict) else value
    prefix, _, local = iri.partition(":")
    return str(context()[prefix]) + local if prefix in context() and local else iri


def test_context_has_a_term_for_every_class_and_property() -> None:
    graph = ontology()
    terms = {_expanded(v) for k, v in context().items() if not k.startswith("@")}
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    missing = sorted(
        str(t) for kind in kinds for t in graph.subjects(RDF.type, kind)
        if str(t).startswith(str(DEFKG)) and str(t) not in terms
    )  # fmt: skip
    assert not missing, f"terms without a JSON-LD term: {missing}"


def test_object_properties_are_coerced_to_iris() -> None:
    for prop in ontology().subjects(RDF.type, OWL.ObjectProperty):
        term = context()[str(prop).removeprefix(str(DEFKG))]
        assert isinstance(term, dict) and term["@type"] in ("@id", "@vocab"), prop


def test_the_data_round_trips_through_json_ld_with_the_context() -> None:
    graph = Graph()
    graph += ontology()
    graph += data()
    text = graph.serialize(format="json-ld", context=context(), auto_compact=True)
    document = json.loads(text)
    nodes = {n["id"]: n for n in document["@graph"] if "id" in n}
    water = nodes["kg:kz-2023-abai-water-dropped"]
    # plain JSON: short keys, vocabulary values, numbers as numbers
    assert water["type"] == "Quantity"
    assert water["bound"] == "moreThan"
    assert water["numericValue"] == 400
    assert water["label"] == {"en": "more than 400 tonnes of water dropped by army aviation"}
    assert isomorphic(Graph().parse(data=text, format="json-ld"), graph)


def test_blank_nodes_are_not_used_for_facts() -> None:
    # Facts and quantities must be citable: every subject of the data is an IRI.
    blanks = {s for s in data().subjects() if isinstance(s, BNode)}
    assert not blanks
