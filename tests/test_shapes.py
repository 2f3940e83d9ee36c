"""The SHACL shapes: well-formed, documented, each rule caught by one small graph and passed by
another, and the real knowledge graph conforms to them.

Every shape of ``shapes/*.ttl`` that states a rule of its own (every property shape, and every
node shape with more than a list of property shapes) needs a fixture
``tests/fixtures/shapes/{ShapeName}.trig``, read after ``_prefixes.trig``. Its named graphs
``fx:violates…`` must each draw a result from exactly that shape on the focus nodes the default
graph names with ``fx:focus``; its graphs ``fx:conforms…`` must draw none from it. A node shape
that only lists property shapes is covered by their fixtures. A new rule without a fixture fails
this suite. Fixture graphs are validated with the ontology but without reasoning, so they state
the types and super-properties that OWL RL would add to the real graph.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH, Namespace

import shapes_support
from defkg.config import Settings
from defkg.pipeline.load import load_project
from defkg.pipeline.rules import unconstrained_properties
from shapes_support import (
    DKSH,
    PROJECT_ROOT,
    Result,
    describe,
    load_ontology,
    real_asserted,
    real_reasoned,
    real_shapes,
    shapes_to_run,
    validate,
)

FX = Namespace("urn:defkg:fixture:")
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "shapes"
PREFIXES = FIXTURES / "_prefixes.trig"

#: What a shape may state without stating a rule of its own.
STRUCTURE = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    SH.property,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.severity,
    SH.message,
}
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def all_shapes(shapes: Graph) -> list[URIRef]:
    """Every node shape and property shape with an IRI (all of ours have one)."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    found |= set(shapes.objects(None, SH.property))
    return sorted(s for s in found if isinstance(s, URIRef))


def states_a_rule(shapes: Graph, shape: URIRef) -> bool:
    """True when ``shape`` constrains something itself (not only through sh:property)."""
    return any(p not in STRUCTURE for p in shapes.predicates(shape))


def runners(shapes: Graph, shape: URIRef) -> list[URIRef]:
    """The node shapes to run for ``shape``: itself, or the node shapes listing it."""
    if (shape, SH.path, None) not in shapes:
        return [shape]
    return sorted(s for s in shapes.subjects(SH.property, shape) if isinstance(s, URIRef))


def local_name(shape: URIRef) -> str:
    return str(shape).removeprefix(str(DKSH))


RULES = [local_name(s) for s in all_shapes(real_shapes()) if states_a_rule(real_shapes(), s)]


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    return real_shapes()


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return load_ontology()


# --- the shapes themselves --------------------------------------------------------------------


def test_shapes_are_valid_shacl(shapes_graph: Graph) -> None:
    """The shapes graph conforms to the SHACL shapes for SHACL (pyshacl's meta_shacl)."""
    conforms, _, text = pyshacl.validate(
        Graph(), shacl_graph=shapes_graph, meta_shacl=True, inference="none"
    )
    assert conforms, text


def test_every_shape_has_an_iri_in_the_shapes_namespace(shapes_graph: Graph) -> None:
    """A finding names its shape, so no node shape or property shape may be anonymous."""
    declared = set(shapes_graph.subjects(RDF.type, SH.NodeShape))
    declared |= set(shapes_graph.subjects(RDF.type, SH.PropertyShape))
    declared |= set(shapes_graph.objects(None, SH.property))
    declared |= {s for t in TARGETS for s in shapes_graph.subjects(t, None)}
    bad = sorted(str(s) for s in declared if not str(s).startswith(str(DKSH)))
    assert not bad, f"shapes without a dksh: IRI: {bad}"
    untyped = [s for t in TARGETS for s in shapes_graph.subjects(t, None)]
    assert all((s, RDF.type, SH.NodeShape) in shapes_graph for s in untyped)


@pytest.mark.parametrize("name", [local_name(s) for s in all_shapes(real_shapes())])
def test_every_shape_has_an_english_label_and_comment(shapes_graph: Graph, name: str) -> None:
    for prop in (RDFS.label, RDFS.comment):
        values = list(shapes_graph.objects(DKSH[name], prop))
        assert values, f"dksh:{name} has no {prop}"
        assert all(isinstance(v, Literal) and v.language == "en" for v in values), (
            f"dksh:{name}: {prop} must be English"
        )


