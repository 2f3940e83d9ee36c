"""The cross-source stage (defkg.pipeline.derive): what the build draws from every report at once.

Run as the build runs it, over each corpus (the seed alone, both real reports, and those with a
generated corpus of many): the derived figures, the relations between reports (expected values
computed from the corpus's own observations, or spelled out for the real reports), the stage's
cache (one report changed: that report summarised again, and only the comparison its figure is
part of drawn again, with the release equal to a build from scratch) and the derived graph in
the release. A conflict and a duplicate entity are planted in copies of the repository's project
(they are written into its second report).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef

from defkg.config import Settings
from defkg.pipeline.derive import Derived, derive
from defkg.pipeline.load import load_project, triples_of
from reasoned_graph import CORPORA, PROJECT_ROOT, corpus_root, corpus_sources

KG = Namespace("https://w3id.org/defkg/id/")
DEFKG = Namespace("https://w3id.org/defkg/ontology/")
PROV = Namespace("http://www.w3.org/ns/prov#")
DERIVED = URIRef("https://w3id.org/defkg/graph/derived")


KT = "kt-2024-01-20"


def copy_project(target: Path, root: Path = PROJECT_ROOT) -> Path:
    for folder in ("ontology", "shapes", "queries", "data", "docs"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, target / folder)
    return target


def derived_of(root: Path, dist: Path | None = None) -> tuple[Derived, Graph]:
    settings = Settings(root=root, dist=dist or root / "dist")
    result = derive(load_project(settings), settings, write_cache=dist is not None)
    graph = Graph()
    for triple in triples_of(result.lines):
        graph.add(triple)
    return result, graph


@functools.cache
def derived_of_corpus(corpus: str) -> tuple[Derived, Graph]:
    return derived_of(corpus_root(corpus))


@pytest.fixture(scope="session")
def real(corpus: str) -> Graph:
    """The derived graph of ``corpus``."""
    return derived_of_corpus(corpus)[1]


@functools.cache
def asserted(corpus: str) -> Graph:
    """Every asserted triple of ``corpus`` in one graph (read once; never change it)."""
    project = load_project(Settings(root=corpus_root(corpus)))
    graph = Graph()
    for name in project.asserted_graph_names():
        graph += project.graph(name)
    return graph


def test_every_breakdown_without_a_total_gets_its_sum_computed_by_defkg(
    corpus: str, real: Graph
) -> None:
    data = asserted(corpus)
    open_splits = [
        split
        for split in data.subjects(RDF.type, DEFKG.Breakdown)
        if (split, DEFKG.statedTotal, None) not in data
    ]
    totals = set(real.subjects(DEFKG.computedFor, None)) & {
        t for t in real.subjects(RDF.type, DEFKG.DerivedFigure)
    }
    for split in open_splits:
        parts = set(data.objects(split, DEFKG.breakdownPart))
        total = next(t for t in totals if real.value(t, DEFKG.computedFor) == split)
        expected = sum(int(data.value(part, DEFKG.numericValue)) for part in parts)  # type: ignore[arg-type]
        assert real.value(total, DEFKG.numericValue) == Literal(expected), split
        assert set(real.objects(total, DEFKG.computedFrom)) == parts
        assert real.value(total, PROV.wasAttributedTo) == KG.defkg  # never the source
        assert real.value(total, DEFKG.countOf) is not None, f"{total} counts nothing"
    if KT not in corpus_sources(corpus):
        assert open_splits == []  # the seed states its totals
    if len(corpus_sources(corpus)) > 2:
        assert len(open_splits) > 1  # the generated reports split their figures too


def test_the_second_reports_breakdown_sums_to_19(corpus: str, real: Graph) -> None:
    total = KG["derived-kt-2024-peacekeepers-serving-by-place-total"]
    if KT not in corpus_sources(corpus):
        assert (total, None, None) not in real
        return
    assert (total, RDF.type, DEFKG.DerivedFigure) in real
    assert (total, RDF.type, DEFKG.Quantity) in real
    assert real.value(total, DEFKG.numericValue) == Literal(19)
    assert real.value(total, DEFKG.bound) == DEFKG.exactly
    assert str(real.value(total, DEFKG.computation)) == "sum of 6 + 2 + 2 + 9"
    assert real.value(total, PROV.wasAttributedTo) == KG.defkg  # never the source
    assert set(real.objects(total, DEFKG.computedFrom)) == {
        KG["kt-2024-serving-western-sahara"],
        KG["kt-2024-serving-central-african-republic"],
        KG["kt-2024-serving-dr-congo"],
        KG["kt-2024-serving-lebanon"],
    }
    assert real.value(total, DEFKG.countOf) == KG["military-personnel"]  # officers are personnel


def test_the_sums_and_shares_a_reader_would_compute(real: Graph) -> None:
    # the seed's figures, in every corpus
    medals = KG["derived-kz-2023-military-sport-medals-in-all"]
    assert real.value(medals, DEFKG.numericValue) == Literal(340)
    assert str(real.value(medals, DEFKG.computation)) == "sum of 171 + 82 + 87"
    assert real.value(medals, DEFKG.countOf) == KG.medal
    share = KG["derived-kz-2023-kazbat-personnel-women-share"]
    assert str(real.value(share, DEFKG.numericValue)) == "1.15"
    assert real.value(share, DEFKG.bound) == DEFKG.approximately  # 1.1532... rounded
    assert str(real.value(share, DEFKG.computation)).startswith("7 of 607 = 1.15 %")
    assert real.value(share, DEFKG.unit) == URIRef("http://qudt.org/vocab/unit/PERCENT")


def kazakh(nodes: object) -> set[URIRef]:
    """The nodes of the real reports (the generated ones are about other countries)."""
    return {n for n in nodes if str(n).startswith((KG["kz-"], KG["kt-"]))}  # type: ignore[attr-defined]


def test_the_second_report_corroborates_the_first_and_approves_its_plan(
    corpus: str, real: Graph
) -> None:
    later, earlier = (
        KG["kt-2024-peacekeepers-serving-by-place"],
        KG["kz-2023-peacekeepers-deployed-count"],
    )
    relations = (DEFKG.corroborates, DEFKG.contradicts, DEFKG.updates, DEFKG.fulfils)
    plan = KG["kz-2023-undof-planned-deployment"]
    if KT not in corpus_sources(corpus):
        # one report of Kazakhstan: nothing to compare it with
        for relation in relations:
            assert kazakh(real.subjects(relation, None)) == set(), relation
        assert (plan, DEFKG.approvedBy, None) not in real
        return
    assert (later, DEFKG.corroborates, earlier) in real
    assert kazakh(real.subjects(DEFKG.contradicts, None)) == set()
    assert (plan, DEFKG.approvedBy, KG["kt-2024-parliament-approval"]) in real
    assert (KG["kt-2024-undof-deployment"], DEFKG.fulfils, plan) in real
    # the other missions the Parliament approved were never planned in the seed
    assert kazakh(real.subjects(DEFKG.fulfils, None)) == {KG["kt-2024-undof-deployment"]}


SAME_DAY_FIGURES = """
PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?a ?b ?va ?vb WHERE {
  ?a defkg:observes ?measure ; defkg:asOf ?date ; defkg:numericValue ?va ;
     defkg:bound defkg:exactly ; prov:wasDerivedFrom/oa:hasSource ?sa .
  ?b defkg:observes ?measure ; defkg:asOf ?date ; defkg:numericValue ?vb ;
     defkg:bound defkg:exactly ; prov:wasDerivedFrom/oa:hasSource ?sb .
  FILTER(?sa != ?sb && STR(?a) < STR(?b))
  FILTER NOT EXISTS { ?split defkg:breakdownPart ?a }
  FILTER NOT EXISTS { ?split defkg:breakdownPart ?b }
}"""


def test_same_day_figures_of_two_reports_corroborate_or_conflict(corpus: str, real: Graph) -> None:
    """Two reports giving one measure on one date: the same value corroborates (both ways, and
    is the same fact), another value contradicts (both ways, and is one finding flagging both).
    The pairs are read from the corpus's own observations."""
    pairs = [(r.a, r.b, int(r.va), int(r.vb)) for r in asserted(corpus).query(SAME_DAY_FIGURES)]  # type: ignore[union-attr]
    conflicts = 0
    for a, b, va, vb in pairs:
        for x, y in ((a, b), (b, a)):
            if va == vb:
                assert (x, DEFKG.corroborates, y) in real and (x, DEFKG.sameFactAs, y) in real
                assert (x, DEFKG.contradicts, y) not in real
            else:
                assert (x, DEFKG.contradicts, y) in real and (x, DEFKG.corroborates, y) not in real
        if va != vb:
            conflicts += 1
            findings = set(real.subjects(DEFKG.flags, a)) & set(real.subjects(DEFKG.flags, b))
            assert len(findings) == 1
            assert (findings.pop(), RDF.type, DEFKG.ConflictingFigures) in real
    if len(corpus_sources(corpus)) > 2:
        # the generator's digests restate the briefing's figure, the same or another one
        assert conflicts and len(pairs) > conflicts


