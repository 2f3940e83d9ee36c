"""What a page shows of many reports: a measure's values over time (a chart drawn on the
server, each point linking to its sentence), what other reports say of a fact (corroborated,
contradicted, updated by), what came of a plan, and an entity's facts by report and date.

Its template is the partial ``_reports.html``, included in ``resource.html``; the data comes
from the asserted graphs, the inferences (``defkg:statedIn``) and the cross-source stage's graph
``{base}graph/derived``, each named in GRAPH (the store's default graph is the asserted view).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Literal, URIRef

from defkg.iris import IriScheme
from defkg.store import Store
from defkg.web.pages.common import is_safe_iri, prefix_block
from defkg.web.pages.values import link_for


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    note: str = ""


@dataclass(frozen=True)
class Point:
    """One value of a measure: a stated figure, or the sum of a breakdown (computed by defkg)."""

    date: str
    value: Decimal
    bound: str
    label: str
    stated: bool
    sentence: Link
    source: Link
    x: float = 0.0
    y: float = 0.0


@dataclass
class Chart:
    """An inline SVG line chart of a measure's points, drawn here (no script)."""

    width: int
    height: int
    points: list[Point]
    path: str
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]


@dataclass
class Relation:
    heading: str
    links: list[Link]


@dataclass
class ReportFacts:
    source: Link
    published: str
    facts: list[Link] = field(default_factory=list)


@dataclass
class ReportsView:
    """Everything ``_reports.html`` shows for one resource (empty parts are not shown)."""

    points: list[Point] = field(default_factory=list)
    chart: Chart | None = None
    relations: list[Relation] = field(default_factory=list)
    outcome: list[Relation] = field(default_factory=list)
    by_report: list[ReportFacts] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.points or self.relations or self.outcome or self.by_report)


#: (property, direction) → the heading a reader sees; "out": this fact → the other
RELATION_HEADINGS = {
    ("corroborates", "out"): "Corroborates",
    ("corroborates", "in"): "Corroborated by",
    ("contradicts", "out"): "Contradicted by",
    ("contradicts", "in"): "Contradicted by",
    ("updates", "out"): "Updates (an earlier value)",
    ("updates", "in"): "Updated by",
    ("sameFactAs", "out"): "The same fact as",
    ("sameFactAs", "in"): "The same fact as",
}
OUTCOME_HEADINGS = {
    ("approvedBy", "out"): "Approved by",
    ("fulfils", "in"): "Taken forward by",
    ("fulfils", "out"): "Takes forward the plan",
    ("approvedBy", "in"): "Approves the plan",
}


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def measure_points(store: Store, iri: URIRef, scheme: IriScheme) -> list[Point]:
    """Every value any report gives of the measure ``iri`` (its stated totals, and the sums
    of its breakdowns that state none), by date."""
    derived = scheme.graph("derived")
    rows = store.select(f"""{prefix_block(scheme)}
SELECT ?figure ?date ?value ?bound ?label ?sentence ?sentenceLabel ?source ?sourceLabel ?stated
WHERE {{
  {{
    GRAPH ?g1 {{ ?figure defkg:observes <{iri}> ; defkg:asOf ?date ; defkg:numericValue ?value ;
        rdfs:label ?label ; prov:wasDerivedFrom ?sentence .
      OPTIONAL {{ ?figure defkg:bound ?bound }} }}
    FILTER NOT EXISTS {{ GRAPH ?g2 {{ ?anyBreakdown defkg:breakdownPart ?figure }} }}
    BIND(true AS ?stated)
  }} UNION {{
    GRAPH ?g3 {{ ?breakdown defkg:breakdownOf <{iri}> }}
    GRAPH <{derived}> {{ ?figure defkg:computedFor ?breakdown ; defkg:asOf ?date ;
        defkg:numericValue ?value ; rdfs:label ?label ; prov:wasDerivedFrom ?sentence .
      OPTIONAL {{ ?figure defkg:bound ?bound }} }}
    BIND(false AS ?stated)
  }}
  GRAPH ?g4 {{ ?sentence oa:hasSource ?source .
    OPTIONAL {{ ?sentence rdfs:label ?sentenceLabel }} }}
  OPTIONAL {{ GRAPH ?g5 {{ ?source rdfs:label ?sourceLabel }} }}
}}
ORDER BY ?date ?figure""")
    points = []
    for row in rows:
        try:
            value = Decimal(str(row["value"]))
        except (InvalidOperation, KeyError):
            continue
        sentence, source = str(row["sentence"]), str(row["source"])
        bound = str(row.get("bound") or "").rsplit("/", 1)[-1]
        points.append(
            Point(
                date=_text(row["date"]),
                value=value,
                bound=bound,
                label=_text(row["label"]),
                stated=str(row.get("stated")).lower() in ("true", "1"),
                sentence=Link(
                    _text(row.get("sentenceLabel")) or sentence, link_for(sentence, scheme)
                ),
                source=Link(_text(row.get("sourceLabel")) or source, link_for(source, scheme)),
            )
        )
    return points


