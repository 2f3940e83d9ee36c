"""defkg.pipeline.load: graphs by file, precise input errors, subject lines, stable blank nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from defkg.config import Settings
from defkg.errors import InputError
from defkg.pipeline.load import load_project, scan_subject_lines

G = "https://w3id.org/defkg/graph/"
KG = "https://w3id.org/defkg/id/"


def settings_for(root: Path) -> Settings:
    return Settings(root=root, dist=root.parent / "dist")


def test_one_named_graph_per_file(tiny_project: Path) -> None:
    project = load_project(settings_for(tiny_project))
    assert sorted(str(n) for n in project.files) == [
        G + "entities",
        G + "ontology",
        G + "report-1",
        G + "report-2",
    ]
    assert project.files[URIRef(G + "report-2")] == tiny_project / "data" / "report-2.trig"
    report = project.graph(URIRef(G + "report-1"))
    assert (URIRef(KG + "unifil-2023"), None, Literal(139)) in report
    # nothing of one file leaks into another file's graph
    assert (URIRef(KG + "exercise-1"), None, None) not in report
    assert len(project.shapes) > 0
    assert len(project.dataset.graph(URIRef(G + "shapes"))) == 0


def test_trig_triples_outside_a_graph_block_go_to_the_files_graph(tiny_project: Path) -> None:
    (tiny_project / "data" / "extra.trig").write_text(
        "@prefix kg: <https://w3id.org/defkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kg:loose rdfs:label "outside any block"@en .\n'
    )
    project = load_project(settings_for(tiny_project))
    assert (URIRef(KG + "loose"), None, None) in project.graph(URIRef(G + "extra"))


def test_subject_lines_point_at_each_block(tiny_project: Path) -> None:
    project = load_project(settings_for(tiny_project))
    lines = project.subject_lines[tiny_project / "data" / "report-1.ttl"]
    text = (tiny_project / "data" / "report-1.ttl").read_text().splitlines()
    for iri in ("report-1", "unifil-2023", "un-missions", "peacekeeping"):
        line = lines[URIRef(KG + iri)]
        assert text[line - 1].startswith(f"kg:{iri} "), (iri, line)
    trig_lines = project.subject_lines[tiny_project / "data" / "report-2.trig"]
    assert trig_lines[URIRef(KG + "exercise-1")] == 7


def test_scan_skips_strings_comments_and_nested_subjects() -> None:
    text = (
        "@prefix ex: <http://e/> .\n"  # 1
        "# ex:commented a ex:C .\n"  # 2
        'ex:a ex:p "ends with a dot. ex:fake ex:p ex:q ." ;\n'  # 3
        '   ex:q """long\n'  # 4
        'ex:inside . string""" ;\n'  # 5
        "   ex:r [ ex:s ex:nested ] .\n"  # 6
        "ex:b.c ex:p 1.5 .\n"  # 7
        "<relative> ex:p ex:o .\n"  # 8
        "PREFIX other: <http://o/>\n"  # 9
        "GRAPH ex:g { other:d ex:p ex:o }\n"  # 10
    )
    lines = scan_subject_lines(text, "http://base/")
    assert lines == {
        URIRef("http://e/a"): 3,
        URIRef("http://e/b.c"): 7,
        URIRef("http://base/relative"): 8,
        URIRef("http://o/d"): 10,
    }


def error_for(tiny_project: Path, name: str, content: bytes | str) -> str:
    path = tiny_project / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_project(settings_for(tiny_project))
    return str(caught.value)


def test_syntax_error_names_file_line_and_column(tiny_project: Path) -> None:
    message = error_for(
        tiny_project,
        "data/broken.ttl",
        "@prefix kg: <https://w3id.org/defkg/id/> .\n\nkg:a kg:b kg:c ;\n  kg:d .\n",
    )
    # the "." where an object should be is the 8th character of line 4 ("  kg:d .")
    assert message.startswith(f"{tiny_project / 'data' / 'broken.ttl'}:4:8: syntax error")


def test_unknown_prefix_is_named(tiny_project: Path) -> None:
    message = error_for(
        tiny_project,
        "data/broken.ttl",
        "@prefix kg: <https://w3id.org/defkg/id/> .\nkg:a kg:b nope:c .\n",
    )
    assert message.startswith(f"{tiny_project / 'data' / 'broken.ttl'}:2:11:")
    assert "unknown prefix 'nope:'" in message


def test_not_utf8_names_the_byte(tiny_project: Path) -> None:
    message = error_for(
        tiny_project, "data/latin1.ttl", b'@prefix kg: <x:> .\nkg:a kg:b "caf\xe9" .\n'
    )
    assert message == f"{tiny_project / 'data' / 'latin1.ttl'}:2:15: not UTF-8 (byte 0xe9); " + (
        "save the file as UTF-8"
    )


def test_empty_data_folder(tiny_project: Path) -> None:
    for path in (tiny_project / "data").iterdir():
        path.unlink()
    with pytest.raises(InputError, match=r"data: the data folder holds no \.ttl or \.trig file"):
        load_project(settings_for(tiny_project))


def test_missing_shapes_folder(tiny_project: Path) -> None:
    for path in (tiny_project / "shapes").iterdir():
        path.unlink()
    (tiny_project / "shapes").rmdir()
    with pytest.raises(InputError, match=r"shapes: the shapes folder is missing"):
        load_project(settings_for(tiny_project))


def test_unreadable_file(tiny_project: Path) -> None:
    (tiny_project / "data" / "dangling.ttl").symlink_to(tiny_project / "nowhere.ttl")
    with pytest.raises(InputError, match=r"dangling\.ttl: cannot read the file"):
        load_project(settings_for(tiny_project))


def test_two_files_may_not_fill_one_graph(tiny_project: Path) -> None:
    (tiny_project / "data" / "report-1.trig").write_text(
        "@prefix graph: <https://w3id.org/defkg/graph/> .\ngraph:report-2 { <x:a> <x:b> <x:c> . }\n"
    )
    with pytest.raises(InputError, match="is already filled by"):
        load_project(settings_for(tiny_project))


def test_blank_node_labels_are_the_same_on_every_load(tiny_project: Path) -> None:
    def labels() -> set[str]:
        project = load_project(settings_for(tiny_project))
        graph = project.graph(URIRef(G + "report-1"))
        return {str(o) for o in graph.objects() if isinstance(o, BNode)}

    first = labels()
    assert len(first) == 1
    assert labels() == first


def test_data_may_not_fill_the_graphs_the_build_makes(tiny_project: Path) -> None:
    (tiny_project / "data" / "inferred.ttl").write_text("<x:a> <x:b> <x:c> .\n")
    with pytest.raises(InputError, match=r"inferred\.ttl: graph <.*graph/inferred> is filled by"):
        load_project(settings_for(tiny_project))
