"""Dereferencing and pages over a small known release (``test_pages_fixture.trig``), through a
real `defkg serve`: content negotiation, 303s, headers, caching, 404/406, the RDF of a resource
with its provenance, the HTML pages (values, Source panel, Same as, ontology docs, home page),
and escaping of markup in the data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from defkg.iris import OA
from test_pages_support import FORMATS, RDFLIB, fetch, serve, write_pages_release

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/defkg/"
ABAI = "id/abai-firefighting-2023"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pages")
    dist = write_pages_release(root / "dist")
    yield from serve(dist, root, PROJECT_ROOT)


def rdf_of(site: str, path: str, ext: str) -> Graph:
    answer = fetch(f"{site}{path}.{ext}")
    assert answer.status == 200, answer.text
    return Graph().parse(data=answer.body, format=RDFLIB[ext], publicID=site + path)


@pytest.mark.parametrize("ext", list(FORMATS))
def test_an_iri_answers_303_to_the_document_of_the_accepted_format(site: str, ext: str) -> None:
    answer = fetch(site + ABAI, {"Accept": FORMATS[ext]})
    assert answer.status == 303
    assert answer.headers["location"] == f"/{ABAI}.{ext}"
    assert "Accept" in answer.headers["vary"]
    for other in FORMATS:
        assert f'</{ABAI}.{other}>; rel="alternate"' in answer.headers["link"]
    assert "max-age" in answer.headers["cache-control"]


def test_q_values_decide_between_formats(site: str) -> None:
    answer = fetch(site + ABAI, {"Accept": "text/html;q=0.5, application/n-triples"})
    assert answer.headers["location"].endswith(".nt")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert fetch(site + ABAI, {"Accept": browser}).headers["location"].endswith(".html")


def test_a_type_we_cannot_give_is_406_naming_what_we_can(site: str) -> None:
    answer = fetch(site + ABAI, {"Accept": "image/png"})
    assert answer.status == 406
    assert "text/turtle" in answer.text and "application/ld+json" in answer.text


@pytest.mark.parametrize("ext", list(FORMATS))
def test_a_document_url_answers_in_its_format_with_validators(site: str, ext: str) -> None:
    answer = fetch(f"{site}{ABAI}.{ext}", {"Accept": "image/png"})  # the URL decides, not Accept
    assert answer.status == 200
    assert answer.headers["content-type"].startswith(FORMATS[ext])
    assert answer.headers["etag"] and answer.headers["last-modified"]
    assert answer.headers["last-modified"] == "Thu, 28 Dec 2023 00:00:00 GMT"  # the VoID's date
    assert "Accept" in answer.headers["vary"]
    assert 'rel="alternate"' in answer.headers["link"]
    again = fetch(f"{site}{ABAI}.{ext}", {"If-None-Match": answer.headers["etag"]})
    assert again.status == 304 and again.body == b""
    since = fetch(f"{site}{ABAI}.{ext}", {"If-Modified-Since": answer.headers["last-modified"]})
    assert since.status == 304
    stale = fetch(f"{site}{ABAI}.{ext}", {"If-None-Match": '"not-the-tag"'})
    assert stale.status == 200


def test_each_format_has_its_own_etag(site: str) -> None:
    tags = {fetch(f"{site}{ABAI}.{ext}").headers["etag"] for ext in FORMATS}
    assert len(tags) == len(FORMATS)


@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_an_iri_not_in_the_dataset_is_404(site: str, accept: str) -> None:
    answer = fetch(site + "id/no-such-thing", {"Accept": accept})
    assert answer.status == 404
    assert "https://w3id.org/defkg/id/no-such-thing" in answer.text
    if accept == "text/html":
        assert answer.headers["content-type"].startswith("text/html")
        assert "<h1>" in answer.text
    for ext in FORMATS:
        assert fetch(f"{site}id/no-such-thing.{ext}").status == 404


def test_a_path_with_characters_no_iri_has_is_404_not_an_error(site: str) -> None:
    for path in ("id/a%3Eb", "id/%22quoted%22", "id/a%7Bb%7D.ttl", "id/x%20y"):
        assert fetch(site + path).status == 404, path


@pytest.mark.parametrize("ext", ["ttl", "nt", "rdf", "jsonld"])
def test_every_format_carries_the_same_description(site: str, ext: str) -> None:
    from rdflib.compare import isomorphic

    assert isomorphic(rdf_of(site, ABAI, ext), rdf_of(site, ABAI, "nt"))


def test_the_rdf_of_a_fact_holds_its_figures_provenance_and_labels(site: str) -> None:
    graph = rdf_of(site, ABAI, "ttl")
    fact = URIRef(BASE + ABAI)
    defkg = URIRef(BASE + "ontology/")
    quantity = URIRef(BASE + "id/abai-firefighting-2023-personnel")
    assert (fact, URIRef(defkg + "quantity"), quantity) in graph
    # the figure's parts, not only its link
    assert (quantity, URIRef(defkg + "numericValue"), Literal(500)) in graph
    assert (quantity, URIRef(defkg + "bound"), URIRef(defkg + "moreThan")) in graph
    # provenance down to the selectors, the source and the speaker's label
    anchor = URIRef(BASE + "id/kz-mod-2023-12-27/s7")
    quote = URIRef(BASE + "id/kz-mod-2023-12-27/s7-quote")
    assert (anchor, OA.hasSelector, quote) in graph
    exact = graph.value(quote, OA.exact)
    assert exact is not None and "over 500 military personnel" in str(exact)
    assert graph.value(URIRef(BASE + "id/kz-mod-2023-12-27/s7-position"), OA.start) == Literal(1456)
    assert graph.value(URIRef(BASE + "id/sultan-kamaletdinov"), RDFS.label) == Literal(
        "Sultan Kamaletdinov", lang="en"
    )
    # labels of everything mentioned
    assert graph.value(URIRef(BASE + "id/abai-region"), RDFS.label) == Literal(
        "Abai Region", lang="en"
    )
    # nothing about unrelated resources
    assert (URIRef(BASE + "id/kazakhstan"), None, None) not in graph


def test_the_rdf_of_an_entity_holds_its_incoming_links_and_their_sources(site: str) -> None:
    graph = rdf_of(site, "id/abai-region", "nt")
    region = URIRef(BASE + "id/abai-region")
    fact = URIRef(BASE + ABAI)
    assert (fact, URIRef(BASE + "ontology/place"), region) in graph
    assert graph.value(fact, RDFS.label) is not None
    assert (None, OA.exact, None) in graph  # the sentence of the incoming fact


def test_jsonld_is_compacted_with_the_published_context(site: str) -> None:
    document = json.loads(fetch(f"{site}{ABAI}.jsonld").body)
    context = json.loads(fetch(site + "context.jsonld").body)
    assert document["@context"] == context["@context"]
    assert "@graph" in document
    served = fetch(site + "context.jsonld")
    assert served.headers["content-type"].startswith("application/ld+json")


def test_documents_are_byte_identical_across_requests(site: str) -> None:
    for ext in ("ttl", "nt", "rdf", "jsonld", "html"):
        assert fetch(f"{site}{ABAI}.{ext}").body == fetch(f"{site}{ABAI}.{ext}").body


def test_a_fact_page_reads_like_the_article(site: str) -> None:
    page = fetch(f"{site}{ABAI}.html").text
    assert "<title>Abai Region firefighting, July 2023" in page
    assert "over 500 military personnel" in page
    assert "more than 400 tonnes of water" in page
    assert "July 2023" in page and "2023-07" not in page  # dates as dates
    # the Source panel: the sentence with its figures marked, the speaker, the article
    source = page[page.index('id="source"') : page.index('id="statements"')]
    assert "<mark>over 500</mark>" in source
    assert "<mark>more than 400</mark>" in source
    assert 'href="/id/sultan-kamaletdinov"' in source
    assert 'href="/id/kz-mod-2023-12-27"' in source
    assert "27 December 2023" in source
    assert "characters 1456\u20131660" in source
    # links go to local pages; every RDF format and the query UI are offered
    assert 'href="/id/abai-region"' in page
    for ext in ("ttl", "jsonld", "nt", "rdf"):
        assert f'href="/{ABAI}.{ext}"' in page
    assert 'href="/sparql?edit=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fdefkg%2Fid%2Fabai' in page


def test_money_reads_with_its_currency(site: str) -> None:
    page = fetch(site + "id/deferred-payments-total.html").text
    assert "1,800,000 KZT" in page


def test_an_entity_page_links_wikidata_and_shows_other_names(site: str) -> None:
    page = fetch(site + "id/kazakhstan.html").text
    same_as = page[page.index('id="same-as"') :]
    assert 'href="http://www.wikidata.org/entity/Q232"' in same_as
    assert "Қазақстан (kk)" in page
    no_item = fetch(site + "id/sultan-kamaletdinov.html").text
    assert "no verified" in no_item.lower() or "noVerifiedWikidataItem" in no_item


def test_markup_in_the_data_is_shown_escaped_never_run(site: str) -> None:
    page = fetch(site + "id/evil-label.html").text
    assert "<script>window.__pwned" not in page
    assert "<b>Mallory</b>" not in page
    assert (
        "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;b&gt;Mallory&lt;/b&gt; &amp; co" in page
    )
    assert "<img" not in page
    # where the label appears as a link text on another page too
    article = fetch(site + "id/kz-mod-2023-12-27.html").text
    assert "<script>window" not in article and "&lt;script&gt;window" in article


def test_an_ontology_term_page_documents_the_term(site: str) -> None:
    page = fetch(site + "ontology/Quantity.html").text
    assert "A figure as stated" in page  # the definition
    assert 'href="/ontology/MonetaryAmount"' in page  # a subclass
    assert 'href="http://qudt.org/schema/qudt/QuantityValue"' in page  # an alignment
    assert "A quantity has exactly one numeric value" in page  # the SHACL constraint
    assert "minCount 1" in page
    assert "used by</th><td>2 resources" in page
    assert 'href="/id/abai-firefighting-2023-personnel"' in page  # an example
    prop = fetch(site + "ontology/quantity.html").text
    assert 'href="/ontology/Activity"' in prop and 'href="/ontology/Quantity"' in prop


def test_the_ontology_iri_lists_its_terms(site: str) -> None:
    assert fetch(site + "ontology", {"Accept": "text/html"}).headers["location"] == (
        "/ontology.html"
    )
    page = fetch(site + "ontology.html").text
    for term in ("Quantity", "Operation", "numericValue", "moreThan"):
        assert f'href="/ontology/{term}"' in page
    graph = rdf_of(site, "ontology", "ttl")
    assert (URIRef(BASE + "ontology"), None, None) in graph


@pytest.mark.parametrize(
    "path",
    [
        "graph/entities",
        "graph/shapes",
        "graph/kz-mod-2023-12-27",
        "shapes/QuantityShape",
        "dataset",
        "dataset/0.0.1",
        "id/kz-mod-2023-12-27/s7",
        "id/kz-mod-2023-12-27/s7-quote",
    ],
)
def test_graphs_shapes_dataset_and_release_dereference(site: str, path: str) -> None:
    assert fetch(site + path, {"Accept": "text/turtle"}).status == 303
    assert fetch(site + path + ".html").status == 200
    graph = rdf_of(site, path, "ttl")
    iri = URIRef(BASE + path)
    assert (iri, None, None) in graph or (None, None, iri) in graph


def test_a_graph_page_lists_what_the_graph_describes(site: str) -> None:
    page = fetch(site + "graph/entities.html").text
    assert 'href="/id/kazakhstan"' in page and 'href="/id/unifil"' in page


def test_the_home_page_describes_counts_and_offers_the_release(site: str) -> None:
    answer = fetch(site)
    assert answer.status == 200
    page = answer.text
    assert "A small dataset for the page tests." in page  # the VoID's description
    counts = re.findall(r"<strong>([\d,]+)</strong>\s*([A-Za-z ]+)", page)
    assert ("1", "report") in counts
    assert ("3", "linked to Wikidata") in counts
    for name in ("defkg.trig", "defkg.ttl", "defkg.ttl.gz", "void.ttl", "SHA256SUMS"):
        assert f'href="/download/{name}"' in page
    sums = fetch(site + "download/SHA256SUMS").text
    for line in sums.splitlines():
        assert line.split()[0] in page  # every checksum is shown
    assert "http://creativecommons.org/publicdomain/zero/1.0/" in page
    assert "conforms" in page
    assert 'href="/ontology/PeacekeepingMission"' in page  # an entry point
    assert 'href="/.well-known/void"' in page


def test_the_void_is_served_at_the_well_known_address(site: str) -> None:
    answer = fetch(site + ".well-known/void", {"Accept": "text/turtle"})
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=answer.body, format="turtle")
    assert (None, URIRef("http://rdfs.org/ns/void#uriSpace"), Literal(BASE)) in graph
    assert fetch(site + ".well-known/void", {"Accept": "application/n-triples"}).status == 200
    assert fetch(site + ".well-known/void", {"Accept": "image/png"}).status == 406


def test_the_query_ui_is_served_with_its_editor_and_prefixes(site: str) -> None:
    answer = fetch(site + "sparql", {"Accept": "text/html"})
    assert answer.status == 200
    page = answer.text
    assert 'id="query"' in page and "sparql-highlight.js" in page
    assert "PREFIX defkg: &lt;https://w3id.org/defkg/ontology/&gt;" in page
    prefilled = fetch(
        site + "sparql?edit=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fx%3E", {"Accept": "text/html"}
    )
    assert "DESCRIBE &lt;https://w3id.org/x&gt;" in prefilled.text
    for asset in ("static/style.css", "static/query.js", "static/sparql-highlight.js"):
        assert fetch(site + asset).status == 200


def test_an_article_page_shows_its_text_sentence_by_sentence(site: str) -> None:
    page = fetch(site + "id/kz-mod-2023-12-27.html").text
    text = page[page.index('id="text"') :]
    assert '<a class="sentence" href="/id/kz-mod-2023-12-27/s7"' in text
    assert "During a July firefighting operation in the Abai Region" in text


def test_a_sentence_page_marks_every_figure_it_states(site: str) -> None:
    page = fetch(site + "id/kz-mod-2023-12-27/s7.html").text
    source = page[page.index('id="source"') :]
    assert "<mark>over 500</mark>" in source and "<mark>more than 400</mark>" in source
    assert 'href="/id/abai-firefighting-2023-personnel"' in source  # the facts it states


def test_hash_resources_are_shown_in_their_documents_page(site: str) -> None:
    page = fetch(site + "dataset.html").text
    assert '<h3 id="graph-entities">' in page  # the target of …/dataset#graph-entities
    assert 'href="/graph/entities"' in page


def test_the_home_page_and_head_requests_revalidate(site: str) -> None:
    home = fetch(site)
    assert home.headers["etag"] and "max-age" in home.headers["cache-control"]
    assert fetch(site, {"If-None-Match": home.headers["etag"]}).status == 304
    head = fetch(f"{site}{ABAI}.ttl", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["etag"] == fetch(f"{site}{ABAI}.ttl").headers["etag"]