def _days(date: str) -> int:
    """Days since 0001-01-01 of an xsd:date (or the first day of a gYear / gYearMonth)."""
    import datetime as dt

    parts = (date.split("T")[0] + "-01-01").split("-")[:3]
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2])).toordinal()
    except ValueError:
        return 0


def chart_of(points: list[Point], width: int = 560, height: int = 220) -> Chart | None:
    """The chart of ``points``: dates along x (to scale), values up y from zero."""
    if not points:
        return None
    left, right, top, bottom = 56, 16, 16, 36
    days = [_days(p.date) for p in points]
    low, high = min(days), max(days)
    span = max(high - low, 1)
    top_value = max(max(p.value for p in points), Decimal(1))
    scale = _nice(top_value)
    placed = []
    for point, day in zip(points, days, strict=True):
        x = left + (width - left - right) * ((day - low) / span if high > low else 0.5)
        y = top + (height - top - bottom) * (1 - float(point.value / scale))
        placed.append(replace(point, x=round(x, 1), y=round(y, 1)))
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(placed))
    y_ticks = []
    for step in range(5):
        value = scale * step / 4
        y = top + (height - top - bottom) * (1 - step / 4)
        y_ticks.append((round(y, 1), _number(value)))
    x_ticks = sorted({(p.x, p.date) for p in placed})
    return Chart(width, height, placed, path, y_ticks, x_ticks)


def _nice(value: Decimal) -> Decimal:
    """The round number at or above ``value`` the y axis ends at (1, 2 or 5 times a power of
    ten)."""
    magnitude = Decimal(1)
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= value:
            return magnitude * factor
    return magnitude * 10


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def relations_of(
    store: Store, iri: URIRef, scheme: IriScheme
) -> tuple[list[Relation], list[Relation]]:
    """What other reports' facts say of ``iri`` (corroborate, contradict, update, restate), and
    for a plan, what came of it (approved by, taken forward by)."""
    names = " ".join(
        f"defkg:{p}"
        for p in ("corroborates", "contradicts", "updates", "sameFactAs", "fulfils", "approvedBy")
    )
    rows = store.select(f"""{prefix_block(scheme)}
SELECT DISTINCT ?relation ?direction ?other ?label ?published ?graph
WHERE {{
  VALUES ?relation {{ {names} }}
  {{ GRAPH ?graph {{ <{iri}> ?relation ?other }} BIND("out" AS ?direction) }}
  UNION
  {{ GRAPH ?graph {{ ?other ?relation <{iri}> }} BIND("in" AS ?direction) }}
  FILTER(?graph != <{scheme.inferred_graph}>)
  OPTIONAL {{ GRAPH ?lg {{ ?other rdfs:label ?label }} FILTER(LANG(?label) IN ("en", "")) }}
  OPTIONAL {{ GRAPH ?ig {{ ?other defkg:statedIn ?source }}
             GRAPH ?sg {{ ?source schema:datePublished ?published }} }}
}}
ORDER BY ?published ?other""")
    grouped: dict[str, list[Link]] = {}
    outcome: dict[str, list[Link]] = {}
    derived = str(scheme.graph("derived"))
    for row in rows:
        relation = str(row["relation"]).rsplit("/", 1)[-1]
        direction = str(row["direction"])
        other = str(row["other"])
        link = Link(
            _text(row.get("label")) or other,
            link_for(other, scheme),
            ", ".join(
                part
                for part in (
                    f"reported {row['published']}" if row.get("published") else "",
                    "drawn by defkg from the data"
                    if str(row.get("graph")) == derived
                    else "stated by the curators",
                )
                if part
            ),
        )
        key = (relation, direction)
        target = outcome if key in OUTCOME_HEADINGS else grouped
        heading = OUTCOME_HEADINGS.get(key) or RELATION_HEADINGS.get(key)
        if heading and link not in target.setdefault(heading, []):
            target[heading].append(link)
    order = list(RELATION_HEADINGS.values()) + list(OUTCOME_HEADINGS.values())

    def relations(found: dict[str, list[Link]]) -> list[Relation]:
        return [Relation(h, found[h]) for h in sorted(found, key=order.index)]

    return relations(grouped), relations(outcome)


