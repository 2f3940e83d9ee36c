"""`defkg suggest`: figures with bounds and units, resolved dates, known and new entities."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from defkg.cli import main
from defkg.config import Settings
from defkg.curate.sources import split_sentences
from defkg.curate.suggest import load_known_entities, suggest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "kz-mod-2023-12-27.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
PUBLISHED = dt.date(2023, 12, 27)
DEFKG = Namespace("https://w3id.org/defkg/ontology/")
PROV = Namespace("http://www.w3.org/ns/prov#")

# The nineteen figures of ../shared/competency-questions.md: value, bound, unit or currency.
SEED_FIGURES = [
    (6, "exactly", None), (24, "exactly", None), (607, "exactly", None), (7, "exactly", None),
    (19, "exactly", None), (30, "exactly", None), (200, "moreThan", None),
    (400, "moreThan", "TONNE"), (500, "moreThan", None), (8, "exactly", None),
    (3000, "exactly", None), (5000, "moreThan", None), (1_800_000, "exactly", "KZT"),
    (4_000_000, "exactly", "USD"), (143, "exactly", None), (171, "exactly", None),
    (82, "exactly", None), (87, "exactly", None), (36, "exactly", None),
]  # fmt: skip

ENTITIES_TTL = """\
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix wd: <http://www.wikidata.org/entity/> .
kg:kazakhstan rdfs:label "Kazakhstan"@en ; owl:sameAs wd:Q232 .
kg:united-nations rdfs:label "United Nations"@en ; skos:altLabel "UN"@en ; owl:sameAs wd:Q1065 .
kg:zhambyl-region rdfs:label "Zhambyl Region"@en ; skos:altLabel "Jambyl Region"@en ;
    owl:sameAs wd:Q486657 .
kg:tokayev rdfs:label "Kassym-Jomart Tokayev"@en ; owl:sameAs wd:Q200881 .
kg:paris rdfs:label "Paris"@en ; owl:sameAs wd:Q90 .
kg:kamaletdinov rdfs:label "Sultan Kamaletdinov"@en ; skos:altLabel "Kamaletdinov"@en .
"""


@pytest.fixture(scope="module")
def seed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project holding the seed (added with add-source) and a small entities file."""
    root = tmp_path_factory.mktemp("suggest")
    (root / "data").mkdir()
    (root / "data" / "entities.ttl").write_text(ENTITIES_TTL, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["add-source", str(SEED), "--root", str(root), "--title", "Seed", "--date", "2023-12-27",
         "--publisher", "Press office"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def seed_suggestions(seed_project: Path):
    known = load_known_entities(Settings(root=seed_project))
    return suggest(SEED_TEXT, "kz-mod-2023-12-27", PUBLISHED, known)


def test_finds_exactly_the_nineteen_figures_with_bounds_units_and_currencies(
    seed_suggestions,
) -> None:
    found = [(f.value, f.bound, f.unit or f.currency) for f in seed_suggestions.figures]
    assert sorted(found, key=str) == sorted(SEED_FIGURES, key=str)
    for f in seed_suggestions.figures:
        assert SEED_TEXT[f.start : f.end] == f.text  # offsets point at the figure as written


def test_figures_say_what_they_count(seed_suggestions) -> None:
    labels = {f.label for f in seed_suggestions.figures}
    for expected in (
        "607 military personnel", "seven women", "over 200 people",
        "more than 400 tons of water", "over 500 military personnel", "eight helicopters",
        "Over 5,000 conscripts", "171 gold medals", "82 silver medals", "87 bronze medals",
        "36 army athletes", "1.8 million tenge", "$4 million",
    ):  # fmt: skip
        assert expected in labels


def test_figures_are_reported_in_their_sentence(seed_suggestions) -> None:
    sentences = {s.n: s for s in split_sentences(SEED_TEXT)}
    for f in seed_suggestions.figures:
        s = sentences[f.sentence]
        assert s.start <= f.start < f.end <= s.end


def test_dates_and_relative_dates_are_resolved(seed_suggestions) -> None:
    assert seed_suggestions.reference == dt.date(2023, 12, 26)  # the briefing, not the article
    dates = {(d.text, d.value, d.datatype) for d in seed_suggestions.dates}
    assert ("2023-12-27", "2023-12-27", "xsd:date") in dates
    assert ("Dec. 26", "2023-12-26", "xsd:date") in dates
    assert ("next year", "2024", "xsd:gYear") in dates
    assert ("Presently", "2023-12-26", "as-of") in dates
    assert ("Since its establishment", "2023-12-26", "interval") in dates
    assert ("July", "2023-07", "xsd:gYearMonth") in dates
    assert sum(1 for d in dates if d[:2] == ("2023", "2023")) == 1  # a set; two mentions below
    assert [d.sentence for d in seed_suggestions.dates if d.text == "2023"] == [1, 13]


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("It happened on Jan. 5 here.", "2024-01-10", ("Jan. 5", "2024-01-05", "xsd:date")),
        ("It happened on Dec. 30 here.", "2024-01-02", ("Dec. 30", "2023-12-30", "xsd:date")),
        ("It will happen next year.", "2024-06-01", ("next year", "2025", "xsd:gYear")),
        ("It happened in July.", "2024-03-01", ("July", "2023-07", "xsd:gYearMonth")),
        ("Held on 5 March 2022.", "2024-03-01", ("5 March 2022", "2022-03-05", "xsd:date")),
        ("Since 2015 they served.", "2024-03-01", ("Since 2015", "2024-03-01", "interval")),
    ],
)
def test_relative_dates_depend_on_the_source_date(
    text: str, published: str, expected: tuple[str, str, str]
) -> None:
    found = suggest(text, "x", dt.date.fromisoformat(published), [])
    assert [(d.text, d.value, d.datatype) for d in found.dates] == [expected]
    assert found.figures == []  # days and years of dates are not figures


