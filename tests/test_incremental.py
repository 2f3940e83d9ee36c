"""An incremental build touches only what changed, and publishes what a build from scratch does.

The build caches each data file's parse (load), each pass (reason, validate) and each graph's
rendering (publish). These tests count, in one process, which files are parsed and which graphs
rendered when one report changes, and compare the result with a build from an empty cache; they
also check that a release assembled from per-graph pieces equals the whole rendered at once.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

import defkg.pipeline.load
import defkg.pipeline.render.fragments
from defkg.config import Settings
from defkg.pipeline.build import build
from defkg.pipeline.cache import cache_dir, code_digest
from defkg.pipeline.load import load_project, nt_lines
from defkg.pipeline.reason import source_batches
from defkg.pipeline.render import syntax
from defkg.pipeline.render.fragments import JSONLD, TURTLE, Renderer, merged_pieces
from generator_support import generated_project


def _snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def many_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project of 12 reports: two reasoning batches."""
    return generated_project(tmp_path_factory.mktemp("incremental") / "project", 12)


def test_an_edit_parses_and_renders_only_its_batch(
    many_reports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(many_reports, project)
    # one process, so that the counters see every parse and every rendering
    settings = Settings(root=project, dist=tmp_path / "out" / "dist", build_workers=1)
    parsed: Counter[str] = Counter()
    rendered: list[list[str]] = []
    parse = defkg.pipeline.load._parse_data_file
    render = defkg.pipeline.render.fragments.Renderer.render_many

    def counting_parse(dataset, path, text, name):  # type: ignore[no-untyped-def]
        parsed[path.name] += 1
        return parse(dataset, path, text, name)

    def counting_render(self, graphs):  # type: ignore[no-untyped-def]
        rendered.extend(lines for lines, _jsonld in graphs)
        return render(self, graphs)

    monkeypatch.setattr(defkg.pipeline.load, "_parse_data_file", counting_parse)
    monkeypatch.setattr(defkg.pipeline.render.fragments.Renderer, "render_many", counting_render)

    build(settings, quiet=True)
    reports = sorted(p for p in (project / "data").glob("*.ttl") if p.name != "entities.ttl")
    assert set(parsed) == {p.name for p in reports} | {"entities.ttl"}
    full_lines = sum(len(lines) for lines in rendered)
    parsed.clear()
    rendered.clear()

    build(settings, quiet=True)
    assert parsed == Counter(), "an unchanged file is not parsed again"
    assert rendered == [], "an unchanged project is not rendered again"
    parsed.clear()

    changed = reports[3]
    with changed.open("a", encoding="utf-8") as handle:
        handle.write(f'kg:{changed.stem}-note rdfs:label "an added note"@en .\n')
    build(settings, quiet=True)

    loaded = load_project(settings)
    name = settings.iris.graph(changed.stem)
    batch = next(b for b in source_batches(loaded, settings) if name in b)
    batch_files = {loaded.files[n].name for n in batch}
    assert len(batch_files) < len(reports), "the corpus has more than one batch"
    assert parsed == Counter({changed.name: 1}), "only the changed file is parsed"
    assert loaded.lines(name) in rendered, "the changed graph is rendered again"
    incremental_lines = sum(len(lines) for lines in rendered)
    # the changed graph, its pass's inferences and the entities they share with other passes
    assert incremental_lines < full_lines / 2, (incremental_lines, full_lines)

    # from scratch, with worker processes (the search index is made in one of its own)
    scratch = Settings(root=project, dist=tmp_path / "scratch" / "dist")
    monkeypatch.undo()
    build(scratch, quiet=True)
    assert _snapshot(settings.dist) == _snapshot(scratch.dist)


def test_a_second_load_parses_no_data_file_until_asked(many_reports: Path, tmp_path: Path) -> None:
    settings = Settings(root=many_reports, dist=tmp_path / "dist")
    first = load_project(settings, write_cache=True)
    data_files = {p for p in first.files.values() if p.parent.name == "data"}
    # even the first load keeps no data graph: each is parsed where it is used
    assert set(first.unparsed) == data_files
    second = load_project(settings, write_cache=True)
    assert set(second.unparsed) == data_files
    for name in sorted(second.files):
        assert nt_lines(second.graph(name)) == first.lines(name) == second.lines(name)
        assert second.is_parsed(name)
    assert second.subject_lines == first.subject_lines


def test_a_damaged_cache_entry_is_ignored(many_reports: Path, tmp_path: Path) -> None:
    settings = Settings(root=many_reports, dist=tmp_path / "dist")
    first = load_project(settings, write_cache=True)
    for entry in (cache_dir(settings) / "load").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    second = load_project(settings, write_cache=True)
    entries = list((cache_dir(settings) / "load").glob("*.pickle"))
    assert entries and all(e.read_bytes() != b"not a pickle" for e in entries), "parsed again"
    assert {n: second.lines(n) for n in second.files} == {n: first.lines(n) for n in first.files}


def test_pieces_of_graphs_that_share_a_subject_make_the_union(
    many_reports: Path, tmp_path: Path
) -> None:
    settings = Settings(root=many_reports, dist=tmp_path / "dist")
    project = load_project(settings)
    entities = settings.iris.graph("entities")
    report = next(
        n for n in sorted(project.files) if n not in (entities, settings.iris.ontology_graph)
    )
    # the report restates facts about an entity: that subject is in both graphs
    entity = next(iter(project.graph(entities).subjects()))
    extra = Graph()
    for triple in project.graph(entities).triples((entity, None, None)):
        extra.add(triple)
    extra.add((entity, URIRef("http://example.org/p"), URIRef("http://example.org/o")))
    second = nt_lines(list(project.graph(report)) + list(extra))
    first = project.lines(entities)

    renderer = Renderer(settings)
    fragments = renderer.fragments([(first, True), (second, True)])
    pairs = zip((first, second), fragments, strict=True)
    pieces = merged_pieces(pairs, renderer, with_jsonld=True)
    union = Graph()
    for triples in (project.graph(entities), project.graph(report), extra):
        for triple in triples:
            union.add(triple)
    prefixes = settings.iris.prefixes()
    assert syntax.turtle_document(prefixes, (p[TURTLE] for p in pieces)) == syntax.write_turtle(
        union, prefixes
    )
    whole = syntax.compact_nodes(
        [node for _k, node in syntax.expanded_nodes(union)], renderer.context
    )
    expected = json.dumps(
        {"@context": renderer.context["@context"], "@graph": whole},
        indent=1,
        ensure_ascii=False,
        sort_keys=True,
    )
    assert syntax.jsonld_document(renderer.context, (p[JSONLD] for p in pieces)) == (
        expected + "\n"
    ).encode("utf-8")


def test_an_empty_jsonld_document_is_what_json_writes(many_reports: Path, tmp_path: Path) -> None:
    context = syntax.read_project_context(Settings(root=many_reports, dist=tmp_path / "dist"))
    expected = json.dumps(
        {"@context": context["@context"], "@graph": []},
        indent=1,
        ensure_ascii=False,
        sort_keys=True,
    )
    assert syntax.jsonld_document(context, []) == (expected + "\n").encode("utf-8")


def test_a_build_removes_the_cache_entries_it_no_longer_needs(
    many_reports: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(many_reports, project)
    settings = Settings(root=project, dist=tmp_path / "out" / "dist")
    build(settings, quiet=True)
    folders = ("load", "reason", "validate", "publish")

    def entries() -> dict[str, set[str]]:
        return {f: {p.name for p in (cache_dir(settings) / f).glob("*.pickle")} for f in folders}

    before = entries()
    report = sorted(p for p in (project / "data").glob("*.ttl") if p.name != "entities.ttl")[0]
    with report.open("a", encoding="utf-8") as handle:
        handle.write(f'kg:{report.stem}-note rdfs:label "an added note"@en .\n')
    build(settings, quiet=True)
    after = entries()
    for folder in folders:
        assert len(after[folder]) == len(before[folder]), folder
    # the edited file's old record is gone, its new one is there
    assert after["load"] != before["load"]
    assert len(after["load"] - before["load"]) == 1


def test_cache_keys_follow_the_code(tmp_path: Path) -> None:
    """An entry made by other code is never read: the keys hash the code's source files."""
    source = tmp_path / "defkg_probe_module.py"
    source.write_text("ANSWER = 1\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("defkg_probe_module", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = code_digest(module)
    assert code_digest(module) == before
    source.write_text("ANSWER = 2\n", encoding="utf-8")
    assert code_digest(module) != before


def test_loading_outside_a_build_writes_no_cache(many_reports: Path, tmp_path: Path) -> None:
    settings = Settings(root=many_reports, dist=tmp_path / "elsewhere" / "dist")
    load_project(settings)
    assert not cache_dir(settings).exists()
