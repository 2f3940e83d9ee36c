"""The home page: what the dataset is, its counts, the release files, the entry points."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from defkg.errors import DefkgError
from defkg.iris import IriScheme
from defkg.release import REPORT, read_build_error
from defkg.store import Store
from defkg.web.downloads import ReleaseInfo
from defkg.web.pages.common import data_graphs_filter, labels_query, prefix_block
from defkg.web.pages.errors import error_page
from defkg.web.pages.resource import build_page
from defkg.web.pages.values import Entry, Value, format_literal, link_for, short_name, value_of
from defkg.web.resources import PageContext, page_context, void_description, with_validators

blueprint = Blueprint("home", __name__)


def class_counts(store: Store, scheme: IriScheme) -> list[Entry]:
    """Every class that has instances in the data, with its instance count (inferred types
    included, so ``defkg:Activity`` counts operations too), most used first."""
    rows = store.select(
        f"""{prefix_block(scheme)}
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH ?g {{ ?s a ?c }} {data_graphs_filter(scheme, inferred=True)}
}} GROUP BY ?c"""
    )
    classes = [r["c"] for r in rows if isinstance(r.get("c"), URIRef)]
    labels = store.construct(labels_query(classes, scheme)) if classes else Graph()
    entries = [
        Entry(value_of(labels, r["c"], scheme), int(str(r["n"])))
        for r in rows
        if isinstance(r.get("c"), URIRef)
    ]
    return sorted(entries, key=lambda e: (-e.count, e.value.text.lower()))


def graph_counts(store: Store, scheme: IriScheme) -> list[Entry]:
    """Every named graph with its triple count, in name order."""
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return sorted(
        (
            Entry(
                Value(short_name(str(r["g"]), scheme), link_for(str(r["g"]), scheme), str(r["g"])),
                int(str(r["n"])),
            )
            for r in rows
            if isinstance(r.get("g"), URIRef)
        ),
        key=lambda e: e.value.iri or "",
    )


def dataset_counts(store: Store, scheme: IriScheme) -> dict[str, int]:
    """Headline counts for the home page: sources, facts (instances of defkg:Fact, inferred
    types included, as the class list and the topics count them), entities linked to
    Wikidata, minted resources."""
    data = data_graphs_filter(scheme, inferred=False)
    with_inferred = data_graphs_filter(scheme, inferred=True)
    row = store.select(
        f"""{prefix_block(scheme)}
SELECT
  (COUNT(DISTINCT ?article) AS ?sources)
  (COUNT(DISTINCT ?fact) AS ?facts)
  (COUNT(DISTINCT ?linked) AS ?linked)
  (COUNT(DISTINCT ?minted) AS ?resources)
WHERE {{
  {{ GRAPH ?g {{ ?article a schema:NewsArticle }} {data} }}
  UNION {{ GRAPH ?g {{ ?fact a defkg:Fact }} {with_inferred} }}
  UNION {{ GRAPH ?g {{ ?linked owl:sameAs ?wd FILTER(STRSTARTS(STR(?wd), STR(wd:))) }} {data} }}
  UNION {{ GRAPH ?g {{ ?minted ?p ?o FILTER(STRSTARTS(STR(?minted), STR(kg:))) }} {data} }}
}}"""
    )
    first = row[0] if row else {}
    return {
        k: int(str(first[k])) if k in first else 0
        for k in ("sources", "facts", "linked", "resources")
    }


# --- topics: what a reader comes for, each with a count that says what it counts ----------


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the home page: the instances of a class (inferred types included)."""

    key: str
    title: str
    counted: str  #: what the count counts, in the plural ("peacekeeping missions")
    classes: tuple[str, ...]  #: local names in the ontology namespace, or full IRIs
    excluded: tuple[str, ...] = ()  #: instances of these are counted elsewhere


TOPICS = (
    TopicSpec("missions", "Missions", "peacekeeping missions", ("PeacekeepingMission",)),
    TopicSpec(
        "operations",
        "Operations and activities",
        "operations, deployments, exercises, support measures and other activities",
        ("Activity",),
    ),
    TopicSpec("people", "People", "people", ("Person",)),
    TopicSpec(
        "organisations",
        "Organisations",
        "organisations (ministries, units, press offices; missions are counted above)",
        ("Organization",),
        ("PeacekeepingMission",),
    ),
    TopicSpec("places", "Places", "countries, regions, cities and territories", ("Place",)),
    TopicSpec(
        "figures",
        "Figures",
        "figures stated by the sources (counts, amounts, quantities)",
        ("Quantity",),
        ("DerivedFigure",),
    ),
    TopicSpec(
        "derived",
        "Derived figures",
        "figures computed by defkg from stated ones (totals, shares), never stated by a source",
        ("DerivedFigure",),
    ),
    TopicSpec(
        "findings",
        "Findings and readings",
        "curators' data-quality findings and readings of ambiguous phrases",
        ("DataQualityFinding", "Interpretation"),
    ),
)

