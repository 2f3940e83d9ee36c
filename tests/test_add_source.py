"""`defkg add-source`: sentence anchors that match the stored text, and clear refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from defkg.cli import main
from defkg.curate.sources import FACTS_MARKER, split_sentences
from defkg.iris import OA, SCHEMA, IriScheme

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "kz-mod-2023-12-27.txt"
KG = Namespace(IriScheme().base + "id/")
DEFKG = Namespace(IriScheme().base + "ontology/")


def run_add(root: Path, file: Path, *extra: str) -> tuple[int, str]:
    args = ["add-source", str(file), "--root", str(root)]
    if "--title" not in extra:
        args += ["--title", "A title"]
    if "--date" not in extra:
        args += ["--date", "2023-12-27"]
    if "--publisher" not in extra:
        args += ["--publisher", "Some press office"]
    result = CliRunner().invoke(main, [*args, *extra])
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path


# --- sentence splitting ----------------------------------------------------------------------


def test_seed_sentences_are_exact_trimmed_and_start_with_the_dateline() -> None:
    text = SEED.read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert sentences[0].exact.startswith("date 2023-12-27 ASTANA")
    assert sentences[0].exact.endswith("reported the ministry\u2019s press office.")
    assert "Dec. 26 briefing" in sentences[0].exact  # "Dec." is not a sentence end
    for s in sentences:
        assert text[s.start : s.end] == s.exact
        assert s.exact == s.exact.strip()
    assert [s.n for s in sentences] == list(range(1, len(sentences) + 1))
    # Every non-blank character of the text is inside exactly one sentence.
    covered = "".join(s.exact for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())
    starts = [s.exact[:20] for s in sentences]
    assert "Presently, 19 milita" in starts and "Over 5,000 conscript" in starts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lt. Gen. Smith met the U.S. team. Bye.", ["Lt. Gen. Smith met the U.S. team.", "Bye."]),
        ("John F. Kennedy spoke. No. 5 won.", ["John F. Kennedy spoke.", "No. 5 won."]),
        ("Say \u201cok.\u201d Then? Yes! Do", ["Say \u201cok.\u201d", "Then?", "Yes!", "Do"]),
        ("Costs 1.8 million. Next", ["Costs 1.8 million.", "Next"]),
        ("A heading\n\nBody text\nwraps. End.", ["A heading", "Body text\nwraps.", "End."]),
        ("  \n\n  ", []),
    ],
)  # fmt: skip
def test_sentence_rules(text: str, expected: list[str]) -> None:
    assert [s.exact for s in split_sentences(text)] == expected


# --- add-source on the seed --------------------------------------------------------------------


def test_add_source_on_the_seed_writes_anchors_that_match_the_stored_text(project: Path) -> None:
    code, output = run_add(
        project,
        SEED,
        "--title",
        "Kazakhstan extends peacekeeping",
        "--place",
        "Astana",
        "--url",
        "https://example.org/news/1",
    )
    assert code == 0, output
    stored = (project / "data" / "kz-mod-2023-12-27.txt").read_text(encoding="utf-8")
    assert stored == SEED.read_text(encoding="utf-8")
    graph = Graph().parse(project / "data" / "kz-mod-2023-12-27.ttl", format="turtle")
    doc = KG["kz-mod-2023-12-27"]
    assert (doc, RDF.type, SCHEMA.NewsArticle) in graph
    assert graph.value(doc, SCHEMA.datePublished) == Literal("2023-12-27", datatype=XSD.date)
    assert graph.value(doc, SCHEMA.url) == URIRef("https://example.org/news/1")
    assert graph.value(doc, SCHEMA.locationCreated) == KG["astana"]
    anchors = list(graph.subjects(OA.hasSource, doc))
    assert len(anchors) == len(split_sentences(stored)) == 14
    for anchor in anchors:
        n = int(str(anchor).rsplit("/s", 1)[1])
        assert anchor == URIRef(f"{doc}/s{n}")
        assert (anchor, RDF.type, OA.SpecificResource) in graph
        assert graph.value(anchor, RDFS.label) == Literal(f"sentence {n}", lang="en")
        quote = URIRef(f"{anchor}-quote")
        position = URIRef(f"{anchor}-position")
        assert set(graph.objects(anchor, OA.hasSelector)) == {quote, position}
        start = graph.value(position, OA.start)
        end = graph.value(position, OA.end)
        assert start.datatype == XSD.integer and end.datatype == XSD.integer
        assert stored[start.toPython() : end.toPython()] == str(graph.value(quote, OA.exact))


def test_add_source_is_reproducible(tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        (tmp_path / name / "data").mkdir(parents=True)
        code, output = run_add(tmp_path / name, SEED, "--place", "Astana")
        assert code == 0, output
        outputs.append((tmp_path / name / "data" / "kz-mod-2023-12-27.ttl").read_bytes())
    assert outputs[0] == outputs[1]


def test_known_names_link_to_existing_entities(project: Path) -> None:
    (project / "data" / "entities.ttl").write_text(
        "@prefix kg: <https://w3id.org/defkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'kg:astana rdfs:label "Astana"@en .\n'
        'kg:kz-mod-press rdfs:label "Press office"@en ; skos:altLabel "MoD press office"@en .\n',
        encoding="utf-8",
    )
    code, output = run_add(project, SEED, "--place", "astana", "--publisher", "MoD  press office")
    assert code == 0, output
    assert "new entity" not in output
    turtle = (project / "data" / "kz-mod-2023-12-27.ttl").read_text(encoding="utf-8")
    assert "schema:publisher kg:kz-mod-press ;" in turtle
    assert "kg:astana a schema:Place" not in turtle  # not re-declared: it is known


def test_line_endings_are_normalised_and_offsets_index_the_stored_text(project: Path) -> None:
    source = project / "report.txt"
    source.write_bytes(
        "First line here.\r\nStill first.\r\n\r\nSecond \u00e9t\u00e9.\rThird.".encode()
    )
    code, output = run_add(project, source, "--slug", "crlf-report")
    assert code == 0, output
    stored = (project / "data" / "crlf-report.txt").read_bytes().decode("utf-8")
    assert stored == "First line here.\nStill first.\n\nSecond \u00e9t\u00e9.\nThird."
    graph = Graph().parse(project / "data" / "crlf-report.ttl", format="turtle")
    exacts = sorted(str(o) for o in graph.objects(None, OA.exact))
    assert exacts == sorted(["First line here.", "Still first.", "Second \u00e9t\u00e9.", "Third."])


# --- refusals ----------------------------------------------------------------------------------


def assert_refused(project: Path, code: int, output: str, *words: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output
    for word in words:
        assert word in output, output
    leftovers = sorted(p.name for p in (project / "data").iterdir())
    assert all(not name.endswith(".partial") for name in leftovers)


def test_refuses_text_that_is_not_utf8(project: Path) -> None:
    bad = project / "latin1.txt"
    bad.write_bytes("Line one.\nCaf\u00e9 au lait.".encode("latin-1"))
    code, output = run_add(project, bad)
    assert_refused(project, code, output, "latin1.txt:2:4:", "not UTF-8")
    assert list((project / "data").iterdir()) == []


def test_refuses_binary_files(project: Path) -> None:
    bad = project / "report.txt"
    bad.write_bytes(b"%PDF-1.4\x00\x00\x01")
    code, output = run_add(project, bad)
    assert_refused(project, code, output, "not plain text")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t "])
def test_refuses_an_empty_file(project: Path, content: bytes) -> None:
    empty = project / "empty.txt"
    empty.write_bytes(content)
    code, output = run_add(project, empty)
    assert_refused(project, code, output, "empty")


@pytest.mark.parametrize("date", ["2023-02-30", "27.12.2023", "yesterday", "2023-12"])
def test_refuses_a_date_that_is_not_a_date(project: Path, date: str) -> None:
    code, output = run_add(project, SEED, "--date", date)
    assert_refused(project, code, output, repr(date), "YYYY-MM-DD")
    assert list((project / "data").iterdir()) == []


def test_refuses_a_source_already_added_under_any_name(project: Path) -> None:
    assert run_add(project, SEED)[0] == 0
    copy = project / "same-text-other-name.txt"
    copy.write_bytes(SEED.read_bytes().replace(b"\n", b"\r\n"))  # same text once normalised
    code, output = run_add(project, copy)
    assert_refused(project, code, output, "already added", "kz-mod-2023-12-27.txt")
    assert not (project / "data" / "same-text-other-name.ttl").exists()


def test_refuses_a_slug_that_would_overwrite_a_file(project: Path) -> None:
    (project / "data" / "taken.ttl").write_text("# someone's work\n", encoding="utf-8")
    code, output = run_add(project, SEED, "--slug", "taken")
    assert_refused(project, code, output, "taken.ttl", "overwrite")
    assert (project / "data" / "taken.ttl").read_text(encoding="utf-8") == "# someone's work\n"
    assert not (project / "data" / "taken.txt").exists()


@pytest.mark.parametrize("slug", ["Bad Slug", "entities", "ontology", "x_y"])
def test_refuses_bad_or_reserved_slugs(project: Path, slug: str) -> None:
    code, output = run_add(project, SEED, "--slug", slug)
    assert_refused(project, code, output, repr(slug))


# --- the curator's guide, followed from a clean copy of the project ---------------------------


def test_the_curating_guide_walkthrough(tmp_path: Path) -> None:
    """docs/curating.md section 6: add a second report with no Python change; build publishes
    it in its own named graph."""
    from curating_guide import guide_block, guide_command

    root = tmp_path / "project"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / folder, root / folder)
    args = guide_command("add-source")
    args[1] = str(ROOT / args[1])  # the report's path is relative to the repository
    runner = CliRunner()
    added = runner.invoke(main, [*args, "--root", str(root)])
    assert added.exit_code == 0, added.output
    slug = args[args.index("--slug") + 1]
    ttl = root / "data" / f"{slug}.ttl"
    with ttl.open("a", encoding="utf-8") as handle:
        handle.write("\n" + guide_block("facts"))
    assert guide_command("build") == ["build"]
    built = runner.invoke(main, ["build", "--root", str(root), "--out", str(tmp_path / "dist")])
    assert built.exit_code == 0, built.output
    release = Dataset()
    release.parse(tmp_path / "dist" / "defkg.trig", format="trig")
    graph = release.graph(URIRef(f"https://w3id.org/defkg/graph/{slug}"))
    operation = KG["sample-2024-flood-relief"]
    assert (operation, RDF.type, DEFKG.DisasterResponseOperation) in graph
    assert (KG[slug], RDF.type, SCHEMA.NewsArticle) in graph
    assert graph.value(KG["sample-2024-flood-personnel"], DEFKG.bound) == DEFKG.moreThan
    anchors = set(graph.subjects(OA.hasSource, KG[slug]))
    assert len(anchors) == 4
    # The seed's graph is still there, and the new facts are only in the new graph.
    seed = release.graph(URIRef("https://w3id.org/defkg/graph/kz-mod-2023-12-27"))
    assert len(seed) > 0 and (operation, None, None) not in seed


def test_the_seeds_file_begins_with_exactly_what_add_source_writes(project: Path) -> None:
    """The seed's document node and anchors are add-source's output; its facts follow."""
    seed_ttl = ROOT / "data" / "kz-mod-2023-12-27.ttl"
    if not seed_ttl.exists():
        pytest.skip("the seed's Turtle file is not written yet")
    code, output = run_add(
        project,
        SEED,
        "--title",
        "Kazakhstan extended the scope of its peacekeeping missions in 2023",
        "--publisher",
        "kg:ministry-of-defence-of-kazakhstan-press-office",
        "--place",
        "kg:astana",
    )
    assert code == 0, output
    generated = (project / "data" / "kz-mod-2023-12-27.ttl").read_text(encoding="utf-8")
    assert generated.endswith(FACTS_MARKER + "\n")
    assert seed_ttl.read_text(encoding="utf-8").startswith(generated)
