"""The cross-source stage: what the build learns by reading every report at once.

Each source graph is summarised on its own (:func:`summarise`): the figures it gives of each
measure (observations, and the sum of a breakdown that states no total), its plans and later
steps of deployments with the approvals behind them, the sums and shares a reader would
compute from its figures, and the names of the entities it describes. A summary depends only
on the source's own lines and on the base (ontology + entities), and is cached by their
content, so that changing one report summarises that report again and nothing else.

The summaries are then compared (:func:`combine`), which is cheap: a few figures per report.
It draws

- **derived figures** (``defkg:DerivedFigure``): a breakdown's total where the source states
  none, the medals in all, a part's share of its whole; computed by defkg
  (``prov:wasAttributedTo kg:defkg``), never attributed to the source;
- **relations between reports** about one measure: ``defkg:sameFactAs`` and
  ``defkg:corroborates`` (compatible values), ``defkg:contradicts`` (incompatible values at one
  date, also published as a ``defkg:ConflictingFigures`` finding), ``defkg:updates`` (the next
  later, different value);
- **what came of a plan**: ``defkg:fulfils`` from a later approved or carried-out deployment to
  the same mission in the plan's period, and ``defkg:approvedBy`` the approval behind it;
- **warnings for curators**: entities that share a name without a Wikidata link to tell them
  apart, and Wikidata links not in the verified list (docs/wikidata-qids.md).

Everything is published in the graph ``{base}graph/derived``, apart from what the sources
assert. The stage runs after validation (its input is valid data) and before publishing; its
output is sorted N-Triples lines, so the release stays byte-identical for identical inputs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from defkg import patches
from defkg.config import Settings
from defkg.pipeline import load
from defkg.pipeline.cache import PickleCache, code_digest, digest_of, digest_of_lines
from defkg.pipeline.load import Project, nt_lines, triples_of
from defkg.pipeline.parallel import parallel_map

Triple = tuple[Node, Node, Node]

PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
WD_ENTITY = "http://www.wikidata.org/entity/"

#: where the verified Wikidata items are listed, relative to the project root
VERIFIED_QIDS_FILE = Path("docs") / "wikidata-qids.md"

#: statuses of a later fact that take an earlier plan forward
_FOLLOW_UP = ("approved", "ongoing", "deployed", "completed")
#: statuses of a plan
_PLANNED = ("planned", "proposed")


# --- what one source says ------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A value a source gives of a measure at a date (a stated observation or a breakdown's sum)."""

    node: str
    measure: str
    date: str
    dims: tuple[tuple[str, str], ...]  #: (dimension property, value) of a breakdown's part
    value: Decimal
    bound: str  #: local name of the bound: exactly, moreThan...
    label: str
    sentences: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Computed:
    """A figure defkg computes from stated ones: a sum or a share."""

    node: str
    value: Decimal
    bound: str
    label: str
    computation: str
    used: tuple[str, ...]
    computed_for: str
    sentences: tuple[str, ...]
    count_of: str | None = None
    unit: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Participation:
    """A participation in a mission: a plan, or a later step (approved, deployed...)."""

    node: str
    mission: str
    participants: tuple[str, ...]
    years: tuple[str, ...]
    status: str
    said: str
    approvals: tuple[tuple[str, str], ...]  #: (approval, its date)
    source: str


@dataclass
class Summary:
    """Everything :func:`combine` needs from one graph."""

    source: str | None = None
    source_label: str = ""
    figures: list[Figure] = field(default_factory=list)
    computed: list[Computed] = field(default_factory=list)
    participations: list[Participation] = field(default_factory=list)
    #: (entity, normalised name, has a Wikidata link)
    names: list[tuple[str, str, bool]] = field(default_factory=list)
    #: (entity, QID) of each owl:sameAs to Wikidata
    links: list[tuple[str, str]] = field(default_factory=list)
    #: (measure, its English label) of the measures this graph defines
    measures: list[tuple[str, str]] = field(default_factory=list)
    #: the N-Triples lines of :attr:`computed` (they depend on this graph alone)
    lines: list[str] = field(default_factory=list)