def facts_by_report(
    store: Store, iri: URIRef, scheme: IriScheme, limit: int = 500
) -> list[ReportFacts]:
    """The facts that mention ``iri``, grouped by the report that states them, newest first."""
    rows = store.select(f"""{prefix_block(scheme)}
SELECT DISTINCT ?fact ?label ?source ?sourceLabel ?published
WHERE {{
  GRAPH ?g {{ ?fact ?p <{iri}> }}
  FILTER(?g NOT IN (<{scheme.inferred_graph}>, <{scheme.graph("derived")}>,
                    <{scheme.ontology_graph}>))
  GRAPH ?t {{ ?fact a defkg:Fact }}
  GRAPH ?i {{ ?fact defkg:statedIn ?source }}
  GRAPH ?s {{ ?source schema:datePublished ?published }}
  OPTIONAL {{ GRAPH ?sl {{ ?source rdfs:label ?sourceLabel }} }}
  OPTIONAL {{ GRAPH ?fl {{ ?fact rdfs:label ?label }} }}
}}
ORDER BY DESC(?published) ?source ?label
LIMIT {limit}""")
    reports: dict[str, ReportFacts] = {}
    for row in rows:
        source = str(row["source"])
        entry = reports.setdefault(
            source,
            ReportFacts(
                Link(_text(row.get("sourceLabel")) or source, link_for(source, scheme)),
                _text(row["published"]),
            ),
        )
        fact = str(row["fact"])
        entry.facts.append(Link(_text(row.get("label")) or fact, link_for(fact, scheme)))
    return list(reports.values())


def reports_view(store: Store, iri: URIRef, scheme: IriScheme, types: set[str]) -> ReportsView:
    """The page's view of many reports, by what ``iri`` is."""
    view = ReportsView()
    if not is_safe_iri(str(iri)):
        return view
    vocab = str(scheme.vocab)
    if vocab + "Measure" in types:
        view.points = measure_points(store, iri, scheme)
        view.chart = chart_of([p for p in view.points])
        return view
    if types & {
        vocab + "Fact",
        vocab + "Quantity",
        vocab + "Activity",
        vocab + "Observation",
    } or any(t.startswith(vocab) for t in types):
        view.relations, view.outcome = relations_of(store, iri, scheme)
    if not any(t.startswith(vocab) and t.rsplit("/", 1)[-1] in _FACT_CLASSES for t in types):
        view.by_report = facts_by_report(store, iri, scheme)
        if len(view.by_report) < 2:
            view.by_report = []  # one report: the page's own lists say it all
    return view


#: classes whose instances are facts, not entities (a fact's page lists no facts by report)
_FACT_CLASSES = {
    "Fact", "Quantity", "Observation", "MonetaryAmount", "DerivedFigure", "Activity",
    "Breakdown", "PersonnelSnapshot", "CumulativePersonnelCount", "PersonnelCount",
    "Statement", "PostHolding", "Interpretation", "DataQualityFinding", "InconsistentFigures",
    "ConflictingFigures", "Decision", "Proposal", "Approval", "MissionParticipation",
    "ContingentRotation", "StaffOfficerDeployment", "PlannedDeployment",
}  # fmt: skip


def types_of(graph: Any, iri: URIRef) -> set[str]:
    """The types of ``iri`` in a page's description graph, as strings."""
    from rdflib import RDF

    return {str(t) for t in graph.objects(iri, RDF.type) if not isinstance(t, Literal)}
