"""Shared fixtures: the project root and its files."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


# --- the build (owner: defkg build / validate / query) ------------------------------------------

TINY_ONTOLOGY = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/defkg/ontology> a owl:Ontology ;
    rdfs:label "tiny ontology"@en ;
    owl:versionInfo "9.9.9" ;
    dcterms:modified "2024-01-05"^^xsd:date .
:Activity a owl:Class ; rdfs:label "activity"@en .
:Mission a owl:Class ; rdfs:subClassOf :Activity ; rdfs:label "mission"@en .
:Country a owl:Class ; rdfs:label "country"@en .
:partOf a owl:ObjectProperty , owl:TransitiveProperty ; rdfs:label "part of"@en .
:country a owl:ObjectProperty ; rdfs:range :Country ; rdfs:label "country"@en .
:figure a owl:DatatypeProperty ; rdfs:label "figure"@en .
"""

TINY_ENTITIES = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

kg:kazakhstan rdfs:label "Kazakhstan"@en , "Қазақстан"@kk ;
    owl:sameAs <http://www.wikidata.org/entity/Q232> .
kg:lebanon a :Country ; rdfs:label "Lebanon"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q822> .
"""

TINY_SOURCE = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kg:report-1 a schema:NewsArticle ;
    rdfs:label "Report one"@en ;
    schema:datePublished "2023-12-27"^^xsd:date .

kg:unifil-2023 a :Mission ;
    rdfs:label "UNIFIL, 2023"@en ;
    :country kg:kazakhstan ;
    :figure 139 , 1.5 ;
    rdfs:comment "a \\"quoted\\" value.\\nSecond line"@en ;
    :partOf kg:un-missions .

kg:un-missions a :Activity ; rdfs:label "UN missions"@en ; :partOf kg:peacekeeping .
kg:peacekeeping a :Activity ; rdfs:label "peacekeeping"@en ;
    :figure [ rdfs:label "over 500 personnel"@en ; :figure 500 ] .
"""

TINY_TRIG = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix graph: <https://w3id.org/defkg/graph/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

graph:report-2 {
    kg:exercise-1 a :Activity ; rdfs:label "Exercise one"@en ; :country kg:lebanon .
}
"""

TINY_SHAPES = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix dksh: <https://w3id.org/defkg/shapes/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .

dksh:ActivityShape a sh:NodeShape ;
    sh:targetClass :Activity ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ;
                  sh:message "an activity needs a label: add rdfs:label"@en ] ;
    sh:property [ sh:path :figure ; sh:maxCount 3 ; sh:severity sh:Warning ] .
"""


def write_tiny_project(root: Path) -> Path:
    """A small project (ontology, entities, a .ttl and a .trig source, shapes) that conforms."""
    files = {
        "ontology/defkg.ttl": TINY_ONTOLOGY,
        "data/entities.ttl": TINY_ENTITIES,
        "data/report-1.ttl": TINY_SOURCE,
        "data/report-2.trig": TINY_TRIG,
        "shapes/shapes.ttl": TINY_SHAPES,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A fresh copy of the tiny project under ``tmp_path / "project"``."""
    return write_tiny_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project (ontology/, data/, shapes/ of this repository) built once; the release
    directory. The build's reasoning cache lives beside it, in the same temporary folder."""
    from defkg.build import build
    from defkg.config import Settings

    out = tmp_path_factory.mktemp("built-release") / "dist"
    return build(Settings(root=PROJECT_ROOT, dist=out), quiet=True)