@dataclass
class Derived:
    """The stage's result: the lines of ``{base}graph/derived`` and the warnings for curators,
    with what the stage did (how many graphs it summarised and comparisons it drew anew, the
    rest coming from its cache)."""

    lines: list[str]
    warnings: list[str]
    graphs: int = 0  #: the graphs summarised (one summary each)
    comparisons: int = 0  #: the parts of the join (:class:`Comparison`)
    summarised: int = 0  #: summaries computed anew (not found in the cache)
    compared: int = 0  #: comparisons drawn anew (not found in the cache)


# --- the base: what every summary may use ------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """What the ontology and the entities say that summaries need."""

    participation_classes: frozenset[str]
    entity_classes: frozenset[str]
    broader: dict[str, tuple[str, ...]]
    labels: dict[str, str]


def base_of(project: Project, settings: Settings) -> Base:
    vocab = settings.iris.vocab
    base = Graph()
    for name in (settings.iris.ontology_graph, settings.iris.graph("entities")):
        if name in project.files:
            base += project.graph(name)

    def below(top: URIRef) -> set[str]:
        return {str(c) for c in base.transitive_subjects(RDFS.subClassOf, top)}

    entity_classes: set[str] = set()
    for top in ("Organization", "Person", "Place", "Post", "Kind", "Measure", "SportsEvent"):
        entity_classes |= below(vocab[top])
    broader: dict[str, list[str]] = defaultdict(list)
    for narrower, wider in base.subject_objects(SKOS.broader):
        broader[str(narrower)].append(str(wider))
    labels: dict[str, str] = {}
    for subject, label in base.subject_objects(RDFS.label):
        if isinstance(label, Literal) and label.language == "en":
            labels.setdefault(str(subject), str(label))
    return Base(
        participation_classes=frozenset(below(vocab.MissionParticipation)),
        entity_classes=frozenset(entity_classes),
        broader={k: tuple(sorted(v)) for k, v in broader.items()},
        labels=labels,
    )


# --- summarising one graph -----------------------------------------------------------------------


def _local(node: Node | None, namespace: Namespace) -> str:
    return str(node)[len(str(namespace)) :] if str(node).startswith(str(namespace)) else ""


