"""Validation passes that check only a batch's own nodes find what whole passes find.

A batch's pass checks the nodes its sources mention and their neighbours in the base; a whole
pass checks every node of its graph. Compared on the real project and on a generated corpus
with two mistakes planted, one of which puts a finding on an entity of the base that only a
source's triple causes (a source's node linking the Wikidata item of an entity).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib.compare import isomorphic

from defkg.config import Settings
from defkg.pipeline.load import load_project
from defkg.pipeline.reason import infer_by_graph, union_graph
from defkg.pipeline.validate import ValidationOutcome, validate
from generator_support import generated_project


@pytest.fixture(scope="session")
def flawed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generated_project(tmp_path_factory.mktemp("flawed") / "project", 4)
    reports = sorted(p for p in (root / "data").glob("*.ttl") if p.name != "entities.ttl")
    first = reports[0]
    entity_qid = next(
        line.split("owl:sameAs")[1].strip(" .\n")
        for line in (root / "data" / "entities.ttl").read_text().splitlines()
        if "owl:sameAs wd:" in line
    )
    # a source's node claiming an entity's Wikidata item: a finding on both, one in the base
    with first.open("a", encoding="utf-8") as handle:
        handle.write(f"\nkg:{first.stem}-briefing owl:sameAs {entity_qid} .\n")
    # a quote whose offsets disagree with its length
    second = reports[1]
    text = second.read_text(encoding="utf-8")
    marker = "oa:end "
    at = text.index(marker) + len(marker)
    end = text[at:].split(" ")[0].split(";")[0].strip()
    second.write_text(text[:at] + str(int(end) + 3) + text[at + len(end) :], encoding="utf-8")
    return root


def _both(root: Path, tmp_path: Path) -> tuple[ValidationOutcome, ValidationOutcome]:
    outcomes = []
    for whole in (False, True):
        # each in its own folder, so neither reads the other's cache
        dist = tmp_path / ("whole" if whole else "batch") / "dist"
        settings = Settings(root=root, dist=dist)
        project = load_project(settings)
        parts = infer_by_graph(project, settings)
        outcomes.append(
            validate(
                project,
                union_graph(parts, settings),
                settings,
                inferred_by_graph=parts,
                whole_passes=whole,
            )
        )
    return outcomes[0], outcomes[1]


def _assert_same(lean: ValidationOutcome, whole: ValidationOutcome) -> None:
    assert [f.format() for f in lean.findings] == [f.format() for f in whole.findings]
    assert lean.conforms == whole.conforms
    assert isomorphic(lean.report, whole.report)


def test_batch_passes_find_what_whole_passes_find(flawed_corpus: Path, tmp_path: Path) -> None:
    lean, whole = _both(flawed_corpus, tmp_path)
    _assert_same(lean, whole)
    text = "\n".join(f.format() for f in lean.findings)
    assert "entities.ttl" in text, "the planted Wikidata clash is found on the entity too"
    assert "quote selector" in text, "the planted offset mistake is found"
    assert not lean.conforms


# The real reports, alone and together; a generated corpus is compared above, with two mistakes
# planted (its batches are alike: whole passes over 24 of them took 89 s and showed no more).
@pytest.mark.parametrize("corpus", ["seed", "all"], scope="session")
def test_real_project_batch_passes_find_what_whole_passes_find(
    project_root: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "project"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(project_root / folder, copy / folder)
    lean, whole = _both(copy, tmp_path)
    _assert_same(lean, whole)
    assert lean.findings, "the real project has Info findings to compare"
