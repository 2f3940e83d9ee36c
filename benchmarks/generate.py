"""Generate a realistic synthetic defkg project of N reports, for the benchmarks.

The corpus is the real project (its ontology, shapes, entities and the real article) plus N
synthetic briefing reports written the way the real one is curated: a text file, the sentence
anchors ``defkg add-source`` writes for it (so every quote matches its offsets), and the facts
below them (activities, quantities with bounds and units, money, periods, interpretations,
provenance to the sentence). Reports vary the country (16 invented countries, each with its
ministry, armed forces, people, posts and regions), the year (2015-2024), the missions (the
five UN missions of the real entities, with their verified Wikidata links) and every figure.
Invented entities state ``defkg:wikidataStatus defkg:noVerifiedWikidataItem``: no QID is made up.

The reports of one country over the years give the same measures (personnel serving now, and
since the unit's establishment) as ``defkg:Observation``s, so the build's cross-source stage
has work at scale: every fourth report splits the serving personnel by mission with no total
(a breakdown); a country's plan for next year is the mission its next year's report rotates
in (a plan carried out); and every fifth report has a news agency's digest, two days later,
restating the serving figure for the briefing's date: the same figure (corroborated) or,
every other time, a different one (a conflict the build flags).

Output is deterministic: the same arguments give byte-identical files.

    python benchmarks/generate.py --reports 150 --out /tmp/corpus-100k
    python benchmarks/generate.py --triples 100000 --out /tmp/corpus-100k
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from defkg.curate.sources import (
    EntityRef,
    SourceInfo,
    content_hash,
    source_turtle,
    split_sentences,
    turtle_string,
)
from defkg.iris import DEFAULT_BASE, IriScheme

REPO = Path(__file__).resolve().parent.parent

#: Triples one synthetic report adds to the release, all named graphs counted: about 520
#: asserted plus 260 inferred (measured on a 20-report build).
TRIPLES_PER_REPORT = 780
#: The fixed part of the release: ontology, shapes, entities (real and invented), the real
#: article, and their inferences.
FIXED_TRIPLES = 5_500

COUNTRY_NAMES = (
    ("Aldoria", "Aldorian"), ("Borvania", "Borvanian"), ("Carpathia", "Carpathian"),
    ("Dastria", "Dastrian"), ("Elmaria", "Elmarian"), ("Feronia", "Feronian"),
    ("Galdovia", "Galdovian"), ("Hesperia", "Hesperian"), ("Istria Nova", "Istrian"),
    ("Jorvania", "Jorvanian"), ("Kestoria", "Kestorian"), ("Lunaria", "Lunarian"),
    ("Marovia", "Marovian"), ("Norelia", "Norelian"), ("Ostravia", "Ostravian"),
    ("Pelagonia", "Pelagonian"),
)  # fmt: skip
GIVEN = ("Arman", "Dana", "Erlan", "Gulnara", "Marat", "Saule", "Timur", "Aigerim", "Nurlan")
FAMILY = ("Bekov", "Sadykova", "Orlov", "Temirova", "Zhanov", "Karimova", "Ospanov", "Ilyina")
COMPASS = ("North", "South", "East", "West", "Central", "Lake", "Mountain", "River")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
#: The typography of the real articles, spelled out so the source stays plain ASCII.
EN_DASH, APOSTROPHE, OPEN_QUOTE, CLOSE_QUOTE = "\u2013", "\u2019", "\u201c", "\u201d"
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip


@dataclass(frozen=True)
class Mission:
    """One of the UN missions of the real entities file, and how a report names its place."""

    slug: str
    name: str
    place: str  #: how the text names where it is


MISSIONS = (
    Mission("unifil", "UNIFIL", "Lebanon"),
    Mission("minurso", "MINURSO", "Western Sahara"),
    Mission("minusca", "MINUSCA", "the Central African Republic"),
    Mission("monusco", "MONUSCO", "the Democratic Republic of the Congo"),
    Mission("undof", "UNDOF", "the Golan Heights"),
)


@dataclass(frozen=True)
class Country:
    """An invented country and the entities every report about it refers to."""

    slug: str
    name: str
    adjective: str
    capital: str
    regions: tuple[str, ...]
    president: str
    deputy: str

    @property
    def deputy_surname(self) -> str:
        return self.deputy.split()[-1]


def slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def make_countries() -> list[Country]:
    """The 16 invented countries, each with a capital, three regions and two office holders."""
    countries = []
    for k, (name, adjective) in enumerate(COUNTRY_NAMES):
        regions = tuple(f"{COMPASS[(k + j * 3) % len(COMPASS)]} {name} Region" for j in range(3))
        countries.append(
            Country(
                slug=slugify(name),
                name=name,
                adjective=adjective,
                capital=f"{name} City",
                regions=regions,
                president=f"{GIVEN[k % len(GIVEN)]} {FAMILY[(k * 3) % len(FAMILY)]}",
                deputy=f"{GIVEN[(k + 4) % len(GIVEN)]} {FAMILY[(k * 5 + 1) % len(FAMILY)]}",
            )
        )
    return countries


def entities_turtle(countries: Iterable[Country]) -> str:
    """The invented countries' reference entities, in the real entities file's patterns."""
    out = [
        "",
        "# " + "=" * 93,
        "# Synthetic entities (benchmarks/generate.py): invented countries, no Wikidata items",
        "# " + "=" * 93,
        "",
    ]
    no_item = "    defkg:wikidataStatus defkg:noVerifiedWikidataItem .\n"
    for c in countries:
        s = c.slug
        pres, dep = slugify(c.president), slugify(c.deputy)
        out.append(
            f'kg:{s} a defkg:Country ;\n    rdfs:label "{c.name}"@en ;\n{no_item}\n'
            f'kg:{slugify(c.capital)} a defkg:City ;\n    rdfs:label "{c.capital}"@en ;\n'
            f"    defkg:country kg:{s} ;\n{no_item}"
        )
        for region in c.regions:
            out.append(
                f'kg:{slugify(region)} a defkg:Region ;\n    rdfs:label "{region}"@en ;\n'
                f"    defkg:country kg:{s} ;\n{no_item}"
            )
        out.append(
            f'kg:{pres} a defkg:Person ;\n    rdfs:label "{c.president}"@en ;\n'
            f"    org:holds kg:president-of-{s} ;\n{no_item}\n"
            f'kg:president-of-{s} a defkg:Post ;\n    rdfs:label "President of {c.name}"@en ;\n'
            f"    org:heldBy kg:{pres} ;\n{no_item}\n"
            f'kg:{dep} a defkg:Person ;\n    rdfs:label "{c.deputy}"@en ;\n'
            f"    defkg:rank kg:lieutenant-general ;\n"
            f"    org:holds kg:deputy-minister-of-defence-of-{s} ;\n{no_item}\n"
            f"kg:deputy-minister-of-defence-of-{s} a defkg:Post ;\n"
            f'    rdfs:label "Deputy Minister of Defence of {c.name}"@en ;\n'
            f"    org:postIn kg:ministry-of-defence-of-{s} ;\n"
            f"    org:heldBy kg:{dep} ;\n{no_item}\n"
            f"kg:government-of-{s} a defkg:GovernmentBody ;\n"
            f'    rdfs:label "Government of {c.name}"@en ;\n    defkg:country kg:{s} ;\n{no_item}\n'
            f"kg:ministry-of-defence-of-{s} a defkg:Ministry ;\n"
            f'    rdfs:label "Ministry of Defence of {c.name}"@en ;\n    defkg:country kg:{s} ;\n'
            f"{no_item}\n"
            f"kg:ministry-of-defence-of-{s}-press-office a defkg:PressOffice ;\n"
            f'    rdfs:label "press office of the Ministry of Defence of {c.name}"@en ;\n'
            f"    org:unitOf kg:ministry-of-defence-of-{s} ;\n{no_item}\n"
            f"kg:armed-forces-of-{s} a defkg:ArmedForces ;\n"
            f'    rdfs:label "Armed Forces of {c.name}"@en ;\n'
            f"    defkg:country kg:{s} ;\n{no_item}\n"
            f"kg:{s}-peacekeeping-unit a defkg:PeacekeepingUnit ;\n"
            f'    rdfs:label "{c.adjective} peacekeeping unit"@en ;\n'
            f"    org:subOrganizationOf kg:armed-forces-of-{s} ;\n{no_item}\n"
            f"kg:army-aviation-of-{s} a defkg:MilitaryUnit ;\n"
            f'    rdfs:label "army aviation of the Armed Forces of {c.name}"@en ;\n'
            f"    org:subOrganizationOf kg:armed-forces-of-{s} ;\n{no_item}\n"
            f"kg:{s}-press-centre a defkg:GovernmentBody ;\n"
            f'    rdfs:label "{c.adjective} Government Press Centre"@en ;\n'
            f"    defkg:country kg:{s} ;\n{no_item}\n"
            f"kg:{s}-news-agency a defkg:Organization ;\n"
            f'    rdfs:label "{c.adjective} News Agency"@en ;\n'
            f"    defkg:country kg:{s} ;\n{no_item}\n"
            f"kg:measure-{s}-peacekeepers-serving a defkg:Measure ;\n"
            f'    rdfs:label "{c.adjective} military personnel serving in UN peacekeeping"@en ;\n'
            f'    rdfs:comment "How many military personnel of {c.name} serve in UN peacekeeping '
            f'at a date."@en ;\n{no_item}\n'
            f"kg:measure-{s}-personnel-since-establishment a defkg:Measure ;\n"
            f'    rdfs:label "personnel who have served with the {c.adjective} peacekeeping unit '
            f'since its establishment"@en ;\n'
            f'    rdfs:comment "A cumulative count up to a date."@en ;\n{no_item}'
        )
    return "\n".join(out) + "\n"


def words(n: int) -> str:
    """Small numbers in words, as the articles write them; the rest with thousands commas."""
    return NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else f"{n:,}"


@dataclass(frozen=True)
class Report:
    """One synthetic report: its slug, text, metadata and facts."""

    slug: str
    text: str
    info: SourceInfo
    facts: str
    digest: Report | None = None  #: a news agency's digest of the same briefing, if any


def make_report(
    i: int, country: Country, year: int, seed: int, countries: int = len(COUNTRY_NAMES)
) -> Report:
    """The i-th report: a year-end briefing of ``country`` in ``year``, figures drawn by seed
    (``countries``: how many countries the corpus has)."""
    rng = random.Random(f"{seed}:{i}")
    c, s = country, country.slug
    # Reports of one country and year are spread over the weeks of the year, so slugs differ.
    nth = i // (countries * 10)
    briefing = dt.date(year, 1, 10) + dt.timedelta(days=(nth * 7 + rng.randrange(7)) % 350)
    published = briefing + dt.timedelta(days=1)
    slug = f"{s}-mod-{published.isoformat()}"
    p = f"{slug}-"  # the prefix of every fact node of this report
    month = MONTHS[briefing.month - 1]
    fire_month = rng.randrange(4, 9)
    region_a, region_b = rng.sample(c.regions, 2)
    # the mission planned for next year is the one next year's report rotates in
    k = [name for name, _ in COUNTRY_NAMES].index(country.name)
    rotation = MISSIONS[(k + year) % len(MISSIONS)]
    planned = MISSIONS[(k + year + 1) % len(MISSIONS)]
    others = [m for m in MISSIONS if m not in (rotation, planned)]
    staff = rng.sample(others, rng.randrange(1, len(others) + 1))
    split = i % 4 == 3  # the serving personnel given by mission, with no total
    n = {
        "hosted": rng.randrange(2, 12),
        "abroad": rng.randrange(8, 40),
        "total": rng.randrange(150, 1500),
        "women": rng.randrange(2, 40),
        "present": rng.randrange(8, 60),
        "present_staff": rng.randrange(2, 7),
        "equipment": rng.randrange(5, 80),
        "saved": rng.randrange(2, 9) * 50,
        "water": rng.randrange(2, 12) * 50,
        "fire_personnel": rng.randrange(2, 12) * 50,
        "helicopters": rng.randrange(2, 14),
        "placements": rng.randrange(5, 40) * 100,
        "conscripts": rng.randrange(2, 12) * 500,
        "usd": rng.randrange(2, 90) / 10,
        "events": rng.randrange(40, 200),
        "gold": rng.randrange(20, 200),
        "silver": rng.randrange(20, 150),
        "bronze": rng.randrange(20, 150),
    }
    staff_places = [m.place for m in staff]
    staff_text = (
        staff_places[0]
        if len(staff_places) == 1
        else ", ".join(staff_places[:-1]) + ", and " + staff_places[-1]
    )
    sentences = [
        f"{c.capital.upper()} {EN_DASH} {c.name} extended the scope of its peacekeeping "
        f"missions in {year}, as was instructed by President {c.president}, said Deputy "
        f"Minister of Defense Lieutenant-General {c.deputy} at a {month[:3]}. {briefing.day} "
        f"briefing in the {c.adjective} Government Press Centre, reported the "
        f"ministry{APOSTROPHE}s press office.",
        f"The ministry organized {words(n['hosted'])} international exercises within {c.name}, "
        f"while {c.adjective} military personnel participated in {words(n['abroad'])} exercises "
        "and competitions hosted by other countries.",
        f"{OPEN_QUOTE}The rotations of the {c.adjective} contingent are ongoing in the United "
        f"Nations (UN) mission in {rotation.place}, with staff officers also deployed to "
        f"{staff_text},{CLOSE_QUOTE} "
        f"{c.deputy_surname} noted.",
        "He revealed plans to send the national contingent to the UN "
        f"{planned.name} mission in {planned.place} next year.",
        f"Since its establishment, the {c.adjective} peacekeeping unit has seen a total of "
        f"{words(n['total'])} military personnel, including {words(n['women'])} women, serve in "
        "various missions.",
        (
            f"Presently, {words(n['present_staff'])} staff officers serve in {staff[0].place}, "
            f"and {words(n['present'] - n['present_staff'])} military personnel serve in "
            f"{rotation.place}."
        )
        if split
        else f"Presently, {words(n['present'])} military personnel from the Armed Forces of "
        f"{c.name} are involved in peacekeeping operations.",
        f"{c.deputy_surname} acknowledged the ministry{APOSTROPHE}s participation in disaster "
        f"response and recovery efforts, particularly in the {region_a} and the {region_b}.",
        "He cited cases where military efforts rescued "
        f"{words(n['equipment'])} pieces of equipment from snow entrapment and saved over "
        f"{words(n['saved'])} people in the {region_b}.",
        f"During a {MONTHS[fire_month - 1]} firefighting operation in the {region_a}, army "
        f"aviation dropped more than {words(n['water'])} tons of water, with over "
        f"{words(n['fire_personnel'])} military personnel, including "
        f"{words(n['helicopters'])} helicopters, engaged in the firefighting efforts.",
        "To enhance the appeal of compulsory military service, the government has allocated "
        f"{words(n['placements'])} free university placements for soldiers transitioning to the "
        "reserve.",
        f"Efforts have been made to negotiate {OPEN_QUOTE}credit holidays{CLOSE_QUOTE} with "
        "second-tier banks for "
        "soldiers.",
        f"Over {words(n['conscripts'])} conscripts have received deferred payments totaling "
        f"${n['usd']:g} million, with additional educational benefits for those who have served.",
        f"Military athletes participated in {words(n['events'])} sporting events at various "
        f"levels in {year}, securing {words(n['gold'])} gold, {words(n['silver'])} silver, and "
        f"{words(n['bronze'])} bronze medals.",
    ]
    text = f"date {published.isoformat()} " + " ".join(sentences[:2]) + "\n\n"
    paragraphs = (sentences[2:4], sentences[4:6], sentences[6:9], sentences[9:12], sentences[12:])
    text += "\n\n".join(" ".join(paragraph) for paragraph in paragraphs) + "\n"
    found = [x.exact for x in split_sentences(text)]
    expected = [f"date {published.isoformat()} {sentences[0]}", *sentences[1:]]
    if found != expected:
        raise AssertionError(f"{slug}: the sentence splitter does not see the generated sentences")

    publisher = EntityRef(f"{DEFAULT_BASE}id/ministry-of-defence-of-{s}-press-office", "")
    place = EntityRef(f"{DEFAULT_BASE}id/{slugify(c.capital)}", "")
    title = f"{c.name} extended the scope of its peacekeeping missions in {year}"
    info = SourceInfo(
        slug=slug,
        title=title,
        date=published,
        publisher=publisher,
        sha256=content_hash(text),
        place=place,
    )

    dep = f"kg:{slugify(c.deputy)}"
    quotation = sentences[2].split(CLOSE_QUOTE)[0].removeprefix(OPEN_QUOTE).rstrip(",")
    brief = f"kg:{p}briefing"
    said = f"    defkg:statedAt {brief} ;\n"

    def ref(n_sentence: int, who: str = dep) -> str:
        return f"    prov:wasDerivedFrom src:s{n_sentence} ;\n    prov:wasAttributedTo {who} .\n"

    def qty(
        node: str,
        label: str,
        value: int,
        bound: str,
        sentence: int,
        extra: str = "",
        kind: str = "Quantity",
    ) -> str:
        return (
            f"kg:{p}{node} a defkg:{kind} ;\n    rdfs:label {turtle_string(label)}@en ;\n"
            f"    defkg:numericValue {value} ;\n    defkg:bound defkg:{bound} ;\n{extra}"
            + ref(sentence)
        )

    def reading(node: str, label: str, phrase: str, value: str, about: str, sentence: int) -> str:
        return (
            f"kg:{p}reading-{node} a defkg:Interpretation ;\n"
            f"    rdfs:label {turtle_string(label)}@en ;\n"
            f"    defkg:phrase {turtle_string(phrase)} ;\n    {value} ;\n"
            f'    defkg:explanation "Relative to the briefing of {briefing.isoformat()}."@en ;\n'
            f"    defkg:interprets kg:{p}{about} ;\n    oa:hasTarget src:s{sentence} ;\n"
            + ref(sentence, "kg:defkg-curators")
        )

    year_lit = f'"{year}"^^xsd:gYear'
    day = briefing.isoformat()
    day_lit = f'"{day}"^^xsd:date'
    facts = [
        f'kg:{slug} schema:dateline "{c.capital.upper()}" ;\n    schema:inLanguage "en" ;\n'
        f"    defkg:reports {brief} .\n",
        f"{brief} a defkg:Briefing ;\n"
        f'    rdfs:label "briefing by Lt-Gen {c.deputy}, {briefing.isoformat()}"@en ;\n'
        f"    schema:startDate {day_lit} ;\n    defkg:period {day_lit} ;\n"
        f"    defkg:speaker {dep} ;\n    defkg:speakerPost kg:deputy-minister-of-defence-of-{s} ;\n"
        f"    defkg:venue kg:{s}-press-centre ;\n    defkg:reportedIn kg:{slug} ;\n"
        + ref(1, f"kg:ministry-of-defence-of-{s}-press-office"),
        f"kg:{p}scope-extension a defkg:ScopeExtension ;\n"
        f"    rdfs:label {turtle_string(title)}@en ;\n"
        f"    defkg:agent kg:{s} ;\n    defkg:activityArea kg:un-peacekeeping ;\n"
        f"    defkg:instructedBy kg:{slugify(c.president)} ;\n    defkg:period {year_lit} ;\n"
        f"    defkg:status defkg:completed ;\n{said}" + ref(1),
        f"kg:{p}exercises-hosted a defkg:ExerciseHosting ;\n"
        f'    rdfs:label "{words(n["hosted"])} international exercises within {c.name}"@en ;\n'
        f"    defkg:organizer kg:ministry-of-defence-of-{s} ;\n    defkg:location kg:{s} ;\n"
        f"    defkg:period {year_lit} ;\n    defkg:quantity kg:{p}exercises-hosted-count ;\n"
        f"{said}" + ref(2),
        qty("exercises-hosted-count", f"{words(n['hosted'])} international exercises",
            n["hosted"], "exactly", 2, "    defkg:countOf kg:international-military-exercise ;\n"),
        f"kg:{p}exercises-abroad a defkg:ExerciseAttendance ;\n"
        f'    rdfs:label "{c.adjective} personnel in {n["abroad"]} exercises abroad"@en ;\n'
        f"    defkg:participant kg:armed-forces-of-{s} ;\n    defkg:locationOutside kg:{s} ;\n"
        f"    defkg:period {year_lit} ;\n    defkg:quantity kg:{p}exercises-abroad-count ;\n"
        f"{said}" + ref(2),
        qty("exercises-abroad-count", f"{n['abroad']} exercises and competitions abroad",
            n["abroad"], "exactly", 2, "    defkg:countOf kg:military-exercise-or-competition ;\n"),
    ]  # fmt: skip
    deployments = [(rotation, "ContingentRotation", "national-contingent", "rotations of the")]
    deployments += [
        (m, "StaffOfficerDeployment", "staff-officer", "staff officers of the") for m in staff
    ]
    facts.append(
        f"kg:{p}statement-missions a defkg:Statement ;\n"
        f'    rdfs:label "{c.deputy_surname} on the contingent and staff officers"@en ;\n'
        f"    defkg:directQuotation {turtle_string(quotation)}@en ;\n"
        f"    defkg:speaker {dep} ;\n{said}"
        f"    defkg:supports {', '.join(f'kg:{p}{m.slug}-deployment' for m, *_ in deployments)} ;\n"
        + ref(3)
    )
    for mission, kind, role, words_ in deployments:
        facts.append(
            f"kg:{p}{mission.slug}-deployment a defkg:{kind} ;\n"
            f'    rdfs:label "{words_} {c.adjective} contingent in {mission.name}"@en ;\n'
            f"    defkg:mission kg:{mission.slug} ;\n    defkg:participant kg:{s} ;\n"
            f"    defkg:deployedAs kg:{role} ;\n    defkg:status defkg:ongoing ;\n"
            f"    defkg:asOf {day_lit} ;\n    defkg:period {year_lit} ;\n{said}" + ref(3)
        )
    facts += [
        f"kg:{p}planned-deployment a defkg:PlannedDeployment ;\n"
        f'    rdfs:label "planned deployment to {planned.name} in {year + 1}"@en ;\n'
        f"    defkg:mission kg:{planned.slug} ;\n    defkg:participant kg:{s} ;\n"
        f"    defkg:deployedAs kg:national-contingent ;\n    defkg:status defkg:planned ;\n"
        f'    defkg:period "{year + 1}"^^xsd:gYear ;\n'
        f"    defkg:interpretedBy kg:{p}reading-next-year ;\n{said}" + ref(4),
        reading("next-year", f"'next year' read as {year + 1}", "next year",
                f'defkg:readAsValue "{year + 1}"^^xsd:gYear', "planned-deployment", 4),
        f"kg:{p}personnel-since-establishment a defkg:CumulativePersonnelCount ;\n"
        f'    rdfs:label "{n["total"]} personnel served with the unit since it was set up"@en ;\n'
        f"    defkg:organization kg:{s}-peacekeeping-unit ;\n"
        f"    defkg:activityArea kg:un-peacekeeping ;\n    defkg:asOf {day_lit} ;\n"
        f"    defkg:timeSpan kg:{p}since-establishment ;\n"
        f"    defkg:quantity kg:{p}personnel-total, kg:{p}personnel-women ;\n{said}" + ref(5),
        f"kg:{p}since-establishment a time:Interval ;\n"
        f'    rdfs:label "from the establishment of the unit to the briefing of {day}"@en ;\n'
        f"    time:hasBeginning kg:{p}unit-establishment ;\n"
        f"    time:hasEnd kg:{p}briefing-day .\n",
        f"kg:{p}unit-establishment a time:Instant ;\n"
        f'    rdfs:label "establishment of the {c.adjective} peacekeeping unit (not dated)"@en .\n',
        f"kg:{p}briefing-day a time:Instant ;\n"
        f'    rdfs:label "{day}, the day of the briefing"@en ;\n'
        f"    time:inXSDDate {day_lit} .\n",
        qty("personnel-total", f"{words(n['total'])} military personnel", n["total"], "exactly",
            5, "    defkg:countOf kg:military-personnel ;\n"
            f"    defkg:observes kg:measure-{s}-personnel-since-establishment ;\n"
            f"    defkg:asOf {day_lit} ;\n", kind="Observation"),
        qty("personnel-women", f"{words(n['women'])} women", n["women"], "exactly", 5,
            "    defkg:countOf kg:military-personnel ;\n    defkg:gender schema:Female ;\n"
            f"    defkg:subsetOf kg:{p}personnel-total ;\n"),
        *snapshot_facts(p, s, n, split, staff[0], rotation, day_lit, said, ref, qty),
        reading("presently", f"'presently' read as {briefing.isoformat()}", "Presently",
                f"defkg:readAsValue {day_lit}", "peacekeepers-deployed", 6),
        f"kg:{p}disaster-response a defkg:DisasterResponseOperation ;\n"
        f'    rdfs:label "disaster response in the {region_a} and the {region_b}"@en ;\n'
        f"    defkg:participant kg:ministry-of-defence-of-{s} ;\n"
        f"    defkg:activityArea kg:disaster-response ;\n"
        f"    defkg:location kg:{slugify(region_a)}, kg:{slugify(region_b)} ;\n"
        f"    defkg:period {year_lit} ;\n"
        f"    defkg:hasPart kg:{p}snow-rescue, kg:{p}firefighting ;\n{said}" + ref(7),
        f"kg:{p}snow-rescue a defkg:RescueOperation ;\n"
        f'    rdfs:label "snow rescue in the {region_b}"@en ;\n'
        f"    defkg:agent kg:armed-forces-of-{s} ;\n    defkg:hazard kg:snow-entrapment ;\n"
        f"    defkg:location kg:{slugify(region_b)} ;\n    defkg:period {year_lit} ;\n"
        f"    defkg:achieved kg:{p}equipment-freed, kg:{p}people-saved ;\n{said}" + ref(8),
        qty("equipment-freed", f"{words(n['equipment'])} pieces of equipment rescued",
            n["equipment"], "exactly", 8, "    defkg:countOf kg:equipment ;\n"),
        qty("people-saved", f"over {words(n['saved'])} people saved", n["saved"], "moreThan",
            8, "    defkg:countOf kg:people ;\n"),
        f"kg:{p}firefighting a defkg:FirefightingOperation ;\n"
        f'    rdfs:label "firefighting operation in the {region_a}, '
        f'{MONTHS[fire_month - 1]} {year}"@en ;\n'
        f"    defkg:agent kg:armed-forces-of-{s} ;\n    defkg:hazard kg:wildfire ;\n"
        f"    defkg:location kg:{slugify(region_a)} ;\n"
        f'    defkg:period "{year}-{fire_month:02d}"^^xsd:gYearMonth ;\n'
        f"    defkg:resourceUsed kg:{p}water-dropped, kg:{p}fire-personnel, kg:{p}helicopters ;\n"
        f"    defkg:interpretedBy kg:{p}reading-month ;\n{said}" + ref(9),
        reading("month", f"'{MONTHS[fire_month - 1]}' read as {MONTHS[fire_month - 1]} {year}",
                f"a {MONTHS[fire_month - 1]} firefighting operation",
                f'defkg:readAsValue "{year}-{fire_month:02d}"^^xsd:gYearMonth', "firefighting", 9),
        qty("water-dropped", f"more than {words(n['water'])} tonnes of water", n["water"],
            "moreThan", 9, "    defkg:unit unit:TONNE ;\n    defkg:substance kg:water ;\n"
            f"    defkg:providedBy kg:army-aviation-of-{s} ;\n"),
        qty("fire-personnel", f"over {words(n['fire_personnel'])} military personnel",
            n["fire_personnel"], "moreThan", 9, "    defkg:countOf kg:military-personnel ;\n"),
        qty("helicopters", f"{words(n['helicopters'])} helicopters", n["helicopters"],
            "exactly", 9, "    defkg:countOf kg:helicopter ;\n"),
        f"kg:{p}university-placements a defkg:UniversityPlacementAllocation ;\n"
        f'    rdfs:label "{words(n["placements"])} free university placements"@en ;\n'
        f"    defkg:organizer kg:government-of-{s} ;\n"
        f"    defkg:beneficiary kg:soldier-transitioning-to-reserve ;\n"
        f'    defkg:purpose "to enhance the appeal of compulsory military service"@en ;\n'
        f"    defkg:status defkg:completed ;\n"
        f"    defkg:quantity kg:{p}university-placements-count ;\n{said}" + ref(10),
        qty("university-placements-count", f"{words(n['placements'])} free university placements",
            n["placements"], "exactly", 10, "    defkg:countOf kg:free-university-placement ;\n"),
        f"kg:{p}credit-holidays a defkg:CreditHoliday ;\n"
        f'    rdfs:label "credit holidays for soldiers, negotiated with second-tier banks"@en ;\n'
        f"    defkg:beneficiary kg:soldier ;\n    defkg:counterparty kg:second-tier-bank ;\n"
        f"    defkg:status defkg:underNegotiation ;\n{said}" + ref(11),
        f"kg:{p}deferred-payments a defkg:DeferredPayment ;\n"
        f'    rdfs:label "deferred payments to over {n["conscripts"]:,} conscripts"@en ;\n'
        f"    defkg:beneficiary kg:conscript ;\n    defkg:status defkg:completed ;\n"
        f"    defkg:quantity kg:{p}deferred-payments-recipients ;\n"
        f"    defkg:totalAmount kg:{p}deferred-payments-total ;\n{said}" + ref(12),
        qty("deferred-payments-recipients", f"over {words(n['conscripts'])} conscripts",
            n["conscripts"], "moreThan", 12, "    defkg:countOf kg:conscript ;\n"),
        f"kg:{p}deferred-payments-total a defkg:MonetaryAmount ;\n"
        f'    rdfs:label "${n["usd"]:g} million"@en ;\n'
        f"    defkg:numericValue {round(n['usd'] * 1_000_000)} ;\n    defkg:bound defkg:exactly ;\n"
        f'    defkg:currency wd:Q4917 ;\n    schema:currency "USD" ;\n' + ref(12),
        f"kg:{p}education-benefits a defkg:EducationBenefit ;\n"
        f'    rdfs:label "additional educational benefits for those who have served"@en ;\n'
        f"    defkg:beneficiary kg:former-service-member ;\n{said}" + ref(12),
        f"kg:{p}military-sport a defkg:SportingParticipation ;\n"
        f'    rdfs:label "military athletes in {n["events"]} sporting events in {year}"@en ;\n'
        f"    defkg:participant kg:armed-forces-of-{s} ;\n    defkg:period {year_lit} ;\n"
        f"    defkg:quantity kg:{p}sporting-events ;\n"
        f"    defkg:medalCount kg:{p}gold-medals, kg:{p}silver-medals, kg:{p}bronze-medals ;\n"
        f"{said}" + ref(13),
        qty("sporting-events", f"{words(n['events'])} sporting events", n["events"], "exactly",
            13, "    defkg:countOf kg:sporting-event ;\n"),
    ]  # fmt: skip
    for medal in ("gold", "silver", "bronze"):
        facts.append(
            qty(f"{medal}-medals", f"{words(n[medal])} {medal} medals", n[medal], "exactly", 13,
                f"    defkg:countOf kg:{medal}-medal ;\n")
        )  # fmt: skip
    digest = None
    if i % 5 == 4:
        same = (i // 5) % 2 == 0
        digest = make_digest(c, briefing, n["present"] if same else n["present"] + 3)
    return Report(slug, text, info, "\n".join(facts), digest)


def snapshot_facts(p, s, n, split, staff, rotation, day_lit, said, ref, qty) -> list[str]:
    """The serving personnel of a report: one figure, or (``split``) a breakdown by mission
    with no total, both observations of the country's measure at the briefing's date."""
    measure = (
        f"    defkg:observes kg:measure-{s}-peacekeepers-serving ;\n    defkg:asOf {day_lit} ;\n"
    )
    head = (
        f"kg:{p}peacekeepers-deployed a defkg:PersonnelSnapshot"
        + (", defkg:Breakdown" if split else "")
        + " ;\n"
        f'    rdfs:label "{n["present"]} personnel in peacekeeping operations"@en ;\n'
        f"    defkg:organization kg:armed-forces-of-{s} ;\n"
        f"    defkg:activityArea kg:un-peacekeeping ;\n    defkg:asOf {day_lit} ;\n"
    )
    if not split:
        return [
            head + f"    defkg:quantity kg:{p}peacekeepers-deployed-count ;\n"
            f"    defkg:interpretedBy kg:{p}reading-presently ;\n{said}" + ref(6),
            qty("peacekeepers-deployed-count", f"{words(n['present'])} military personnel",
                n["present"], "exactly", 6, "    defkg:countOf kg:military-personnel ;\n" + measure,
                kind="Observation"),
        ]  # fmt: skip
    officers, rest = n["present_staff"], n["present"] - n["present_staff"]
    return [
        head + f"    defkg:breakdownOf kg:measure-{s}-peacekeepers-serving ;\n"
        "    defkg:breakdownDimension defkg:refMission ;\n"
        f"    defkg:breakdownPart kg:{p}serving-{staff.slug}, kg:{p}serving-{rotation.slug} ;\n"
        f"    defkg:interpretedBy kg:{p}reading-presently ;\n{said}" + ref(6),
        qty(f"serving-{staff.slug}", f"{words(officers)} staff officers in {staff.place}",
            officers, "exactly", 6, "    defkg:countOf kg:staff-officer ;\n" + measure
            + f"    defkg:refMission kg:{staff.slug} ;\n", kind="Observation"),
        qty(f"serving-{rotation.slug}", f"{words(rest)} military personnel in {rotation.place}",
            rest, "exactly", 6, "    defkg:countOf kg:military-personnel ;\n" + measure
            + f"    defkg:refMission kg:{rotation.slug} ;\n", kind="Observation"),
    ]  # fmt: skip


def make_digest(c: Country, briefing: dt.date, present: int) -> Report:
    """A news agency's one-sentence digest of a briefing, two days later, restating the
    serving personnel for the briefing's date (the build compares the two reports)."""
    published = briefing + dt.timedelta(days=3)
    slug = f"{c.slug}-news-{published.isoformat()}"
    sentence = (
        f"{c.capital.upper()} {EN_DASH} According to the ministry{APOSTROPHE}s briefing of "
        f"{briefing.isoformat()}, {words(present)} military personnel from the Armed Forces of "
        f"{c.name} were involved in peacekeeping operations on that day."
    )
    text = sentence + "\n"
    if [x.exact for x in split_sentences(text)] != [sentence]:
        raise AssertionError(f"{slug}: the sentence splitter does not see the digest's sentence")
    agency = f"kg:{c.slug}-news-agency"
    info = SourceInfo(
        slug=slug,
        title=f"{c.name} has {present} personnel in peacekeeping, the ministry said",
        date=published,
        publisher=EntityRef(f"{DEFAULT_BASE}id/{c.slug}-news-agency", ""),
        sha256=content_hash(text),
        place=EntityRef(f"{DEFAULT_BASE}id/{slugify(c.capital)}", ""),
    )
    day = f'"{briefing.isoformat()}"^^xsd:date'
    facts = (
        f"kg:{slug}-serving a defkg:PersonnelSnapshot ;\n"
        f'    rdfs:label "{present} personnel in peacekeeping operations on {briefing}"@en ;\n'
        f"    defkg:organization kg:armed-forces-of-{c.slug} ;\n"
        f"    defkg:activityArea kg:un-peacekeeping ;\n    defkg:asOf {day} ;\n"
        f"    defkg:quantity kg:{slug}-serving-count ;\n"
        f"    prov:wasDerivedFrom src:s1 ;\n    prov:wasAttributedTo {agency} .\n\n"
        f"kg:{slug}-serving-count a defkg:Observation ;\n"
        f'    rdfs:label "{words(present)} military personnel"@en ;\n'
        f"    defkg:numericValue {present} ;\n    defkg:bound defkg:exactly ;\n"
        f"    defkg:countOf kg:military-personnel ;\n"
        f"    defkg:observes kg:measure-{c.slug}-peacekeepers-serving ;\n"
        f"    defkg:asOf {day} ;\n"
        f"    prov:wasDerivedFrom src:s1 ;\n    prov:wasAttributedTo {agency} .\n"
    )
    return Report(slug, text, info, facts)