def normalised_name(text: str) -> str:
    """A name as duplicates are compared: accents, case, punctuation and a leading 'the' dropped."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[^\w]+", " ", plain).strip()
    return plain.removeprefix("the ").strip()


def summarise(graph: Graph, base: Base, settings: Settings) -> Summary:
    """What one graph (a source, or the entities) gives the cross-source stage."""
    vocab = settings.iris.vocab
    summary = Summary()
    for doc in graph.subjects(SCHEMA.datePublished, None):
        if (doc, SCHEMA.name, None) in graph and (doc, vocab.textFile, None) in graph:
            summary.source = str(doc)
            summary.source_label = str(graph.value(doc, RDFS.label) or doc)
    source = summary.source or ""
    published = ""
    if summary.source:
        published = str(graph.value(URIRef(source), SCHEMA.datePublished) or "")

    def sentences(node: Node) -> tuple[str, ...]:
        return tuple(sorted(str(s) for s in graph.objects(node, PROV.wasDerivedFrom)))

    def number(node: Node) -> Decimal | None:
        value = graph.value(node, vocab.numericValue)
        if not isinstance(value, Literal):
            return None
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return None

    def bound(node: Node) -> str:
        return _local(graph.value(node, vocab.bound), vocab) or "exactly"

    def label(node: Node) -> str:
        return str(graph.value(node, RDFS.label) or node)

    def in_reading_order(nodes: list[Node]) -> list[Node]:
        """Figures of one sentence in the order the sentence names them (RDF keeps none)."""

        def position(node: Node) -> tuple[float, str]:
            text = " ".join(
                str(exact)
                for sentence in graph.objects(node, PROV.wasDerivedFrom)
                for selector in graph.objects(sentence, OA.hasSelector)
                for exact in graph.objects(selector, OA.exact)
            )
            words = [w for w in re.findall(r"\w+", label(node)) if len(w) > 2]
            found = [text.find(w) for w in words if text.find(w) >= 0]
            return (sum(found) / len(found) if found else float("inf"), str(node))

        return sorted(nodes, key=position)

    def said(node: Node) -> str:
        briefing = graph.value(node, vocab.statedAt)
        date = graph.value(briefing, SCHEMA.startDate) if briefing is not None else None
        return str(date or published)

    # figures of measures: observations ...
    breakdown_parts: set[Node] = set(graph.objects(None, vocab.breakdownPart))
    for obs in sorted(graph.subjects(vocab.observes, None), key=str):
        measure, date, value = (
            graph.value(obs, vocab.observes),
            graph.value(obs, vocab.asOf),
            number(obs),
        )
        if measure is None or date is None or value is None:
            continue
        dims: tuple[tuple[str, str], ...] = ()
        if obs in breakdown_parts:
            dims = tuple(
                sorted(
                    (str(p), str(v))
                    for p in (vocab.location, vocab.refMission)
                    for v in graph.objects(obs, p)
                )
            )
        summary.figures.append(
            Figure(str(obs), str(measure), str(date), dims, value, bound(obs), label(obs),
                   sentences(obs), source)
        )  # fmt: skip
    # ... and the sums of breakdowns that state no total
    for split in sorted(graph.subjects(RDF.type, vocab.Breakdown), key=str):
        parts = in_reading_order(list(graph.objects(split, vocab.breakdownPart)))
        values = [number(p) for p in parts]
        if (split, vocab.statedTotal, None) in graph or not parts or None in values:
            continue
        total = sum((v for v in values if v is not None), Decimal(0))
        combined = combine_bounds([bound(p) for p in parts])
        if combined is None:
            continue
        kinds = [str(k) for p in parts for k in graph.objects(p, vocab.countOf)]
        kind = common_kind(kinds, base.broader) if len(kinds) == len(parts) else None
        measure, date = graph.value(split, vocab.breakdownOf), graph.value(split, vocab.asOf)
        total_node = derived_iri(split, "total", settings)
        used = tuple(str(p) for p in parts)
        sum_text = "sum of " + " + ".join(_number_text(v) for v in values if v is not None)
        kind_label = base.labels.get(kind or "", "")
        summary.computed.append(
            Computed(
                node=total_node,
                value=total,
                bound=combined,
                label=f"{_number_text(total)} {kind_label} in all".replace("  ", " ")
                + " (computed by defkg from the parts)",
                computation="sum of "
                + " + ".join(_number_text(v) for v in values if v is not None),
                used=used,
                computed_for=str(split),
                sentences=tuple(sorted({s for p in parts for s in sentences(p)})),
                count_of=kind,
                date=str(date) if date is not None else None,
            )
        )
        if measure is not None and date is not None:
            summary.figures.append(
                Figure(str(split), str(measure), str(date), (), total, combined,
                       f"{_number_text(total)} ({sum_text[len('sum of '):]}, {label(split)})",
                       sentences(split), source)
            )  # fmt: skip

    # sums a reader would compute: the medals in all
    for fact in sorted(set(graph.subjects(vocab.medalCount, None)), key=str):
        counts = in_reading_order(list(graph.objects(fact, vocab.medalCount)))
        values = [number(c) for c in counts]
        if len(counts) < 2 or None in values:
            continue
        combined = combine_bounds([bound(c) for c in counts])
        if combined is None:
            continue
        total = sum((v for v in values if v is not None), Decimal(0))
        kinds = [str(k) for c in counts for k in graph.objects(c, vocab.countOf)]
        kind = common_kind(kinds, base.broader) if len(kinds) == len(counts) else None
        kind_label = base.labels.get(kind or "", "medal")
        summary.computed.append(
            Computed(
                node=derived_iri(fact, "medals-in-all", settings),
                value=total,
                bound=combined,
                label=f"{_number_text(total)} {_plural(kind_label)} in all (computed by defkg)",
                computation="sum of "
                + " + ".join(_number_text(v) for v in values if v is not None),
                used=tuple(str(c) for c in counts),
                computed_for=str(fact),
                sentences=tuple(sorted({s for c in counts for s in sentences(c)})),
                count_of=kind,
            )
        )
    # shares: a part of a whole ("607 personnel, including seven women")
    for part, whole in sorted(graph.subject_objects(vocab.subsetOf), key=str):
        small, large = number(part), number(whole)
        if small is None or not large or bound(part) != "exactly" or bound(whole) != "exactly":
            continue
        exact = small * 100 / large
        share = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        owner = next(iter(sorted(graph.subjects(vocab.quantity, part), key=str)), part)
        summary.computed.append(
            Computed(
                node=derived_iri(part, "share", settings),
                value=share,
                bound="exactly" if share == exact else "approximately",
                label=f"{_number_text(share)} % ({label(part)} of {label(whole)}; "
                "computed by defkg)",
                computation=f"{_number_text(small)} of {_number_text(large)} = "
                f"{_number_text(share)} % (rounded to two decimals)",
                used=(str(part), str(whole)),
                computed_for=str(owner),
                sentences=tuple(sorted(set(sentences(part)) | set(sentences(whole)))),
                unit=str(UNIT.PERCENT),
            )
        )

    # participations in missions: plans and what later reports say of them
    approvals_of: dict[Node, list[tuple[str, str]]] = defaultdict(list)
    for approval, approved in graph.subject_objects(vocab.approves):
        when = str(graph.value(approval, vocab.period) or said(approval))
        reached: set[Node] = {approved}
        reached |= set(graph.objects(approved, vocab.proposes))
        for step in list(reached):
            reached |= {n for n in graph.transitive_objects(step, vocab.hasPart) if n is not None}
        for step in reached:
            approvals_of[step].append((str(approval), when))
    for node in sorted(set(graph.subjects(vocab.mission, None)), key=str):
        types = {str(t) for t in graph.objects(node, RDF.type)}
        mission = graph.value(node, vocab.mission)
        if not types & base.participation_classes or mission is None:
            continue
        years = {str(p)[:4] for p in graph.objects(node, vocab.period)}
        years |= {str(d)[:4] for d in graph.objects(node, vocab.asOf)}
        status = _local(graph.value(node, vocab.status), vocab)
        summary.participations.append(
            Participation(
                node=str(node),
                mission=str(mission),
                participants=tuple(sorted(str(p) for p in graph.objects(node, vocab.participant))),
                years=tuple(sorted(years)),
                status=status,
                said=said(node),
                approvals=tuple(sorted(set(approvals_of.get(node, [])))),
                source=source,
            )
        )

    # names and Wikidata links of the entities this graph describes
    for entity in sorted(set(graph.subjects(RDF.type, None)), key=str):
        if not {str(t) for t in graph.objects(entity, RDF.type)} & base.entity_classes:
            continue
        linked = any(str(o).startswith(WD_ENTITY) for o in graph.objects(entity, OWL.sameAs))
        names = set(graph.objects(entity, RDFS.label)) | set(graph.objects(entity, SKOS.altLabel))
        for name in sorted({normalised_name(str(n)) for n in names} - {""}):
            summary.names.append((str(entity), name, linked))
    for measure in sorted(graph.subjects(RDF.type, vocab.Measure), key=str):
        summary.measures.append((str(measure), label(measure)))
    for entity, item in sorted(graph.subject_objects(OWL.sameAs), key=str):
        if str(item).startswith(WD_ENTITY):
            summary.links.append((str(entity), str(item)[len(WD_ENTITY) :]))
    summary.lines = nt_lines(
        t for item in summary.computed for t in computed_triples(item, settings)
    )
    return summary


def derived_iri(node: Node, what: str, settings: Settings) -> str:
    """``kg:derived-{name}-{what}``: an IRI of its own for a node the build computes."""
    namespace = str(settings.iris.resource)
    name = str(node)[len(namespace) :] if str(node).startswith(namespace) else ""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        name = hashlib.sha256(str(node).encode("utf-8")).hexdigest()[:16]
    return f"{namespace}derived-{name}-{what}"


def combine_bounds(bounds: list[str]) -> str | None:
    """The bound of a sum: exact parts give an exact sum, lower bounds a lower bound, upper
    bounds an upper bound; None when lower and upper bounds are mixed (no bound holds)."""
    kinds = set(bounds)
    if kinds <= {"exactly"}:
        return "exactly"
    if kinds <= {"exactly", "moreThan", "atLeast"}:
        return "moreThan" if "moreThan" in kinds else "atLeast"
    if kinds <= {"exactly", "lessThan", "atMost"}:
        return "lessThan" if "lessThan" in kinds else "atMost"
    if kinds <= {"exactly", "approximately"}:
        return "approximately"
    return None


def common_kind(kinds: list[str], broader: dict[str, tuple[str, ...]]) -> str | None:
    """The narrowest kind (through skos:broader) that every one of ``kinds`` falls under."""

    def ancestors(kind: str) -> list[str]:
        found, todo = [], [kind]
        while todo:
            current = todo.pop(0)
            if current not in found:
                found.append(current)
                todo.extend(broader.get(current, ()))
        return found

    if not kinds:
        return None
    shared = set(ancestors(kinds[0]))
    for kind in kinds[1:]:
        shared &= set(ancestors(kind))
    return next((k for k in ancestors(kinds[0]) if k in shared), None)


def _number_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plural(label: str) -> str:
    return label if label.endswith("s") else label + "s"


# --- comparing the summaries ------------------------------------------------------------


def interval(value: Decimal, bound: str) -> tuple[Decimal | None, bool, Decimal | None, bool]:
    """(low, low open, high, high open) of the true values a figure allows; None is unbounded."""
    if bound == "moreThan":
        return value, True, None, False
    if bound in ("atLeast", "lowerBound"):
        return value, False, None, False
    if bound == "lessThan":
        return None, False, value, True
    if bound in ("atMost", "upperBound"):
        return None, False, value, False
    if bound == "approximately":
        margin = abs(value) / 10
        return value - margin, False, value + margin, False
    return value, False, value, False


def compatible(a: Figure, b: Figure) -> bool:
    """Whether some true value satisfies both figures (their intervals meet)."""
    lo1, lo1_open, hi1, hi1_open = interval(a.value, a.bound)
    lo2, lo2_open, hi2, hi2_open = interval(b.value, b.bound)

    def below(hi: Decimal | None, hi_open: bool, lo: Decimal | None, lo_open: bool) -> bool:
        if hi is None or lo is None:
            return False
        return hi < lo or (hi == lo and (hi_open or lo_open))

    return not below(hi1, hi1_open, lo2, lo2_open) and not below(hi2, hi2_open, lo1, lo1_open)


def computed_triples(item: Computed, settings: Settings) -> list[Triple]:
    """The triples of one figure defkg computes: a sum or a share, attributed to defkg."""
    vocab = settings.iris.vocab
    node = URIRef(item.node)
    out: list[Triple] = [
        (node, RDF.type, vocab.Quantity),
        (node, RDF.type, vocab.DerivedFigure),
        (node, RDFS.label, Literal(item.label, lang="en")),
        (node, vocab.numericValue, _literal(item.value)),
        (node, vocab.bound, vocab[item.bound]),
        (node, vocab.computation, Literal(item.computation)),
        (node, vocab.computedFor, URIRef(item.computed_for)),
    ]
    out += [(node, vocab.computedFrom, URIRef(used)) for used in item.used]
    out += [(node, PROV.wasDerivedFrom, URIRef(sentence)) for sentence in item.sentences]
    out.append((node, PROV.wasAttributedTo, settings.iris.resource["defkg"]))
    if item.count_of:
        out.append((node, vocab.countOf, URIRef(item.count_of)))
    if item.unit:
        out.append((node, vocab.unit, URIRef(item.unit)))
    if item.date:
        out.append((node, vocab.asOf, Literal(item.date, datatype=XSD.date)))
    return out


@dataclass(frozen=True)
class Comparison:
    """One independent part of the join of the summaries: the figures of one measure (and one
    part of a split) across reports, or the participations in one mission.

    ``inputs`` is everything its triples depend on, so that :attr:`key` (with the stage's
    code) names its result: a report changed touches the comparisons of the measures and
    missions it speaks of, and only those are drawn again.
    """

    kind: str  #: "figures" or "plans"
    inputs: tuple

    def key(self, stage: str) -> str:
        """The cache key of this comparison's lines; ``stage``: the digest of the stage's code
        and settings (see :func:`derive`)."""
        return "compare-" + digest_of(stage, self.kind, repr(self.inputs))

    def triples(self, settings: Settings) -> set[Triple]:
        if self.kind == "figures":
            figures, measure_label, sources = self.inputs
            return relate_figures(list(figures), measure_label, dict(sources), settings)
        return follow_plans(list(self.inputs), settings)


def comparisons(summaries: list[Summary]) -> list[Comparison]:
    """The parts of the join, each with the (small) inputs it reads from the summaries."""
    labels = {s.source: s.source_label for s in summaries if s.source}
    measures = {m: text for s in summaries for m, text in s.measures}
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[Figure]] = defaultdict(list)
    by_mission: dict[str, list[Participation]] = defaultdict(list)
    for summary in summaries:
        for figure in summary.figures:
            groups[(figure.measure, figure.dims)].append(figure)
        for item in summary.participations:
            by_mission[item.mission].append(item)
    found = []
    for (measure, _dims), figures in sorted(groups.items()):
        sources = sorted({(f.source, labels[f.source]) for f in figures if f.source in labels})
        figures_in_order = tuple(sorted(figures, key=repr))
        found.append(
            Comparison(
                "figures", (figures_in_order, measures.get(measure, measure), tuple(sources))
            )
        )
    for _mission, items in sorted(by_mission.items()):
        found.append(Comparison("plans", tuple(sorted(items, key=repr))))
    return found


def relate_figures(
    figures: list[Figure], measure_label: str, sources: dict[str, str], settings: Settings
) -> set[Triple]:
    """Relations between the figures of one measure (and one part of a split) across reports:
    corroborates and sameFactAs, contradicts (with a finding) on one date, and corroborates or
    updates from one date's figures to the previous date's."""
    vocab = settings.iris.vocab
    out: set[Triple] = set()
    by_date: dict[str, list[Figure]] = defaultdict(list)
    for figure in figures:
        by_date[figure.date].append(figure)
    dates = sorted(by_date)
    for index, date in enumerate(dates):
        same_day = sorted(by_date[date], key=lambda f: (f.node, repr(f)))
        for i, a in enumerate(same_day):
            for b in same_day[i + 1 :]:
                if a.source == b.source:
                    continue
                first, second = URIRef(a.node), URIRef(b.node)
                if compatible(a, b):
                    for x, y in ((first, second), (second, first)):
                        out.add((x, vocab.corroborates, y))
                        if a.bound == b.bound == "exactly" and a.value == b.value:
                            out.add((x, vocab.sameFactAs, y))
                else:
                    out.add((first, vocab.contradicts, second))
                    out.add((second, vocab.contradicts, first))
                    _conflict(out, a, b, measure_label, sources, settings)
        if index == 0:
            continue
        for later in by_date[date]:
            for earlier in by_date[dates[index - 1]]:
                if later.source == earlier.source:
                    continue
                relation = vocab.corroborates if compatible(later, earlier) else vocab.updates
                out.add((URIRef(later.node), relation, URIRef(earlier.node)))
    return out


def follow_plans(items: list[Participation], settings: Settings) -> set[Triple]:
    """What came of the plans of participations in one mission: a later step (approved,
    deployed...) of another report, by a participant of the plan in one of its years,
    ``defkg:fulfils`` the plan, and the approvals behind that step approve it."""
    vocab = settings.iris.vocab
    out: set[Triple] = set()
    # the later steps by participant: a plan is compared with the steps of its participants
    # only (a corpus reports many countries in each mission)
    steps_of: dict[str, list[int]] = defaultdict(list)
    later_steps = [p for p in items if p.status in _FOLLOW_UP]
    for index, step in enumerate(later_steps):
        for participant in step.participants:
            steps_of[participant].append(index)
    for plan in (p for p in items if p.status in _PLANNED):
        candidates = sorted({i for who in plan.participants for i in steps_of.get(who, ())})
        for step in (later_steps[i] for i in candidates):
            if step.source == plan.source or step.said <= plan.said:
                continue
            if plan.years and not set(step.years) & set(plan.years):
                continue
            out.add((URIRef(step.node), vocab.fulfils, URIRef(plan.node)))
            for approval, when in step.approvals:
                if when > plan.said:
                    out.add((URIRef(plan.node), vocab.approvedBy, URIRef(approval)))
    return out


#: how one comparison's lines are found: drawn, or read from the stage's cache
Draw = Callable[[Comparison], list[str]]


def combine(
    summaries: list[Summary],
    settings: Settings,
    verified: set[str] | None,
    draw: Draw | None = None,
) -> Derived:
    """The derived graph's lines and the curators' warnings, from every graph's summary: each
    summary's own figures, and the lines of each :class:`Comparison` (drawn by ``draw``,
    which may take them from a cache; drawn anew without one)."""
    lines: set[str] = set()
    for summary in summaries:
        lines.update(summary.lines)
    parts = comparisons(summaries)
    for part in parts:
        lines.update(draw(part) if draw else nt_lines(part.triples(settings)))
    return Derived(
        lines=sorted(lines),
        warnings=_warnings(summaries, verified, settings),
        graphs=len(summaries),
        comparisons=len(parts),
    )


def _literal(value: Decimal) -> Literal:
    if value == value.to_integral_value() and "." not in format(value, "f"):
        return Literal(int(value), datatype=XSD.integer)
    return Literal(format(value, "f"), datatype=XSD.decimal)


def _conflict(
    out: set[Triple],
    a: Figure,
    b: Figure,
    measure_label: str,
    sources: dict[str, str],
    settings: Settings,
) -> None:
    """A ``defkg:ConflictingFigures`` finding about two incompatible figures of one measure."""
    vocab = settings.iris.vocab
    key = hashlib.sha256(f"{a.node}\n{b.node}".encode()).hexdigest()[:16]
    finding = settings.iris.resource[f"derived-conflict-{key}"]
    out.add((finding, RDF.type, vocab.ConflictingFigures))
    out.add(
        (
            finding,
            RDFS.label,
            Literal(f"conflicting figures on {a.date}: {a.label} and {b.label}", lang="en"),
        )
    )
    explanation = (
        f"For the same measure ({measure_label}) on the same date, {a.date}, "
        f"'{sources.get(a.source, a.source)}' gives {a.label} and "
        f"'{sources.get(b.source, b.source)}' gives {b.label}: no value satisfies both. "
        "The graph keeps both figures as stated and flags the pair; the build drew this "
        "finding from the data."
    )
    out.add((finding, vocab.explanation, Literal(explanation, lang="en")))
    for figure in (a, b):
        out.add((finding, vocab.flags, URIRef(figure.node)))
        out.add((URIRef(figure.node), vocab.flaggedBy, finding))
        for sentence in figure.sentences:
            out.add((finding, PROV.wasDerivedFrom, URIRef(sentence)))
    out.add((finding, PROV.wasAttributedTo, settings.iris.resource["defkg"]))


def _warnings(summaries: list[Summary], verified: set[str] | None, settings: Settings) -> list[str]:
    kg = str(settings.iris.resource)

    def short(iri: str) -> str:
        return "kg:" + iri[len(kg) :] if iri.startswith(kg) else f"<{iri}>"

    warnings = []
    by_name: dict[str, dict[str, bool]] = defaultdict(dict)
    for summary in summaries:
        for entity, name, linked in summary.names:
            by_name[name][entity] = by_name[name].get(entity, False) or linked
    reported: set[tuple[str, ...]] = set()
    for name, entities in sorted(by_name.items()):
        if len(entities) < 2 or all(entities.values()):
            continue
        group = tuple(sorted(entities))
        if group in reported:
            continue
        reported.add(group)
        warnings.append(
            f"Warning: {', '.join(short(e) for e in group)} share the name '{name}' and not all "
            "of them have a Wikidata link to tell them apart: the same entity twice? Use one "
            "IRI (keep it in data/entities.ttl), or give each its own label and link."
        )
    if verified is not None:
        for summary in summaries:
            for entity, qid in summary.links:
                if qid not in verified:
                    warnings.append(
                        f"Warning: {short(entity)} owl:sameAs wd:{qid}, which is not in the "
                        f"verified list {VERIFIED_QIDS_FILE}: verify it (two stored sources) "
                        "and add it there, or remove the link."
                    )
    return sorted(set(warnings))


# --- the stage ---------------------------------------------------------------------------


def verified_qids(settings: Settings) -> set[str] | None:
    """The QIDs of the project's verified list, or None when the project has no list."""
    path = Path(settings.root) / VERIFIED_QIDS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return set(re.findall(r"^\|[^|]*\| (Q[0-9]+) \|", text, re.M))


