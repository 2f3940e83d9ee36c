"""The real project (this repository's ontology/, data/, shapes/) builds into a sound release."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rdflib import RDF, Dataset, Graph, Namespace, URIRef
from rdflib.compare import isomorphic

from defkg.iris import DCAT, VOID

SH = Namespace("http://www.w3.org/ns/shacl#")
G = "https://w3id.org/defkg/graph/"


def test_real_release_graphs(built_release: Path, project_root: Path) -> None:
    trig = Dataset().parse(built_release / "defkg.trig", format="trig")
    nquads = Dataset().parse(built_release / "defkg.nq", format="nquads")
    names = {str(g.identifier) for g in trig.graphs() if len(g)}
    sources = {G + p.stem for p in (project_root / "data").glob("*.ttl")}
    assert sources | {G + "ontology", G + "inferred", G + "shapes"} <= names
    for name in names:
        assert isomorphic(trig.graph(URIRef(name)), nquads.graph(URIRef(name))), name
    assert len(trig.graph(URIRef(G + "inferred"))) > 0


def test_real_release_checksums_and_void(built_release: Path) -> None:
    for line in (built_release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((built_release / name).read_bytes()).hexdigest() == digest
    void = Graph().parse(built_release / "void.ttl")
    dataset = URIRef("https://w3id.org/defkg/dataset")
    for distribution in void.objects(dataset, DCAT.distribution):
        name = str(void.value(distribution, DCAT.downloadURL)).rsplit("/", 1)[-1]
        assert (built_release / name).stat().st_size == int(void.value(distribution, DCAT.byteSize))
    (linkset,) = void.subjects(RDF.type, VOID.Linkset)
    assert int(void.value(linkset, VOID.triples)) > 0


def test_real_release_has_no_violation(built_release: Path) -> None:
    report = Graph().parse(built_release / "validation-report.ttl")
    assert (None, SH.resultSeverity, SH.Violation) not in report


def test_real_jsonld_is_the_asserted_view(built_release: Path) -> None:
    import json

    from pyld import jsonld

    trig = Dataset().parse(built_release / "defkg.trig", format="trig")
    view = Graph()
    for graph in trig.graphs():
        if str(graph.identifier).startswith(G) and graph.identifier not in (
            URIRef(G + "inferred"),
            URIRef(G + "shapes"),
            URIRef(G + "derived"),
        ):
            view += graph
    document = json.loads((built_release / "defkg.jsonld").read_text(encoding="utf-8"))
    quads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert isomorphic(Graph().parse(data=quads, format="nt"), view)
    assert isomorphic(Graph().parse(built_release / "defkg.nt", format="nt"), view)


def test_real_passes_draw_what_one_whole_closure_draws(
    tmp_path: Path, project_root: Path, corpus: str
) -> None:
    from defkg.config import Settings
    from defkg.pipeline.load import load_project
    from defkg.pipeline.reason import infer
    from shapes_support import real_closure_additions

    settings = Settings(root=project_root, dist=tmp_path / "dist")
    project = load_project(settings)
    # one closure of every asserted graph at once (the shape tests validate the same one)
    assert set(infer(project, settings)) == real_closure_additions(corpus)
