"""The synthetic-corpus generator of the benchmarks: its corpora build, conform and vary.

One tiny corpus (three reports, without the real article so that this test depends only on the
ontology, shapes and entities) is generated and built once for the session.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF

from defkg.config import Settings
from defkg.pipeline.build import build
from generator_support import load_generator

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
DEFKG = rdflib.Namespace("https://w3id.org/defkg/ontology/")
KG = rdflib.Namespace("https://w3id.org/defkg/id/")
OWL_SAME_AS = rdflib.OWL.sameAs


generate = load_generator()


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "project"
    generate.generate(root, 3, include_real=False)
    return root


@pytest.fixture(scope="session")
def tiny_release(tiny_corpus: Path) -> Path:
    """The tiny corpus built by `defkg build` (which refuses to publish a non-conforming graph)."""
    settings = Settings(root=tiny_corpus, dist=tiny_corpus / "dist")
    return build(settings, quiet=True)


def report_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "data").glob("*.ttl") if p.name != "entities.ttl")


def test_generated_corpus_builds_and_conforms_to_the_shapes(tiny_release: Path) -> None:
    report = rdflib.Graph().parse(tiny_release / "validation-report.ttl")
    conforms = list(report.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#conforms")))
    assert [c.toPython() for c in conforms] == [True]
    dataset = rdflib.Dataset()
    dataset.parse(tiny_release / "defkg.trig", format="trig")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    for path in report_files(tiny_release.parent):
        assert f"https://w3id.org/defkg/graph/{path.stem}" in graphs


def test_every_quote_matches_its_offsets_in_the_text_file(tiny_corpus: Path) -> None:
    files = report_files(tiny_corpus)
    assert len(files) == 3
    for path in files:
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        graph = rdflib.Graph().parse(path)
        anchors = list(graph.subjects(RDF.type, OA.SpecificResource))
        assert len(anchors) >= 13, path
        for anchor in anchors:
            quote = position = None
            for selector in graph.objects(anchor, OA.hasSelector):
                if (selector, RDF.type, OA.TextQuoteSelector) in graph:
                    quote = str(graph.value(selector, OA.exact))
                else:
                    start = int(graph.value(selector, OA.start))
                    end = int(graph.value(selector, OA.end))
                    position = text[start:end]
            assert quote is not None and quote == position, (path.name, anchor)
        # Every fact cites one of this report's own sentences.
        cited = set(graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
        assert cited and cited <= set(anchors)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    def digest(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    generate.generate(tmp_path / "a", 5, include_real=False)
    generate.generate(tmp_path / "b", 5, include_real=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    generate.generate(tmp_path / "c", 5, seed=2, include_real=False)
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_reports_vary_in_country_year_missions_and_figures(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    slugs = generate.generate(root, 40, include_real=False)
    # 40 briefings, and a news agency's digest of every fifth one
    assert len(set(slugs)) == len(slugs) == 40 + 40 // 5
    assert len([s for s in slugs if "-news-" in s]) == 8
    graph = rdflib.Graph()
    for path in report_files(root):
        graph.parse(path)
    countries = set(graph.objects(None, DEFKG.participant)) & {
        KG[c.slug] for c in generate.make_countries()
    }
    years = {str(y) for y in graph.objects(None, DEFKG.period) if len(str(y)) == 4}
    missions = set(graph.objects(None, DEFKG.mission))
    values = {int(v) for v in graph.objects(None, DEFKG.numericValue)}
    assert len(countries) == 16
    assert len(years) >= 3
    assert missions == {KG[m.slug] for m in generate.MISSIONS}
    assert len(values) > 100
    # The missions the reports link carry the real entities' verified Wikidata links.
    entities = rdflib.Graph().parse(root / "data" / "entities.ttl")
    linked = {m for m in missions if entities.value(m, OWL_SAME_AS) is not None}
    assert KG.unifil in linked


def test_the_reports_of_one_country_over_the_years_give_the_cross_source_stage_work(
    tmp_path: Path,
) -> None:
    """Measures observed over several years, breakdowns without a total, plans carried out the
    next year, digests that agree or disagree: what the build's cross-source stage derives."""
    from defkg.config import Settings
    from defkg.pipeline.derive import derive
    from defkg.pipeline.load import load_project, triples_of

    root = tmp_path / "corpus"
    generate.generate(root, 40, include_real=False)
    settings = Settings(root=root, dist=tmp_path / "dist")
    graph = rdflib.Graph()
    for triple in triples_of(derive(load_project(settings), settings, write_cache=False).lines):
        graph.add(triple)

    def count(prop: str) -> int:
        return len(set(graph.subject_objects(DEFKG[prop])))

    assert count("updates") > 10  # a country's figures year after year
    assert count("fulfils") > 10  # last year's plan is this year's rotation
    assert count("contradicts") == 2 * 4  # four digests of eight disagree, both ways
    assert count("sameFactAs") == 2 * 4  # and four agree
    totals = [
        f
        for f in graph.subjects(DEFKG.computation, None)
        if str(graph.value(f, DEFKG.computation)).startswith("sum of")
        and (None, DEFKG.breakdownOf, None) not in graph
    ]
    assert len(set(graph.subjects(rdflib.RDF.type, DEFKG.ConflictingFigures))) == 4
    assert any("-peacekeepers-deployed-total" in str(f) for f in totals)  # breakdown sums