#: bump when the summaries or the comparisons change shape
FORMAT = "derive-2"


def derive(
    project: Project,
    settings: Settings,
    *,
    write_cache: bool = True,
    inferences: dict[URIRef, list[str]] | None = None,
) -> Derived:
    """The cross-source stage: summarise each graph, compare the summaries, both cached.

    A graph's summary is cached under the hash of its lines, the base's and the stage's code;
    the graphs without one are summarised in worker processes (:func:`parallel_map`). Each
    comparison's lines are cached under the hash of its inputs, so that a changed report
    draws again only the comparisons of the measures and missions it speaks of.

    What a graph of the project (or, given, the ``inferences``) holds already is left out, so
    the derived graph repeats no triple of the others (the endpoint counts its triples as a
    sum).
    """
    cache = PickleCache(settings, "derive", writable=write_cache)
    # what every entry depends on: the stage's code (and rdflib's version), and the base IRI
    # that its vocabulary and the IRIs it mints are under
    stage = digest_of(
        FORMAT, code_digest(load, patches, _this_module(), stage="derive"), settings.base
    )
    iris = settings.iris
    base_names = [n for n in (iris.ontology_graph, iris.graph("entities")) if n in project.files]
    base_key = digest_of(*(digest_of_lines(project.lines(n)) for n in base_names))
    names = [name for name in sorted(project.files) if name != iris.ontology_graph]
    keys = {
        name: digest_of(stage, base_key, digest_of_lines(project.lines(name))) for name in names
    }
    found: dict[URIRef, Summary] = {}
    for name in names:
        summary = cache.get(keys[name])
        if isinstance(summary, Summary):
            found[name] = summary
    misses = [name for name in names if name not in found]
    if misses:
        base = base_of(project, settings)  # before the workers fork: they inherit it

        def summary_of(name: URIRef) -> Summary:
            # a graph of its own, read from its lines, even when the project's dataset holds
            # it already (the curators' rules fill it): in the dataset's store, every lookup
            # of a graph (graph.subjects(RDF.type, None)...) runs through the triples of every
            # graph, so summarising them all grew with the square of the corpus
            return summarise(_graph(project, name), base, settings)

        made = parallel_map(summary_of, misses, workers=settings.build_workers)
        for name, summary in zip(misses, made, strict=True):
            cache.put(keys[name], summary)
            found[name] = summary

    drawn_anew = 0

    def draw(part: Comparison) -> list[str]:
        nonlocal drawn_anew
        key = part.key(stage)
        lines = cache.get(key)
        if not isinstance(lines, list):
            lines = nt_lines(part.triples(settings))
            cache.put(key, lines)
            drawn_anew += 1
        return lines

    result = combine([found[name] for name in names], settings, verified_qids(settings), draw)
    result.summarised, result.compared = len(misses), drawn_anew
    drawn = set(result.lines)
    known = {line for name in project.files for line in project.lines(name) if line in drawn}
    for lines in (inferences or {}).values():
        known.update(line for line in lines if line in drawn)
    if known:
        result.lines = [line for line in result.lines if line not in known]
    return result


def _graph(project: Project, name: URIRef) -> Graph:
    graph = Graph()
    for triple in triples_of(project.lines(name)):
        graph.add(triple)
    return graph


def _this_module():  # the module object, for its code digest
    import sys

    return sys.modules[__name__]