def report_count_for(triples: int) -> int:
    """How many reports give about ``triples`` triples in the whole release."""
    return max(1, round((triples - FIXED_TRIPLES) / TRIPLES_PER_REPORT))


def generate(
    out: Path,
    reports: int,
    *,
    seed: int = 1,
    include_real: bool = True,
    countries: int = len(COUNTRY_NAMES),
) -> list[str]:
    """Write a complete project with ``reports`` synthetic reports to ``out``; return the slugs.

    ``out`` is replaced. The ontology, shapes and queries are the repository's own; the
    entities file is the real one plus the invented countries. ``countries`` (at most 16) takes
    the first few countries only, so that a small corpus still has each country reporting
    over several years (the tests' corpus of many reports).
    """
    iris = IriScheme(DEFAULT_BASE)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("ontology", "shapes", "queries"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, out / folder)
    data = out / "data"
    data.mkdir(parents=True)
    if not 1 <= countries <= len(COUNTRY_NAMES):
        raise ValueError(f"countries: 1 to {len(COUNTRY_NAMES)}, not {countries}")
    reporting = make_countries()[:countries]
    entities = (REPO / "data" / "entities.ttl").read_text(encoding="utf-8")
    (data / "entities.ttl").write_text(entities + entities_turtle(reporting), encoding="utf-8")
    if include_real:
        for real in sorted((REPO / "data").glob("*")):
            if real.name != "entities.ttl" and real.suffix in (".ttl", ".txt", ".trig"):
                shutil.copyfile(real, data / real.name)
    slugs = []
    for i in range(reports):
        country = reporting[i % countries]
        year = 2015 + (i // countries) % 10
        report = make_report(i, country, year, seed, countries)
        for each in (report, report.digest):
            if each is None:
                continue
            (data / f"{each.slug}.txt").write_text(each.text, encoding="utf-8", newline="\n")
            turtle = source_turtle(each.info, each.text, iris) + "\n" + each.facts
            (data / f"{each.slug}.ttl").write_text(turtle, encoding="utf-8", newline="\n")
            slugs.append(each.slug)
    return slugs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--reports", type=int, help="number of synthetic reports")
    size.add_argument("--triples", type=int, help="approximate size of the release in triples")
    parser.add_argument("--out", type=Path, required=True, help="project directory to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-real", action="store_true", help="leave out the real article")
    args = parser.parse_args(argv)
    count = args.reports if args.reports is not None else report_count_for(args.triples)
    slugs = generate(args.out, count, seed=args.seed, include_real=not args.no_real)
    print(f"wrote {len(slugs)} synthetic reports to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
