"""defkg build: the release's files, their round trips, reproducibility, the cache, VoID."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyld import jsonld
from rdflib import DCTERMS, OWL, RDF, RDFS, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

import defkg.pipeline.reason
import defkg.pipeline.validate
from defkg.config import Settings
from defkg.errors import DefkgError, ValidationFailed
from defkg.iris import DCAT, SD, VOID
from defkg.pipeline.build import build, check
from defkg.pipeline.load import load_project
from defkg.release import write_release

KG = Namespace("https://w3id.org/defkg/id/")
DEFKG = Namespace("https://w3id.org/defkg/ontology/")
G = Namespace("https://w3id.org/defkg/graph/")
WD = Namespace("http://www.wikidata.org/entity/")
EXPECTED_FILES = {
    "context.jsonld",
    "defkg.trig",
    "defkg.nq",
    "defkg.ttl",
    "defkg.nt",
    "defkg.jsonld",
    "defkg.trig.gz",
    "defkg.nq.gz",
    "defkg.ttl.gz",
    "defkg.nt.gz",
    "defkg.jsonld.gz",
    "void.ttl",
    "validation-report.ttl",
    "search.sqlite",
    "SHA256SUMS",
}


def settings_for(root: Path, out: Path) -> Settings:
    return Settings(root=root, dist=out)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder, by name (empty when the folder does not exist)."""
    if not folder.exists():
        return {}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.fixture
def release(tiny_project: Path, tmp_path: Path) -> Path:
    return build(settings_for(tiny_project, tmp_path / "out" / "dist"), quiet=True)


def read_dataset(path: Path, fmt: str) -> Dataset:
    dataset = Dataset()
    dataset.parse(path, format=fmt)
    return dataset


def named(dataset: Dataset) -> dict[str, Graph]:
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


def asserted_view(dataset: Dataset) -> Graph:
    view = Graph()
    for name, graph in named(dataset).items():
        if name not in (str(G.inferred), str(G.shapes)):
            view += graph
    return view


def test_release_holds_every_file(release: Path) -> None:
    assert {p.name for p in release.iterdir()} == EXPECTED_FILES
    for name in EXPECTED_FILES:
        if name.endswith(".gz"):
            assert (
                gzip.decompress((release / name).read_bytes())
                == (release / name.removesuffix(".gz")).read_bytes()
            )