def _with_planted(tmp_path: Path, turtle: str) -> Path:
    """A copy of the project whose second report ends with ``turtle`` (its prefixes hold)."""
    root = copy_project(tmp_path / "project")
    with open(root / "data" / "kt-2024-01-20.ttl", "a", encoding="utf-8") as handle:
        handle.write(turtle)
    return root


def test_conflicting_values_of_one_measure_at_one_date_are_a_finding(tmp_path: Path) -> None:
    # a second figure for the seed's date, from the other report: 25, not 19
    root = _with_planted(
        tmp_path,
        "\nkg:kt-2024-planted-conflict a defkg:Observation ;\n"
        '    rdfs:label "25 military personnel"@en ;\n'
        "    defkg:numericValue 25 ;\n    defkg:bound defkg:exactly ;\n"
        "    defkg:countOf kg:military-personnel ;\n"
        "    defkg:observes kg:measure-kz-peacekeepers-serving ;\n"
        '    defkg:asOf "2023-12-26"^^xsd:date ;\n'
        "    prov:wasDerivedFrom src:s5 ;\n    prov:wasAttributedTo kg:kazakhstan-today .\n",
    )
    _, graph = derived_of(root)
    planted, seed = KG["kt-2024-planted-conflict"], KG["kz-2023-peacekeepers-deployed-count"]
    assert (planted, DEFKG.contradicts, seed) in graph
    assert (seed, DEFKG.contradicts, planted) in graph
    findings = set(graph.subjects(RDF.type, DEFKG.ConflictingFigures))
    assert len(findings) == 1
    finding = findings.pop()
    assert set(graph.objects(finding, DEFKG.flags)) == {planted, seed}
    assert "2023-12-26" in str(graph.value(finding, DEFKG.explanation))
    assert graph.value(finding, PROV.wasAttributedTo) == KG.defkg