@pytest.mark.parametrize(
    ("text", "value", "bound", "unit", "counted"),
    [
        ("They sent at least 12 tonnes of fuel.", 12, "atLeast", "TONNE", "fuel"),
        ("About twenty-five soldiers came.", 25, "approximately", None, "soldiers"),
        ("The fund got €3 billion in aid.", 3_000_000_000, "exactly", "EUR", None),
        ("It lies under 40 km away.", 40, "lessThan", "KiloM", None),
        ("Up to 2.5 million people fled.", 2_500_000, "atMost", None, "people"),
        ("No fewer than 1,250 cadets graduated.", 1250, "atLeast", None, "cadets"),
        ("It cost 3.75 tenge.", Decimal("3.75"), "exactly", "KZT", None),
        ("Readiness rose by over 15% this year.", 15, "moreThan", "PERCENT", None),
        ("Some 40 per cent of units trained.", 40, "approximately", "PERCENT", "units"),
    ],
)
def test_figure_rules(
    text: str, value: int | Decimal, bound: str, unit: str | None, counted: str | None
) -> None:
    (figure,) = suggest(text, "x", dt.date(2024, 1, 1), []).figures
    assert (figure.value, figure.bound, figure.unit or figure.currency, figure.counted) == (
        value, bound, unit, counted,
    )  # fmt: skip
    assert type(figure.value) is type(value)


def test_known_entities_are_found_with_their_wikidata_links(seed_suggestions) -> None:
    found = {(e.text, e.entity.iri, e.entity.wikidata) for e in seed_suggestions.entities}
    kg, wd = "https://w3id.org/defkg/id/", "http://www.wikidata.org/entity/"
    assert ("Kazakhstan", kg + "kazakhstan", (wd + "Q232",)) in found
    assert ("United Nations", kg + "united-nations", (wd + "Q1065",)) in found
    assert ("UN", kg + "united-nations", (wd + "Q1065",)) in found
    assert ("Zhambyl Region", kg + "zhambyl-region", (wd + "Q486657",)) in found
    assert ("Kassym-Jomart Tokayev", kg + "tokayev", (wd + "Q200881",)) in found
    assert ("Paris", kg + "paris", (wd + "Q90",)) in found
    # The longest name wins: "Sultan Kamaletdinov" once, not also "Kamaletdinov" inside it.
    sentence_one = [e.text for e in seed_suggestions.entities if e.sentence == 1]
    assert sentence_one.count("Sultan Kamaletdinov") == 1 and "Kamaletdinov" not in sentence_one
    for e in seed_suggestions.entities:
        assert SEED_TEXT[e.start : e.end] == e.text


