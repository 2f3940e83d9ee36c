"""The linear instance rules give exactly owlrl's answer, or decline and leave it to owlrl.

Compared batch by batch with owlrl on the real project, the tiny project and a generated
corpus; the generated corpus is also compared with one owlrl closure of the whole project. Small
graphs show that each rule fires as owlrl's does and that the engine declines what it does not
implement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from defkg.config import Settings
from defkg.pipeline import reason
from defkg.pipeline.instance_rules import Schema, instance_closure
from defkg.pipeline.load import load_project
from generator_support import generated_project

EX = Namespace("https://w3id.org/defkg/id/")
ONT = Namespace("https://w3id.org/defkg/ontology/")


@pytest.fixture(scope="session")
def generated_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_project(tmp_path_factory.mktemp("rules-corpus") / "project", 3)


def _context(root: Path, dist: Path):
    settings = Settings(root=root, dist=dist)
    project = load_project(settings)
    base = Graph()
    for name in reason.base_graph_names(project, settings):
        base += project.graph(name)
    closure = set(base) | reason.closure_additions(base)
    return settings, project, reason._BaseContext(project, settings, closure)


def _assert_batches_match_owlrl(root: Path, dist: Path) -> None:
    settings, project, context = _context(root, dist)
    assert context.rules.supported, "the project's ontology uses only implemented constructs"
    batches = reason.source_batches(project, settings)
    assert batches
    for batch in batches:
        data = {t for name in batch for t in project.graph(name)}
        nodes = {t[0] for t in data} | {t[2] for t in data}
        data |= context.around(nodes)
        usable = [t for t in data if not reason.is_external_link(t)]
        assert instance_closure(usable, context.rules) is not None, f"declined {batch}"
        fast = reason._batch_additions(project, batch, context)
        slow = reason._batch_additions(project, batch, context, use_owlrl=True)
        assert fast == slow, batch
        assert fast, f"{batch} has something to infer"


# The real reports, alone and together; a generated corpus is compared below (its batches are
# alike: owlrl over 24 of them took 62 s and showed no more).
@pytest.mark.parametrize("corpus", ["seed", "all"], scope="session")
def test_real_project_batches_match_owlrl(project_root: Path, tmp_path: Path) -> None:
    _assert_batches_match_owlrl(project_root, tmp_path / "dist")


def test_tiny_project_batches_match_owlrl(tiny_project: Path, tmp_path: Path) -> None:
    _assert_batches_match_owlrl(tiny_project, tmp_path / "dist")


def test_generated_corpus_batches_match_owlrl(generated_corpus: Path, tmp_path: Path) -> None:
    _assert_batches_match_owlrl(generated_corpus, tmp_path / "dist")


def test_generated_corpus_passes_draw_what_one_whole_closure_draws(
    generated_corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(root=generated_corpus, dist=tmp_path / "dist")
    project = load_project(settings)
    whole = Graph()
    for name in project.files:
        whole += project.graph(name)
    assert set(reason.infer(project, settings)) == reason.closure_additions(whole)


# --- each rule against owlrl, on small graphs ---------------------------------------------------

SCHEMA = [
    (ONT.Rescue, RDFS.subClassOf, ONT.Operation),
    (ONT.Operation, RDFS.subClassOf, ONT.Activity),
    (ONT.Activity, OWL.equivalentClass, ONT.Action),
    (ONT.saved, RDFS.subPropertyOf, ONT.quantity),
    (ONT.saved, RDFS.domain, ONT.Rescue),
    (ONT.saved, RDFS.range, ONT.Quantity),
    (ONT.numeric, RDF.type, OWL.FunctionalProperty),
    (ONT.partOf, RDF.type, OWL.TransitiveProperty),
    (ONT.near, RDF.type, OWL.SymmetricProperty),
    (ONT.mission, OWL.inverseOf, ONT.participation),
    (ONT.Person, OWL.disjointWith, ONT.Activity),
]


def _with_chain(schema: list) -> Graph:
    graph = Graph()
    for triple in schema:
        graph.add(triple)
    chain = URIRef("https://w3id.org/defkg/id/chain")
    second = URIRef("https://w3id.org/defkg/id/chain-2")
    graph.add((ONT.location, OWL.propertyChainAxiom, chain))
    graph.add((chain, RDF.first, ONT.mission))
    graph.add((chain, RDF.rest, second))
    graph.add((second, RDF.first, ONT.area))
    graph.add((second, RDF.rest, RDF.nil))
    return graph


def _compare(data: list) -> set | None:
    """The engine's additions beside owlrl's, over the closed schema (asserts they agree)."""
    schema_graph = _with_chain(SCHEMA)
    closed = set(schema_graph) | reason.closure_additions(schema_graph)
    schema = [t for t in closed if not reason._is_annotation(t)]
    derived = instance_closure(data, Schema(schema))
    if derived is None:
        return None
    whole = Graph()
    for triple in schema + data:
        whole.add(triple)
    expected = reason.closure_additions(whole) - closed
    got = {t for t in derived if t not in set(schema) and not reason.is_trivial(t)} - closed
    assert got == expected
    return got


def test_each_rule_fires_as_in_owlrl() -> None:
    got = _compare(
        [
            (EX.op, ONT.saved, EX.q),
            (EX.q, ONT.numeric, Literal(5, datatype=XSD.integer)),
            (EX.a, ONT.partOf, EX.b),
            (EX.b, ONT.partOf, EX.c),
            (EX.c, ONT.partOf, EX.d),
            (EX.x, ONT.near, EX.y),
            (EX.p, ONT.mission, EX.m),
            (EX.m, ONT.area, EX.lebanon),
        ]
    )
    assert got is not None
    assert (EX.op, RDF.type, ONT.Action) in got  # domain, two superclasses, equivalence
    assert (EX.q, RDF.type, ONT.Quantity) in got  # range
    assert (EX.op, ONT.quantity, EX.q) in got  # subproperty
    assert (EX.a, ONT.partOf, EX.d) in got  # transitive
    assert (EX.y, ONT.near, EX.x) in got  # symmetric
    assert (EX.m, ONT.participation, EX.p) in got  # inverse
    assert (EX.p, ONT.location, EX.lebanon) in got  # property chain


@pytest.mark.parametrize(
    "data",
    [
        [(EX.a, OWL.sameAs, EX.b)],
        [(EX.q, ONT.numeric, Literal(5)), (EX.q, ONT.numeric, Literal(6))],
        [(EX.x, RDF.type, ONT.Person), (EX.x, RDF.type, ONT.Rescue)],
        [(EX.x, RDF.type, OWL.Nothing)],
        [(EX.C, RDFS.subClassOf, ONT.Rescue)],
        [(EX.p, RDF.type, OWL.TransitiveProperty)],
        [(EX.q, ONT.numeric, Literal("five", datatype=XSD.integer))],
    ],
    ids=["sameAs", "functional", "disjoint", "nothing", "schema", "property", "ill-typed"],
)
def test_declines_what_takes_owlrl_elsewhere(data: list) -> None:
    assert _compare(data) is None


def test_declines_a_schema_with_restrictions() -> None:
    restriction = URIRef("https://w3id.org/defkg/id/r")
    schema = [*SCHEMA, (restriction, OWL.onProperty, ONT.saved)]
    assert not Schema(schema).supported
    assert instance_closure([(EX.op, ONT.saved, EX.q)], Schema(schema)) is None


def test_declines_a_schema_that_equates_two_of_our_terms() -> None:
    linked = [*SCHEMA, (ONT.Rescue, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1"))]
    assert Schema(linked).supported, "a link to Wikidata is left out, as owlrl's caller does"
    same = [*SCHEMA, (ONT.Rescue, OWL.sameAs, ONT.Saving)]
    assert not Schema(same).supported
