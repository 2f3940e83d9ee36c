"""The home page: what the dataset is, its counts, the release files, the entry points."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from rdflib import Graph, URIRef

from defkg.errors import DefkgError
from defkg.iris import IriScheme
from defkg.release import REPORT, read_build_error
from defkg.web.downloads import ReleaseInfo
from defkg.web.pages.common import Store, data_graphs_filter, labels_query, prefix_block
from defkg.web.pages.errors import error_page
from defkg.web.pages.resource import build_page
from defkg.web.pages.values import Entry, Value, link_for, short_name, value_of
from defkg.web.resources import page_context, void_description, with_validators

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
    """Headline counts for the home page: sources, facts with a source sentence, entities
    linked to Wikidata, minted resources."""
    data = data_graphs_filter(scheme, inferred=False)
    row = store.select(
        f"""{prefix_block(scheme)}
SELECT
  (COUNT(DISTINCT ?article) AS ?sources)
  (COUNT(DISTINCT ?fact) AS ?facts)
  (COUNT(DISTINCT ?linked) AS ?linked)
  (COUNT(DISTINCT ?minted) AS ?resources)
WHERE {{
  {{ GRAPH ?g {{ ?article a schema:NewsArticle }} {data} }}
  UNION {{ GRAPH ?g {{ ?fact prov:wasDerivedFrom ?anchor }} {data} }}
  UNION {{ GRAPH ?g {{ ?linked owl:sameAs ?wd FILTER(STRSTARTS(STR(?wd), STR(wd:))) }} {data} }}
  UNION {{ GRAPH ?g {{ ?minted ?p ?o FILTER(STRSTARTS(STR(?minted), STR(kg:))) }} {data} }}
}}"""
    )
    first = row[0] if row else {}
    return {
        k: int(str(first[k])) if k in first else 0
        for k in ("sources", "facts", "linked", "resources")
    }


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


@blueprint.get("/")
def home() -> ResponseReturnValue:
    """What the dataset is, its counts, the release files, the VoID, the entry points."""
    pub = page_context()
    scheme = pub.scheme
    try:
        classes = class_counts(pub.store, scheme)
        graphs = graph_counts(pub.store, scheme)
        counts = dataset_counts(pub.store, scheme)
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