def test_unknown_names_ranks_and_acronyms_are_candidates(seed_suggestions) -> None:
    candidates = {(c.text, c.kind) for c in seed_suggestions.candidates}
    assert ("Lieutenant-General", "rank") in candidates
    assert ("Deputy Minister of Defense", "post") in candidates
    assert ("Central Communications Service", "name") in candidates
    assert ("Golan Heights", "name") in candidates
    assert ("Western Sahara", "name") in candidates
    known = {e.text for e in seed_suggestions.entities}
    assert not known & {c.text for c in seed_suggestions.candidates}
    assert ("ASTANA", "acronym") in candidates
    assert not any(c.text in {"The", "He", "Since", "Presently", "During"} for c in
                   seed_suggestions.candidates)  # fmt: skip


def test_the_projects_own_entities_are_found_in_the_seed() -> None:
    """Every entity of data/entities.ttl whose label occurs in the seed is suggested."""
    if not (ROOT / "data" / "entities.ttl").exists():
        pytest.skip("data/entities.ttl is not written yet")
    known = load_known_entities(Settings(root=ROOT))
    found = {e.entity.iri for e in suggest(SEED_TEXT, "s", PUBLISHED, known).entities}
    expected = {k.iri for k in known if any(f" {n} " in f" {SEED_TEXT} " for n in k.names)}
    assert expected and expected <= found


def test_cli_prints_a_report_and_writes_a_draft_that_parses(seed_project: Path) -> None:
    runner = CliRunner()
    report = runner.invoke(main, ["suggest", "kz-mod-2023-12-27", "--root", str(seed_project)])
    assert report.exit_code == 0, report.output
    assert '"over 500 military personnel" → value 500, bound defkg:moreThan' in report.output
    assert "kg:kazakhstan  owl:sameAs wd:Q232" in report.output
    draft = seed_project / "draft.ttl"
    args = ["suggest", "data/kz-mod-2023-12-27.txt", "--root", str(seed_project), "--out"]
    result = runner.invoke(main, [*args, str(draft)])
    assert result.exit_code == 0, result.output
    graph = Graph().parse(draft, format="turtle")
    quantities = set(graph.subjects(PROV.wasDerivedFrom, None))
    assert len(quantities) == 19
    anchor_base = "https://w3id.org/defkg/id/kz-mod-2023-12-27/s"
    for q in quantities:
        assert str(graph.value(q, PROV.wasDerivedFrom)).startswith(anchor_base)
        assert graph.value(q, DEFKG.numericValue).datatype == XSD.integer
        assert graph.value(q, RDFS.label) is not None
    tenge = next(q for q in quantities if graph.value(q, DEFKG.numericValue).value == 1_800_000)
    assert (tenge, RDF.type, DEFKG.MonetaryAmount) in graph
    assert graph.value(tenge, DEFKG.currency) == URIRef("http://www.wikidata.org/entity/Q173751")
    assert graph.value(tenge, URIRef("https://schema.org/currency")) == Literal("KZT")
    again = runner.invoke(main, [*args, str(draft)])
    assert again.exit_code == 2 and "exists already" in again.output


def test_cli_names_an_unknown_source(seed_project: Path) -> None:
    result = CliRunner().invoke(main, ["suggest", "no-such-report", "--root", str(seed_project)])
    assert result.exit_code == 2
    assert "no such source" in result.output and "kz-mod-2023-12-27" in result.output


def test_the_guides_sample_report() -> None:
    """What docs/curating.md section 6 says suggest finds in the fictional sample."""
    text = (ROOT / "tests" / "fixtures" / "curating" / "sample-flood-relief.txt").read_text("utf-8")
    found = suggest(text, "sample", dt.date(2024, 3, 15), [])
    assert [(f.label, f.value, f.bound, f.unit) for f in found.figures] == [
        ("More than 120 military personnel", 120, "moreThan", None),
        ("six helicopters", 6, "exactly", None),
        ("at least 350 residents", 350, "atLeast", None),
        ("40 tonnes of drinking water", 40, "exactly", "TONNE"),
        ("45 servicemen", 45, "exactly", None),
    ]
    assert found.reference == dt.date(2024, 3, 14)  # "said on March 14", not the article's date
    dates = {(d.text, d.value) for d in found.dates}
    assert {("March", "2024-03"), ("March 14", "2024-03-14"), ("Presently", "2024-03-14")} <= dates