@pytest.mark.parametrize("name", RULES)
def test_every_rule_tells_the_curator_how_to_fix_the_data(shapes_graph: Graph, name: str) -> None:
    """SHACL's default messages name a constraint component, not the fix: every rule has its own."""
    shape = DKSH[name]
    messages = list(shapes_graph.objects(shape, SH.message))
    messages += [
        m
        for q in shapes_graph.objects(shape, SH.sparql)
        for m in shapes_graph.objects(q, SH.message)
    ]
    assert messages, f"dksh:{name} has no sh:message"
    assert all(len(str(m)) >= 30 for m in messages), f"dksh:{name}: say what is wrong and the fix"


def test_shapes_need_no_shacl_advanced_features(shapes_graph: Graph) -> None:
    """The build runs pyshacl without SHACL-AF, so no SPARQL targets, rules or functions."""
    advanced = {SH.target, SH.rule, SH.SPARQLTarget, SH.SPARQLFunction, SH.TripleRule}
    used = {p for p in advanced if (None, p, None) in shapes_graph}
    used |= {t for t in advanced if (None, RDF.type, t) in shapes_graph}
    assert not used, f"SHACL-AF terms in shapes/: {used}"


def test_all_three_severities_are_used(shapes_graph: Graph) -> None:
    """Violation is the default; Warnings ask a curator to look; Infos are for the record."""
    assert {SH.Warning, SH.Info} <= set(shapes_graph.objects(None, SH.severity))


def test_every_property_shape_is_run_by_a_node_shape(shapes_graph: Graph) -> None:
    idle = [s for s in all_shapes(shapes_graph) if not runners(shapes_graph, s)]
    assert not idle, f"property shapes no node shape lists: {idle}"


# --- a violating and a conforming graph per rule -----------------------------------------------


def test_every_fixture_belongs_to_a_rule() -> None:
    names = {p.stem for p in FIXTURES.glob("*.trig") if not p.stem.startswith("_")}
    assert names - set(RULES) == set(), "fixtures of no rule (renamed or removed shapes?)"


def load_fixture(name: str) -> Dataset:
    path = FIXTURES / f"{name}.trig"
    assert path.is_file(), f"dksh:{name} has no test: write {path.relative_to(PROJECT_ROOT)}"
    fixture = Dataset()
    fixture.parse(data=PREFIXES.read_text() + path.read_text(), format="trig")
    return fixture


def case_graphs(fixture: Dataset, kind: str) -> list[tuple[URIRef, Graph]]:
    """The named graphs ``fx:{kind}…`` of a fixture, as plain graphs."""
    cases = []
    for graph in fixture.graphs():
        if str(graph.identifier).startswith(str(FX[kind])):
            data = Graph()
            data += graph
            cases.append((graph.identifier, data))
    return sorted(cases)


@pytest.mark.parametrize("name", RULES)
def test_rule_catches_its_violating_graphs(
    shapes_graph: Graph, ontology_graph: Graph, name: str
) -> None:
    shape = DKSH[name]
    fixture = load_fixture(name)
    cases = case_graphs(fixture, "violates")
    assert cases, f"{name}.trig has no fx:violates graph"
    default = fixture.default_graph
    for case, data in cases:
        expected = set(default.objects(case, FX.focus))
        assert expected, f"{name}.trig: {case} names no fx:focus"
        results = own_results(shapes_graph, ontology_graph, shape, data)
        focuses = {r.focus for r in results}
        assert expected <= focuses, (
            f"{name}.trig: {case} should violate dksh:{name} on {sorted(expected)}; "
            f"got:\n{describe(results)}"
        )