#: How many members a topic shows on the home page (the rest: its class page or a query).
TOPIC_SAMPLE = 8


@dataclass
class Topic:
    spec: TopicSpec
    count: int
    members: list[Value]
    more_href: str  #: the class page (defkg classes) or the query UI listing all of them


@dataclass
class Report:
    """A source document on the home page."""

    value: Value
    published: str | None
    publisher: Value | None


def _class_iri(name: str, scheme: IriScheme) -> str:
    return name if ":" in name else f"{scheme.vocab}{name}"


def topic_pattern(spec: TopicSpec, scheme: IriScheme) -> str:
    """The graph pattern binding ``?s`` to a topic's members."""
    classes = " ".join(f"<{_class_iri(c, scheme)}>" for c in spec.classes)
    data = data_graphs_filter(scheme, inferred=True)
    pattern = f"VALUES ?topicClass {{ {classes} }} GRAPH ?g {{ ?s a ?topicClass }} {data}"
    for excluded in spec.excluded:
        pattern += f" FILTER NOT EXISTS {{ GRAPH ?gx {{ ?s a <{_class_iri(excluded, scheme)}> }} }}"
    return pattern + " FILTER(isIRI(?s))"


def topic_listing_query(spec: TopicSpec, scheme: IriScheme) -> str:
    """The SELECT the "all of them" link opens in the query UI (with inferences)."""
    classes = " ".join(f"<{_class_iri(c, scheme)}>" for c in spec.classes)
    lines = [f"# {spec.title}: {spec.counted}", "SELECT DISTINCT ?s ?label WHERE {"]
    lines.append(f"  VALUES ?topicClass {{ {classes} }}")
    lines.append("  ?s a ?topicClass .")
    for excluded in spec.excluded:
        lines.append(f"  FILTER NOT EXISTS {{ ?s a <{_class_iri(excluded, scheme)}> }}")
    lines.append('  OPTIONAL { ?s rdfs:label ?label FILTER(LANG(?label) IN ("en", "")) }')
    lines.append("} ORDER BY LCASE(STR(?label))")
    return prefix_block(scheme) + "\n".join(lines) + "\n"


def topics(store: Store, scheme: IriScheme) -> list[Topic]:
    """Every topic with its count and its first members by label."""
    out = []
    prefixes = prefix_block(scheme)
    for spec in TOPICS:
        pattern = topic_pattern(spec, scheme)
        rows = store.select(f"{prefixes}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")
        count = int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0
        members: list[Value] = []
        if count:
            sample = store.select(
                f"""{prefixes}SELECT ?s (MIN(STR(?l)) AS ?label) WHERE {{
  {pattern}
  OPTIONAL {{ GRAPH ?gl {{ ?s rdfs:label ?l }} FILTER(LANG(?l) IN ("en", "")) }}
}} GROUP BY ?s ORDER BY LCASE(?label) ?s LIMIT {TOPIC_SAMPLE}"""
            )
            nodes = [r["s"] for r in sample if "s" in r]
            labels = store.construct(labels_query(nodes, scheme)) if nodes else Graph()
            members = [value_of(labels, n, scheme) for n in nodes]
        if len(spec.classes) == 1 and ":" not in spec.classes[0] and not spec.excluded:
            more = link_for(_class_iri(spec.classes[0], scheme), scheme)
        else:
            more = "/sparql/inferred?edit=" + quote(topic_listing_query(spec, scheme), safe="")
        out.append(Topic(spec, count, members, more))
    return out


