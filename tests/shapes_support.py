"""Helpers the shape tests and the mutation tests share: load, reason, validate, read results.

The real knowledge graph is validated the way the build does it: ontology + every data file
(read by defkg.pipeline.load) + what the OWL RL closure adds
(defkg.pipeline.reason.closure_additions), then
pyshacl with no inference of its own. Loading and reasoning the unmutated graph happen once
per test session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyshacl
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from defkg.config import Settings
from defkg.pipeline.derive import derive
from defkg.pipeline.load import load_project, triples_of
from defkg.pipeline.reason import closure_additions
from defkg.pipeline.validate import PreparedQueryGraph
from reasoned_graph import corpus_root

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DKSH = Namespace("https://w3id.org/defkg/shapes/")


@dataclass(frozen=True)
class Result:
    """One sh:ValidationResult, reduced to what the tests compare."""

    severity: Node | None
    focus: Node | None
    path: Node | None
    value: Node | None
    shape: Node | None
    message: str

    def __str__(self) -> str:
        return (
            f"{_short(self.severity)} {_short(self.shape)} focus={self.focus} "
            f"path={self.path} value={self.value}: {self.message}"
        )


def _short(node: Node | None) -> str:
    text = str(node)
    for prefix in (str(SH), str(DKSH)):
        text = text.removeprefix(prefix)
    return text


def load_shapes(shapes_dir: Path = PROJECT_ROOT / "shapes") -> Graph:
    """Every ``*.ttl`` file of ``shapes_dir`` parsed into one graph."""
    graph = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def load_ontology(root: Path = PROJECT_ROOT) -> Graph:
    """Every ``ontology/*.ttl`` file parsed into one graph."""
    graph = Graph()
    for path in sorted((root / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def load_asserted(root: Path = PROJECT_ROOT) -> Graph:
    """Every asserted graph of the project (ontology, entities, sources) as one graph, read
    by the build's own loader (so ``.trig`` sources and parse errors behave as in the build)."""
    project = load_project(Settings(root=root))
    graph = Graph()
    for name in project.asserted_graph_names():
        graph += project.graph(name)
    return graph


def with_inferences(asserted: Graph) -> Graph:
    """``asserted`` plus the non-trivial OWL RL inferences the build adds (a new graph)."""
    graph = Graph()
    graph += asserted
    for triple in closure_additions(asserted):
        graph.add(triple)
    return graph


@cache
def real_asserted(corpus: str = "all") -> Graph:
    """The asserted graph of ``corpus`` (reasoned_graph.CORPORA; "all" is the repository's
    data), parsed once; callers must copy it before changing it."""
    return load_asserted(corpus_root(corpus))


@cache
def real_closure_additions(corpus: str = "all") -> frozenset:
    """What one OWL RL closure of the whole asserted graph of ``corpus`` adds, computed once."""
    return frozenset(closure_additions(real_asserted(corpus)))


@cache
def real_reasoned(corpus: str = "all") -> Graph:
    """The graph of ``corpus`` with its OWL RL inferences and what the build derives across
    reports (the graph the build publishes as {base}graph/derived), computed once; never change
    it."""
    graph = Graph()
    graph += real_asserted(corpus)
    for triple in real_closure_additions(corpus):
        graph.add(triple)
    for triple in real_derived(corpus):
        graph.add(triple)
    return graph


@cache
def real_derived(corpus: str = "all") -> Graph:
    """What the build's cross-source stage derives from the project of ``corpus``."""
    settings = Settings(root=corpus_root(corpus))
    derived = derive(load_project(settings), settings, write_cache=False)
    graph = Graph()
    for triple in triples_of(derived.lines):
        graph.add(triple)
    return graph


@cache
def real_shapes() -> Graph:
    return load_shapes()


@cache
def real_results(corpus: str = "all") -> tuple[Result, ...]:
    """Every result of validating the reasoned graph of ``corpus`` against the real shapes."""
    return tuple(validate(real_reasoned(corpus), real_shapes()))


def validate(
    data: Graph,
    shapes: Graph,
    use_shapes: list[URIRef] | None = None,
) -> list[Result]:
    """Run pyshacl as the build does (inference off, SHACL-AF on) and return every result.

    Like the build's passes, pyshacl works on a copy of ``data`` that parses each SPARQL
    constraint once and puts its patterns on ``$this`` first (the build's own query graph):
    rdflib would parse the text again for every focus node and could start from a pattern
    that matches every selector, which made a corpus of many reports take ten minutes (the
    shape fixtures check each SPARQL rule through it, violating and conforming).

    ``use_shapes`` (see :func:`shapes_to_run`) narrows the run to some rules, to save time.
    pyshacl's ``focus_nodes`` is not offered: it also filters the value nodes of nested
    shapes (sh:or, sh:node), which then pass unchecked.
    """
    graph = PreparedQueryGraph()
    graph += data
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        inplace=True,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        use_shapes=[str(s) for s in use_shapes] if use_shapes else None,
    )
    return results_of(report)


def results_of(report: Graph) -> list[Result]:
    """Each sh:ValidationResult of a pyshacl report."""
    return [
        Result(
            severity=report.value(r, SH.resultSeverity),
            focus=report.value(r, SH.focusNode),
            path=report.value(r, SH.resultPath),
            value=report.value(r, SH.value),
            shape=report.value(r, SH.sourceShape),
            message=" / ".join(sorted(str(m) for m in report.objects(r, SH.resultMessage))),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]


def shapes_to_run(shapes: Graph, shape: URIRef) -> list[URIRef]:
    """What to pass as ``use_shapes`` so that ``shape`` runs: the node shapes that own it (or
    itself), with all their property shapes, which pyshacl skips unless they are listed."""
    owners = (
        [shape]
        if (shape, SH.path, None) not in shapes
        else list(shapes.subjects(SH.property, shape))
    )
    return sorted({s for node in owners for s in (node, *shapes.objects(node, SH.property))})


def shape_family(shapes: Graph, shape: URIRef) -> set[Node]:
    """``shape`` and, for a node shape, its property shapes: whose results count as its own."""
    family: set[Node] = {shape}
    if (shape, SH.path, None) not in shapes:
        family |= set(shapes.objects(shape, SH.property))
    return family


def results_from(shapes: Graph, shape: URIRef, results: list[Result]) -> list[Result]:
    """The results ``shape`` (or, for a node shape, one of its property shapes) produced."""
    family = shape_family(shapes, shape)
    return [r for r in results if r.shape in family]


def describe(results: list[Result]) -> str:
    """Results as indented lines, for assertion messages."""
    return "\n".join(f"  {r}" for r in results) or "  (no results)"