def test_an_entity_twice_without_a_wikidata_link_is_a_warning(tmp_path: Path) -> None:
    root = _with_planted(
        tmp_path,
        "\nkg:minurso-again a defkg:PeacekeepingMission ;\n"
        '    rdfs:label "MINURSO"@en ;\n'
        "    defkg:wikidataStatus defkg:noVerifiedWikidataItem .\n",
    )
    result, _ = derived_of(root)
    assert any("kg:minurso" in w and "kg:minurso-again" in w for w in result.warnings)
    assert not derived_of_corpus("all")[0].warnings  # the real project has none


def test_no_corpus_has_duplicate_entities(corpus: str) -> None:
    assert derived_of_corpus(corpus)[0].warnings == []


def test_a_wikidata_link_outside_the_verified_list_is_a_warning(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    text = (root / "data" / "entities.ttl").read_text(encoding="utf-8")
    (root / "data" / "entities.ttl").write_text(text.replace("wd:Q1049", "wd:Q1049999"))
    result, _ = derived_of(root)
    assert any("wd:Q1049999" in w and "docs/wikidata-qids.md" in w for w in result.warnings)


#: the edit of the seed's figure "19 military personnel" that the incremental tests make: one
#: report changed, and in it one figure of one measure (kg:measure-kz-peacekeepers-serving)
SEED_REPORT = Path("data") / "kz-mod-2023-12-27.ttl"
SEED_FIGURE = 'rdfs:label "19 military personnel"@en ;'
REVISED_FIGURE = 'rdfs:label "19 military personnel (revised)"@en ;'


def revise_seed_figure(root: Path) -> None:
    path = root / SEED_REPORT
    text = path.read_text(encoding="utf-8")
    assert text.count(SEED_FIGURE) == 1, "the seed's figure changed: update this test's edit"
    path.write_text(text.replace(SEED_FIGURE, REVISED_FIGURE), encoding="utf-8")


def test_changing_one_report_summarises_only_that_report_again(corpus: str, tmp_path: Path) -> None:
    root = copy_corpus(corpus, tmp_path / "project")
    dist = tmp_path / "dist"
    first, _ = derived_of(root, dist)
    # nothing known yet: every graph summarised, every comparison drawn
    assert first.graphs == len(list((root / "data").glob("*.ttl")))
    assert (first.summarised, first.compared) == (first.graphs, first.comparisons)
    again, _ = derived_of(root, dist)
    assert (again.summarised, again.compared) == (0, 0)
    assert again.lines == first.lines
    revise_seed_figure(root)
    changed, _ = derived_of(root, dist)
    # the seed's summary, and the one comparison its figure is part of
    assert (changed.summarised, changed.compared) == (1, 1)
    assert (changed.graphs, changed.comparisons) == (first.graphs, first.comparisons)
    assert changed.lines == derived_of(root)[0].lines  # what no cache gives


def build_in(root: Path) -> str:
    """`defkg build` in ``root`` as a curator runs it (default settings); its progress lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def derive_counts(progress: str) -> tuple[int, int, int, int]:
    """(graphs summarised, graphs, comparisons drawn, comparisons) from the stage's line."""
    found = re.search(
        r"^defkg: derive: .*\((\d+) of (\d+) graphs summarised, (\d+) of (\d+) comparisons drawn",
        progress,
        re.M,
    )
    assert found, progress
    summarised, graphs, drawn, comparisons = (int(n) for n in found.groups())
    return summarised, graphs, drawn, comparisons


def sha256sums(root: Path) -> str:
    return (root / "dist" / "SHA256SUMS").read_text(encoding="utf-8")


def copy_corpus(corpus: str, target: Path) -> Path:
    source = corpus_root(corpus)
    for folder in ("ontology", "shapes", "queries", "data", "docs"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, target / folder)
    return target


@pytest.mark.parametrize("corpus", CORPORA)
def test_a_warm_cache_publishes_what_a_build_without_one_does(corpus: str, tmp_path: Path) -> None:
    """The real build, over each corpus: a warm cache gives the same release; one report
    changed is summarised again, with the one comparison it touches, and the release equals
    a build of the changed project from scratch."""
    root = copy_corpus(corpus, tmp_path / "project")
    summarised, graphs, drawn, comparisons = derive_counts(build_in(root))
    assert (summarised, drawn) == (graphs, comparisons)  # no cache yet
    uncached = sha256sums(root)
    assert derive_counts(build_in(root)) == (0, graphs, 0, comparisons)
    assert sha256sums(root) == uncached

    revise_seed_figure(root)
    assert derive_counts(build_in(root)) == (1, graphs, 1, comparisons)
    fresh = copy_corpus(corpus, tmp_path / "fresh")
    revise_seed_figure(fresh)
    assert derive_counts(build_in(fresh))[0] == graphs
    assert sha256sums(root) == sha256sums(fresh)
    assert sha256sums(root) != uncached  # the edit reached the release


def test_the_release_publishes_the_derived_graph_apart(built_release: Path, real: Graph) -> None:
    dataset = Dataset()
    dataset.parse(built_release / "defkg.trig", format="trig")
    derived = dataset.graph(DERIVED)
    assert set(derived) == set(real)  # the stage's graph, as it is
    asserted = Graph().parse(built_release / "defkg.nt", format="nt")
    assert not list(asserted.triples((None, RDF.type, DEFKG.DerivedFigure)))
    assert not list(asserted.triples((None, DEFKG.corroborates, None)))
    quads = (built_release / "defkg.nq").read_text(encoding="utf-8")
    assert f"<{DERIVED}> .\n" in quads


def test_the_stage_gives_the_same_bytes_with_and_without_its_cache(
    corpus: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path / "project", corpus_root(corpus))
    uncached, _ = derived_of(root)
    first, _ = derived_of(root, tmp_path / "dist")  # writes the cache
    second, _ = derived_of(root, tmp_path / "dist")  # reads it
    assert uncached.lines == first.lines == second.lines
    assert uncached.lines == sorted(set(uncached.lines))