@pytest.mark.parametrize("name", RULES)
def test_rule_passes_its_conforming_graphs(
    shapes_graph: Graph, ontology_graph: Graph, name: str
) -> None:
    shape = DKSH[name]
    cases = case_graphs(load_fixture(name), "conforms")
    assert cases, f"{name}.trig has no fx:conforms graph"
    for case, data in cases:
        results = own_results(shapes_graph, ontology_graph, shape, data)
        assert not results, f"{name}.trig: {case} should pass dksh:{name}:\n{describe(results)}"


def own_results(shapes: Graph, ontology: Graph, shape: URIRef, data: Graph) -> list[Result]:
    """The results ``shape`` itself produces on ``data`` + the ontology (no reasoning).

    The ontology is added whole, as the build validates it, not as pyshacl's ``ont_graph``,
    which copies only class and property axioms (not, say, the bounds' skos:broader).
    """
    results = validate(data + ontology, shapes, use_shapes=shapes_to_run(shapes, shape))
    return [r for r in results if r.shape == shape]


# --- the real knowledge graph -------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_results(corpus: str) -> tuple[Result, ...]:
    return shapes_support.real_results(corpus)


def test_real_graph_has_no_violation(real_results: tuple[Result, ...]) -> None:
    violations = [r for r in real_results if r.severity == SH.Violation]
    assert not violations, "the real graph violates the shapes:\n" + describe(violations)


def test_real_graph_lists_the_flagged_currency_pair_as_info(
    real_results: tuple[Result, ...],
) -> None:
    """The data-quality finding about '1.8 million tenge ($4 million)' shows in the report."""
    flagged = {r.focus for r in real_results if r.shape == DKSH.FlaggedFactShape}
    assert {r.severity for r in real_results if r.shape == DKSH.FlaggedFactShape} == {SH.Info}
    kg = Namespace("https://w3id.org/defkg/id/")
    pair = {kg["kz-2023-deferred-payments-total-kzt"], kg["kz-2023-deferred-payments-total-usd"]}
    assert pair <= flagged


def test_every_targeted_node_shape_reaches_real_nodes(shapes_graph: Graph, corpus: str) -> None:
    """A shape that targets nothing in the real graph has a misspelt or unused target."""
    from pyshacl.shapes_graph import ShapesGraph

    idle = []
    for shape in ShapesGraph(shapes_graph).shapes:
        targeted = any((shape.node, t, None) in shapes_graph for t in TARGETS)
        if shape.is_property_shape or not targeted:
            continue
        shape.set_advanced(True)
        if not shape.focus_nodes(real_reasoned(corpus)):
            # the seed alone has no breakdown, approval or rendering: a shape may target
            # nothing there only if what it targets in every report is the second report's
            elsewhere = shape.focus_nodes(real_reasoned("all"))
            if corpus == "seed" and elsewhere:
                assert not any((node, None, None) in real_asserted("seed") for node in elsewhere)
                continue
            idle.append(local_name(shape.node))
    assert not idle, f"shapes that target nothing in the {corpus} graph: {idle}"


def test_every_property_the_data_uses_is_constrained(project_root: Path) -> None:
    """A property of the data (not of the ontology) is the path of a shape, is named in a SPARQL
    constraint, or is a sub-property of one that is (defkg:resourceUsed as defkg:quantity): the
    build's own rule (defkg.pipeline.rules), which warns of any other."""
    settings = Settings(root=project_root)
    loose = [f.focus_text for f in unconstrained_properties(load_project(settings), settings)]
    assert not loose, f"properties of the data no shape constrains: {loose}"


def test_every_class_the_data_uses_is_targeted(shapes_graph: Graph, project_root: Path) -> None:
    """Each class a data file instantiates is the target (or a subclass of a target) of a shape."""
    project = load_project(Settings(root=project_root))
    ontology = project.graph(Settings().iris.ontology_graph)
    used = {
        c
        for name in project.asserted_graph_names()
        if name != ontology.identifier
        for c in project.graph(name).objects(None, RDF.type)
    }
    targets = set(shapes_graph.objects(None, SH.targetClass))
    loose = sorted(
        str(c) for c in used if not targets & set(ontology.transitive_objects(c, RDFS.subClassOf))
    )
    assert not loose, f"classes of the data no shape targets: {loose}"
