"""The real knowledge graph, reasoned, in a pyoxigraph store: built once per test session.

The competency-query, provenance and reasoning tests all query the same thing the release
publishes: every asserted graph (ontology, entities, sources) plus the OWL RL inferences in
their own graph, with the default graph as the union of them all.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from defkg.config import Settings
from defkg.pipeline.load import Project, load_project
from defkg.pipeline.reason import infer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES = PROJECT_ROOT / "queries"

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {
    XSD + name
    for name in (
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}

Value = str | int | Decimal | bool


@functools.cache
def _build() -> tuple[Project, ox.Store, Settings]:
    # The reasoning cache lives next to dist: keep both out of the working tree.
    scratch = Path(tempfile.mkdtemp(prefix="defkg-reasoned-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    settings = Settings(root=PROJECT_ROOT, dist=scratch / "dist")
    project = load_project(settings)
    inferred = infer(project, settings)
    store = ox.Store()
    for name in project.asserted_graph_names():
        data = project.graph(name).serialize(format="nt", encoding="utf-8")
        store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
    store.load(
        inferred.serialize(format="nt", encoding="utf-8"),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(str(settings.iris.inferred_graph)),
    )
    return project, store, settings


def reasoned_store() -> ox.Store:
    """The store: one named graph per project file, plus ``{base}graph/inferred``."""
    return _build()[1]


def loaded_project() -> Project:
    """The project as :func:`defkg.pipeline.load.load_project` returned it (asserted triples
    only)."""
    return _build()[0]


def python_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Value | None:
    """A term as a plain Python value: IRIs as str, integers as int, decimals as Decimal,
    booleans as bool, other literals as their lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in _INTEGER_TYPES:
            return int(term.value)
        if datatype == XSD + "decimal":
            return Decimal(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return term.value


def run_select(sparql: str, store: ox.Store | None = None) -> list[dict[str, ox.Literal | None]]:
    """Rows of a SELECT over the union of all graphs, as {variable: pyoxigraph term or None}."""
    solutions = (store or reasoned_store()).query(sparql, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{name: row[name] for name in names} for row in solutions]


def select_values(sparql: str, store: ox.Store | None = None) -> list[dict[str, Value | None]]:
    """Rows of a SELECT as {variable: plain Python value} (see :func:`python_value`)."""
    return [{k: python_value(v) for k, v in row.items()} for row in run_select(sparql, store)]


def query_file(prefix: str) -> Path:
    """The one file ``queries/{prefix}-*.rq`` (e.g. ``cq03``)."""
    matches = sorted(QUERIES.glob(f"{prefix}-*.rq"))
    if len(matches) != 1:
        raise LookupError(f"expected one queries/{prefix}-*.rq, found {len(matches)}")
    return matches[0]