def test_every_dump_parses_back_to_the_release(release: Path, tiny_project: Path) -> None:
    trig = read_dataset(release / "defkg.trig", "trig")
    nquads = read_dataset(release / "defkg.nq", "nquads")
    trig_graphs, nq_graphs = named(trig), named(nquads)
    assert (
        set(trig_graphs)
        == set(nq_graphs)
        == {
            str(G[n])
            for n in ("ontology", "entities", "report-1", "report-2", "inferred", "shapes")
        }
    )
    for name, graph in trig_graphs.items():
        assert isomorphic(graph, nq_graphs[name]), name

    # the asserted graphs are exactly what the project's files say
    project = load_project(settings_for(tiny_project, release))
    for name in project.files:
        assert isomorphic(trig_graphs[str(name)], project.graph(name)), name

    view = asserted_view(trig)
    assert isomorphic(Graph().parse(release / "defkg.ttl", format="turtle"), view)
    assert isomorphic(Graph().parse(release / "defkg.nt", format="nt"), view)
    assert isomorphic(Graph().parse(release / "defkg.jsonld", format="json-ld"), view)
    # JSON-LD through another processor: pyld expands it back to N-Quads
    document = json.loads((release / "defkg.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document["@context"], dict), "the context is written inline"
    quads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert isomorphic(Graph().parse(data=quads, format="nt"), view)


def test_inferences_live_in_their_own_graph(release: Path) -> None:
    graphs = named(read_dataset(release / "defkg.trig", "trig"))
    inferred = graphs[str(G.inferred)]
    assert (KG["unifil-2023"], RDF.type, DEFKG.Activity) in inferred  # subclass
    assert (KG["unifil-2023"], DEFKG.partOf, KG.peacekeeping) in inferred  # transitive
    assert (KG.kazakhstan, RDF.type, DEFKG.Country) in inferred  # range, across graphs
    for name, graph in graphs.items():
        if name != str(G.inferred):
            assert not any(t in graph for t in inferred), name
    # trivia and links to Wikidata are not restated
    assert (None, RDF.type, OWL.Thing) not in inferred
    assert not any(s == o for s, _p, o in inferred.triples((None, OWL.sameAs, None)))
    assert not any(str(s).startswith(str(WD)) for s in inferred.subjects())
    assert not any(str(s).startswith(str(XSD)) for s in inferred.subjects())


def test_two_builds_are_byte_identical(tiny_project: Path, tmp_path: Path) -> None:
    first = build(settings_for(tiny_project, tmp_path / "a" / "dist"), quiet=True)
    # another process, another hash seed, an empty cache
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [sys.executable, "-c", "from defkg.cli import main; main()", "build", "--quiet"]
    command += ["--root", str(tiny_project), "--out", str(tmp_path / "b" / "dist")]
    subprocess.run(command, check=True, env=env, cwd=tmp_path)
    second = snapshot(tmp_path / "b" / "dist")
    assert (first / "SHA256SUMS").read_bytes() == second["SHA256SUMS"]
    assert snapshot(first) == second


def test_sha256sums_match_the_files(release: Path) -> None:
    lines = (release / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == len(EXPECTED_FILES) - 1
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


def test_cached_and_uncached_builds_are_identical(
    tiny_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = build(settings_for(tiny_project, tmp_path / "cold" / "dist"), quiet=True)
    cache = tmp_path / "cold" / ".defkg-cache" / "reason"
    assert len(list(cache.glob("*.pickle"))) == 2  # the base, and the two sources in one batch

    calls: list[str] = []
    original = defkg.pipeline.reason.closure_additions
    original_batch = defkg.pipeline.reason._batch_additions

    def counting(graph: Graph) -> set:
        calls.append("closure")
        return original(graph)

    def counting_batch(*args: object, **kwargs: object) -> list:
        calls.append("batch")
        return original_batch(*args, **kwargs)

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged project is not validated again")

    monkeypatch.setattr(defkg.pipeline.reason, "closure_additions", counting)
    monkeypatch.setattr(defkg.pipeline.reason, "_batch_additions", counting_batch)
    monkeypatch.setattr(defkg.pipeline.validate.pyshacl, "validate", no_validation)
    warm = build(settings_for(tiny_project, tmp_path / "cold" / "dist2"), quiet=True)
    assert calls == [], "an unchanged project is not reasoned again"
    assert snapshot(warm) == snapshot(uncached)
    monkeypatch.undo()
    monkeypatch.setattr(defkg.pipeline.reason, "closure_additions", counting)
    monkeypatch.setattr(defkg.pipeline.reason, "_batch_additions", counting_batch)

    # changing one source re-reasons its batch only, and matches a build from scratch
    source = tiny_project / "data" / "report-2.trig"
    source.write_text(source.read_text().replace("Exercise one", "Exercise 1"))
    incremental = build(settings_for(tiny_project, tmp_path / "cold" / "dist3"), quiet=True)
    assert calls == ["batch"], "only the changed batch is reasoned again"
    monkeypatch.undo()
    scratch = build(settings_for(tiny_project, tmp_path / "fresh" / "dist"), quiet=True)
    assert snapshot(incremental) == snapshot(scratch)


def test_violation_stops_the_build_and_keeps_the_release(
    tiny_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "dist"
    build(settings_for(tiny_project, out), quiet=True)
    before = snapshot(out)
    source = tiny_project / "data" / "report-1.ttl"
    source.write_text(source.read_text() + "\nkg:nameless a :Mission ;\n    :figure 3 .\n")
    line = len(source.read_text().splitlines()) - 1
    with pytest.raises(ValidationFailed) as caught:
        build(settings_for(tiny_project, out), quiet=True)
    assert snapshot(out) == before
    report = caught.value.report
    assert f"{source}:{line}: Violation: kg:nameless path=rdfs:label: " in report
    assert "an activity needs a label: add rdfs:label [dksh:ActivityShape rdfs:label]" in report
    assert report.splitlines()[0] == f"{source}:"
    assert report.splitlines()[-1] == "validation: 1 violation(s)"


def test_warnings_do_not_stop_and_are_published(
    tiny_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    source = tiny_project / "data" / "report-1.ttl"
    source.write_text(source.read_text().replace(":figure 139 , 1.5", ":figure 139, 1.5, 2, 3"))
    release = build(settings_for(tiny_project, tmp_path / "dist"))
    assert "Warning: kg:unifil-2023 (UNIFIL, 2023) path=defkg:figure" in capsys.readouterr().err
    report = Graph().parse(release / "validation-report.ttl")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    (result,) = report.subjects(sh.resultSeverity, sh.Warning)
    assert report.value(result, sh.focusNode) == KG["unifil-2023"]
    assert (None, sh.conforms, Literal(False)) in report


def test_check_writes_nothing(tiny_project: Path, tmp_path: Path) -> None:
    outcome = check(settings_for(tiny_project, tmp_path / "dist"), quiet=True)
    assert outcome.conforms and outcome.findings == []
    assert not (tmp_path / "dist").exists()


#: What a curator states about the dataset and its ontology, for void.ttl to repeat.
DATASET_METADATA = """
<https://w3id.org/defkg/dataset>
    dcterms:title "Tiny test dataset"@en ;
    dcterms:description "Two reports, for the tests of void.ttl."@en .
<https://w3id.org/defkg/ontology>
    dcterms:license <https://example.org/licence/tiny> ;
    dcterms:publisher <https://example.org/tiny-publisher> .
"""


def test_void_describes_the_release(tiny_project: Path, tmp_path: Path) -> None:
    with (tiny_project / "ontology" / "defkg.ttl").open("a", encoding="utf-8") as ontology:
        ontology.write(DATASET_METADATA)
    release = build(settings_for(tiny_project, tmp_path / "out" / "dist"), quiet=True)
    void = Graph().parse(release / "void.ttl")
    dataset = URIRef("https://w3id.org/defkg/dataset")
    quads = (release / "defkg.nq").read_text(encoding="utf-8").splitlines()
    nquads = read_dataset(release / "defkg.nq", "nquads")

    def count(node: URIRef, predicate: URIRef) -> int:
        return int(void.value(node, predicate))

    everything = {t for g in nquads.graphs() for t in g}
    assert count(dataset, VOID.triples) == len(everything)
    assert count(dataset, VOID.properties) == len({p for _s, p, _o in everything})
    assert count(dataset, VOID.classes) == len({o for _s, p, o in everything if p == RDF.type})
    assert count(dataset, VOID.entities) == len(
        {s for s, _p, _o in everything if str(s).startswith("https://w3id.org/defkg/")}
    )
    subsets = {void.value(s, SD.name): s for s in void.objects(dataset, VOID.subset)}
    graphs = named(nquads)
    assert {str(n) for n in subsets if n is not None} == set(graphs)
    for name, graph in graphs.items():
        assert count(subsets[URIRef(name)], VOID.triples) == len(graph)
    assert sum(count(subsets[URIRef(n)], VOID.triples) for n in graphs) == len(quads)

    (linkset,) = void.subjects(RDF.type, VOID.Linkset)
    assert void.value(linkset, VOID.linkPredicate) == OWL.sameAs
    assert count(linkset, VOID.triples) == 2  # Q232 and Q822 in the tiny entities

    assert str(void.value(dataset, VOID.uriSpace)) == "https://w3id.org/defkg/"
    assert str(void.value(dataset, VOID.sparqlEndpoint)).endswith("/sparql")
    assert void.value(dataset, OWL.versionInfo) == Literal("9.9.9")
    assert void.value(dataset, URIRef("http://purl.org/dc/terms/modified")) == Literal(
        "2024-01-05", datatype=XSD.date
    )
    assert void.value(dataset, URIRef("http://purl.org/dc/terms/issued")) == Literal(
        "2023-12-27", datatype=XSD.date
    )
    assert KG["report-1"] in set(void.objects(dataset, VOID.exampleResource))
    assert DEFKG[""] in set(void.objects(dataset, VOID.vocabulary))
    # Title, description, licence and publisher are the inputs' own, not defaults.
    assert void.value(dataset, DCTERMS.title) == Literal("Tiny test dataset", lang="en")
    assert void.value(dataset, RDFS.label) == Literal("Tiny test dataset", lang="en")
    assert void.value(dataset, DCTERMS.description) == Literal(
        "Two reports, for the tests of void.ttl.", lang="en"
    )
    assert void.value(dataset, DCTERMS.license) == URIRef("https://example.org/licence/tiny")
    assert void.value(dataset, DCTERMS.publisher) == URIRef("https://example.org/tiny-publisher")
    assert void.value(dataset, DCAT.version) == Literal("9.9.9")

    # the TriG and N-Quads dumps (and their .gz) hold the dataset, every named graph; the
    # Turtle, N-Triples and JSON-LD ones the asserted view; the report is no dump of the data
    whole = {str(d).rsplit("/", 1)[-1] for d in void.objects(dataset, VOID.dataDump)}
    assert whole == {"defkg.trig", "defkg.trig.gz", "defkg.nq", "defkg.nq.gz"}
    dumps = set(void.objects(None, VOID.dataDump))
    assert len(dumps) == 10  # five dumps and their .gz
    for distribution in void.objects(dataset, DCAT.distribution):
        url = void.value(distribution, DCAT.downloadURL)
        name = str(url).rsplit("/", 1)[-1]
        assert (release / name).stat().st_size == count(distribution, DCAT.byteSize), name
        assert void.value(distribution, DCAT.mediaType) is not None
    assert dumps <= set(void.objects(None, DCAT.downloadURL))


def test_void_falls_back_to_defaults_when_the_inputs_state_no_metadata(release: Path) -> None:
    void = Graph().parse(release / "void.ttl")
    dataset = URIRef("https://w3id.org/defkg/dataset")
    assert void.value(dataset, DCTERMS.title) is not None
    assert void.value(dataset, DCTERMS.description) is not None
    assert void.value(dataset, DCTERMS.license) == URIRef(
        "http://creativecommons.org/publicdomain/zero/1.0/"
    )
    publisher = void.value(dataset, DCTERMS.publisher)
    assert (publisher, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Agent")) in void
    assert void.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name")) is not None


def test_a_failed_write_leaves_the_previous_release(tmp_path: Path) -> None:
    target = tmp_path / "dist"
    write_release(target, {"a.txt": b"old"})
    with pytest.raises(DefkgError, match="cannot write the release"):
        write_release(target, {"b.txt": b"new", "b.txt/c.txt": b"x"})  # b.txt is no folder
    assert snapshot(target) == {"a.txt": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]
    write_release(target, {"b.txt": b"new"})
    assert snapshot(target) == {"b.txt": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_passes_draw_what_one_whole_closure_draws(tiny_project: Path, tmp_path: Path) -> None:
    settings = settings_for(tiny_project, tmp_path / "dist")
    project = load_project(settings)
    whole = Graph()
    for name in project.files:
        whole += project.graph(name)
    expected = defkg.pipeline.reason.closure_additions(whole)
    assert expected, "the tiny project has something to infer"
    assert set(defkg.pipeline.reason.infer(project, settings)) == expected