def reports(store: Store, scheme: IriScheme, limit: int = 20) -> tuple[int, list[Report]]:
    """How many source documents there are, and the latest ``limit`` of them."""
    data = data_graphs_filter(scheme, inferred=False)
    prefixes = prefix_block(scheme)
    rows = store.select(
        f"{prefixes}SELECT (COUNT(DISTINCT ?a) AS ?n) "
        f"WHERE {{ GRAPH ?g {{ ?a a schema:NewsArticle }} {data} }}"
    )
    total = int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0
    rows = store.select(
        f"""{prefixes}SELECT ?a (MIN(STR(?d)) AS ?date) (MIN(?p) AS ?publisher) WHERE {{
  GRAPH ?g {{ ?a a schema:NewsArticle }} {data}
  OPTIONAL {{ GRAPH ?g1 {{ ?a schema:datePublished ?d }} }}
  OPTIONAL {{ GRAPH ?g2 {{ ?a schema:publisher ?p }} }}
}} GROUP BY ?a ORDER BY DESC(?date) ?a LIMIT {int(limit)}"""
    )
    nodes = [r["a"] for r in rows if "a" in r] + [r["publisher"] for r in rows if "publisher" in r]
    labels = store.construct(labels_query(nodes, scheme)) if nodes else Graph()
    headlines = (
        store.construct(
            f"""{prefixes}CONSTRUCT {{ ?a rdfs:label ?h }} WHERE {{
  VALUES ?a {{ {" ".join(f"<{r['a']}>" for r in rows if "a" in r)} }}
  GRAPH ?g {{ ?a schema:headline ?h }}
}}"""
        )
        if rows
        else Graph()
    )
    for triple in headlines:
        if (triple[0], RDFS.label, None) not in labels:
            labels.add(triple)
    out = []
    for row in rows:
        date = row.get("date")
        publisher = row.get("publisher")
        out.append(
            Report(
                value=value_of(labels, row["a"], scheme),
                published=format_literal(Literal(str(date), datatype=XSD.date)) if date else None,
                publisher=value_of(labels, publisher, scheme) if publisher is not None else None,
            )
        )
    return total, out


# --- the page ----------------------------------------------------------------------------------


def validation_conforms(release: ReleaseInfo | None) -> bool | None:
    """Whether the release's SHACL report says the data conforms (None: no report)."""
    if release is None:
        return None
    report = release.directory / REPORT
    if not report.is_file():
        return None
    match = re.search(r"sh:conforms\s+(true|false)", report.read_text(encoding="utf-8"))
    return match.group(1) == "true" if match else None


_figures_lock = threading.Lock()


def home_figures(pub: PageContext) -> tuple:
    """The home page's counts and topics, computed once per release (the page is the most
    visited; its queries scan every instance)."""
    key = pub.release.tag if pub.release is not None else ""
    cache: dict = current_app.extensions.setdefault("defkg.home", {})
    with _figures_lock:
        if key in cache:
            return cache[key]
    store, scheme = pub.store, pub.scheme
    report_count, latest = reports(store, scheme)
    figures = (
        class_counts(store, scheme),
        graph_counts(store, scheme),
        dataset_counts(store, scheme),
        topics(store, scheme),
        report_count,
        latest,
    )
    with _figures_lock:
        cache.clear()  # one release at a time
        cache[key] = figures
    return figures


@blueprint.get("/")
def home() -> ResponseReturnValue:
    """What the dataset is, its counts, the release files, the VoID, the entry points."""
    pub = page_context()
    scheme = pub.scheme
    try:
        classes, graphs, counts, by_topic, report_count, latest = home_figures(pub)
    except DefkgError as error:
        return error_page(503, "Store unavailable", str(error))
    release = pub.release
    description = None
    if release is not None:
        ds = URIRef(str(scheme.dataset))
        page = build_page(void_description(release.void, ds), ds, scheme)
        description = page.descriptions[0] if page.descriptions else None
    build_error = read_build_error(pub.published.directory)  # defkg preview's last failure
    body = render_template(
        "home.html",
        build_error=build_error,
        own_classes=[c for c in classes if str(c.value.iri).startswith(str(scheme.vocab))],
        other_classes=[c for c in classes if not str(c.value.iri).startswith(str(scheme.vocab))],
        graphs=graphs,
        counts=counts,
        topics=by_topic,
        report_count=report_count,
        reports=latest,
        release=release,
        conforms=validation_conforms(release),
        description=description,
        dataset_path=scheme.path_for_iri(str(scheme.dataset)),
        ontology_path=scheme.path_for_iri(str(scheme.ontology)),
    )
    response = Response(body, mimetype="text/html")
    if build_error:
        return response  # the release's validators would hide the error from a revalidation
    return with_validators(response, release, "home")
