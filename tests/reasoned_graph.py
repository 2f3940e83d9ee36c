"""The real knowledge graph, reasoned, in a pyoxigraph store: built once per test session.

The competency-query, provenance and reasoning tests all query the same thing the release
publishes: every asserted graph (ontology, entities, sources) plus the OWL RL inferences and
the cross-source stage's figures and relations (``{base}graph/derived``) in graphs of their
own, with the default graph as the union of them all.
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
from defkg.pipeline.derive import derive
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


#: The corpora the data-dependent tests run over: the seed article alone; every report in
#: data/ (the project as it is); and every report plus a generated corpus of synthetic reports
#: of other countries over several years (benchmarks/generate.py).
CORPORA = ("seed", "all", "generated")
SEED_SOURCE = "kz-mod-2023-12-27"
#: the "generated" corpus: 4 invented countries reporting over 5 years (2015-2019): 20 briefings
#: and 4 news digests restating a briefing's figure (2 the same, 2 not), 5 of the briefings
#: splitting it by mission with no total; enough for every relation between reports, few
#: enough to keep the suite quick (it runs over every corpus)
GENERATED_REPORTS = 20
GENERATED_COUNTRIES = 4


@functools.cache
def corpus_root(corpus: str) -> Path:
    """The project folder of ``corpus`` (a copy outside the working tree, but for "all")."""
    if corpus == "all":
        return PROJECT_ROOT
    scratch = Path(tempfile.mkdtemp(prefix=f"defkg-corpus-{corpus}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    root = scratch / "project"
    if corpus == "generated":
        from generator_support import load_generator

        load_generator().generate(
            root, GENERATED_REPORTS, include_real=True, countries=GENERATED_COUNTRIES
        )
        return root
    if corpus != "seed":
        raise ValueError(f"unknown corpus {corpus!r}: one of {CORPORA}")
    for folder in ("ontology", "shapes", "queries", "docs"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    (root / "data").mkdir()
    for name in ("entities.ttl", f"{SEED_SOURCE}.ttl", f"{SEED_SOURCE}.txt"):
        shutil.copyfile(PROJECT_ROOT / "data" / name, root / "data" / name)
    return root


def corpus_sources(corpus: str) -> list[str]:
    """The slugs of the reports of ``corpus`` (the stems of its data/*.txt)."""
    return sorted(p.stem for p in (corpus_root(corpus) / "data").glob("*.txt"))


@functools.cache
def _build(corpus: str) -> tuple[Project, ox.Store, Settings]:
    # The reasoning cache lives next to dist: keep both out of the working tree.
    scratch = Path(tempfile.mkdtemp(prefix="defkg-reasoned-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    settings = Settings(root=corpus_root(corpus), dist=scratch / "dist")
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
    derived = derive(project, settings, write_cache=False)
    store.load(
        "".join(derived.lines).encode("utf-8"),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(str(settings.iris.graph("derived"))),
    )
    return project, store, settings


def reasoned_store(corpus: str) -> ox.Store:
    """The store of ``corpus``: one named graph per project file, plus ``{base}graph/inferred``
    and ``{base}graph/derived``."""
    return _build(corpus)[1]


def loaded_project(corpus: str) -> Project:
    """The project of ``corpus`` as :func:`defkg.pipeline.load.load_project` returned it
    (asserted triples only)."""
    return _build(corpus)[0]


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


def run_select(sparql: str, store: ox.Store) -> list[dict[str, ox.Literal | None]]:
    """Rows of a SELECT over the union of all graphs, as {variable: pyoxigraph term or None}."""
    solutions = store.query(sparql, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{name: row[name] for name in names} for row in solutions]


def select_values(sparql: str, store: ox.Store) -> list[dict[str, Value | None]]:
    """Rows of a SELECT as {variable: plain Python value} (see :func:`python_value`)."""
    return [{k: python_value(v) for k, v in row.items()} for row in run_select(sparql, store)]


def query_file(prefix: str) -> Path:
    """The one file ``queries/{prefix}-*.rq`` (e.g. ``cq03``)."""
    matches = sorted(QUERIES.glob(f"{prefix}-*.rq"))
    if len(matches) != 1:
        raise LookupError(f"expected one queries/{prefix}-*.rq, found {len(matches)}")
    return matches[0]