# --- the second report's ways of writing (issue 14, point 6) ---------------------------------

KT_TEXT = (ROOT / "data" / "kt-2024-01-20.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def kt_suggestions():
    # no known entities: every name is a candidate, so the name runs are seen whole
    return suggest(KT_TEXT, "kt-2024-01-20", dt.date(2024, 1, 20), [])


def test_a_count_with_a_demonym_before_what_it_counts_is_a_count(kt_suggestions) -> None:
    by_value = {f.value: f for f in kt_suggestions.figures}
    assert (by_value[67].label, by_value[67].counted) == ("67 Kazakh officers", "Kazakh officers")
    assert by_value[538].counted == "Kazakh servicemen"
    assert (by_value[430].bound, by_value[430].counted) == ("atMost", "military personnel")


def test_an_elided_count_takes_the_kind_of_the_count_before_it(kt_suggestions) -> None:
    fifth = [f for f in kt_suggestions.figures if f.sentence == 5]
    assert [(f.value, f.counted, f.elided_from) for f in fifth] == [
        (6, "officers", None),
        (2, "officers", "six officers"),
        (2, "officers", "six officers"),
        (9, "servicemen", None),
    ]


def test_multi_word_names_stay_whole_and_posts_are_posts(kt_suggestions) -> None:
    candidates = {(c.text, c.kind) for c in kt_suggestions.candidates}
    assert ("Cote d'Ivoire", "name") in candidates
    assert ("South Sudan", "name") in candidates
    assert ("Golan Heights", "name") in candidates
    assert ("President", "post") in candidates
    assert not {c.text for c in kt_suggestions.candidates} & {"Cote", "Ivoire", "South", "Sudan"}


def test_the_report_of_an_elided_count_says_to_record_the_reading() -> None:
    result = CliRunner().invoke(main, ["suggest", "kt-2024-01-20", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert 'left out: read as in "six officers"' in result.output
    assert '"67 Kazakh officers" → value 67, bound defkg:exactly, counts "Kazakh officers"' in (
        result.output
    )


def test_a_list_of_places_gives_one_name_per_place() -> None:
    """ "…, Mali, the Central African Republic and Lebanon": two names, not one (issue 14,
    point 6), through the CLI on a project that knows neither yet."""
    with CliRunner().isolated_filesystem():
        root = Path("project")
        (root / "data").mkdir(parents=True)
        added = CliRunner().invoke(
            main,
            ["add-source", str(ROOT / "data" / "kt-2024-01-20.txt"), "--root", str(root),
             "--title", "Report", "--date", "2024-01-20", "--publisher", "Kazinform"],
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        slug = Path(added.output.split("data/", 1)[1].split(".ttl", 1)[0]).name
        result = CliRunner().invoke(main, ["suggest", slug, "--root", str(root)])
    assert result.exit_code == 0, result.output
    names = re.findall(r'new\?\s+"([^"]+)"', result.output)
    assert "Central African Republic" in names and "Lebanon" in names, names
    assert not [n for n in names if " and " in n], names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("They served in Mali, the Central African Republic and Lebanon.",
         ["Mali", "Central African Republic", "Lebanon"]),
        ("Troops went to the Central African Republic and Lebanon in May.",
         ["Central African Republic", "Lebanon"]),
        ("Officers met in Bosnia and Herzegovina last week.", ["Bosnia and Herzegovina"]),
        ("He thanked the Ministry of Defence and Aerospace Industry today.",
         ["Ministry of Defence and Aerospace Industry"]),
        ("Floods hit the Abai and Zhambyl Regions.", ["Abai and Zhambyl Regions"]),
    ],
)  # fmt: skip
def test_and_ends_a_name_only_where_it_joins_two(text: str, names: list[str]) -> None:
    found = suggest(text, "x", dt.date(2024, 1, 20), [])
    assert [c.text for c in found.candidates if c.kind == "name"] == names
