"""Points of the pages issue the other page tests leave open, through a real `defkg serve`:
pages need no JavaScript and nothing comes from a CDN; the home page's entry points count the
instances of each class and link the validation report; a resource page shows its type and a
property page its domain and range; and a project with another canonical base is served under
that base (IRIs, 303s, documents, and `void:uriSpace`)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef

from test_pages_support import FIXTURE_TRIG, fetch, serve, write_pages_release

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC = PROJECT_ROOT / "server" / "defkg" / "web" / "static"
DEFKG = "https://w3id.org/defkg/ontology/"
GRAPHS = "https://w3id.org/defkg/graph/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site-extras")
    yield from serve(write_pages_release(root / "dist"), root, PROJECT_ROOT)


# --- no JavaScript needed, no CDN ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "",
        "id/abai-firefighting-2023.html",
        "id/kz-mod-2023-12-27.html",
        "id/kz-mod-2023-12-27/s7.html",
        "ontology.html",
        "ontology/Quantity.html",
        "graph/entities.html",
        "dataset.html",
        "id/no-such-thing.html",
    ],
)
def test_pages_for_people_carry_no_script(site: str, path: str) -> None:
    page = fetch(site + path).text
    assert "<h1>" in page
    # the text is all in the HTML; a script may only add to it (cite-this's copy buttons,
    # hidden until it shows them), from the site's own static files, never inline
    scripts = re.findall(r"<script\b[^>]*>", page, re.I)
    assert all(re.search(r'src="/static/cite\.js"', tag) for tag in scripts), scripts
    assert all(
        " hidden" in b for b in re.findall(r'<button type="button" class="copy"[^>]*>', page)
    )


def local_references(page: str) -> list[str]:
    """Every src= and href= of <script> and <link> elements in ``page``."""
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page, re.I)
    return [m for tag in tags for m in re.findall(r'(?:src|href)="([^"]*)"', tag)]


def test_the_query_ui_loads_its_code_from_the_server_not_a_cdn(site: str) -> None:
    page = fetch(site + "sparql", {"Accept": "text/html"}).text
    references = local_references(page)
    assert any(r.endswith(".js") for r in references)
    remote = [r for r in references if not r.startswith("/")]
    assert not remote, f"the query UI loads from other hosts: {remote}"
    for path in sorted(STATIC.iterdir()):
        text = path.read_text(encoding="utf-8")
        fetched = re.findall(r"""(?:import|url\(|fetch\(|src\s*=)\s*['"]?(?:https?:)?//""", text)
        assert not fetched, f"{path.name} fetches from another host"


# --- the home page ----------------------------------------------------------------------------


def instance_counts() -> Counter[str]:
    """Instances per defkg: class in the fixture's data (entities, sources and inferences; the
    ontology's own individuals and the shapes are not data): what the entry points must show."""
    dataset = Dataset()
    dataset.parse(FIXTURE_TRIG, format="trig")
    not_data = {URIRef(GRAPHS + "ontology"), URIRef(GRAPHS + "shapes")}
    typed = {
        (s, o)
        for s, _p, o, g in dataset.quads((None, RDF.type, None, None))
        if g is not None and g not in not_data
    }
    return Counter(str(o) for _s, o in typed if str(o).startswith(DEFKG))


def test_entry_points_are_the_classes_with_their_instance_counts(site: str) -> None:
    page = fetch(site).text
    panel = page[page.index('id="classes"') : page.index('id="downloads"')]
    shown = {
        href: int(count.replace(",", ""))
        for href, count in re.findall(
            r'<a href="(/ontology/[^"]+)"[^>]*>[^<]*</a></td><td class="num">([\d,]+)</td>', panel
        )
    }
    expected = {"/ontology/" + c.removeprefix(DEFKG): n for c, n in instance_counts().items()}
    assert expected and shown == expected


def test_the_home_page_links_the_validation_report(site: str) -> None:
    page = fetch(site).text
    assert 'href="/download/validation-report.ttl"' in page
    report = fetch(site + "download/validation-report.ttl")
    assert report.status == 200 and report.headers["content-type"].startswith("text/turtle")


# --- resource and term pages ---------------------------------------------------------------------


def test_a_resource_page_shows_its_type_and_description(site: str) -> None:
    page = fetch(site + "id/evil-label.html").text
    types = page[page.index('class="types"') :]
    assert 'href="https://schema.org/Person"' in types[: types.index("</p>")]
    assert '<p class="description">A description with &lt;img' in page


def test_a_property_page_shows_its_domain_and_range(site: str) -> None:
    page = fetch(site + "ontology/quantity.html").text
    term = page[page.index('id="term"') : page.index("</table>", page.index('id="term"'))]
    assert re.search(r'<th>domain</th><td><a href="/ontology/Activity"', term)
    assert re.search(r'<th>range</th><td><a href="/ontology/Quantity"', term)


def test_a_class_page_shows_its_broader_terms(site: str) -> None:
    page = fetch(site + "ontology/MonetaryAmount.html").text
    term = page[page.index('id="term"') :]
    row = re.search(r"<th>broader terms</th><td>(.*?)</td>", term)
    assert row and 'href="/ontology/Quantity"' in row.group(1)


# --- another canonical base ----------------------------------------------------------------------

OTHER_BASE = "https://example.org/kg/"


@pytest.fixture(scope="module")
def other_base_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny project written under another base, built and served with ``--base``."""
    from conftest import start_server, write_tiny_project

    work = tmp_path_factory.mktemp("other-base")
    root = write_tiny_project(work / "project")
    for path in root.rglob("*.t*"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("https://w3id.org/defkg/", OTHER_BASE)
        )
    done = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "build", "-q",
         "--root", str(root), "--out", str(work / "dist"), "--base", OTHER_BASE],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    server = start_server(work / "dist", work / "server.log", None, ("--base", OTHER_BASE))
    yield server.url
    server.stop()


def test_the_server_answers_for_another_canonical_base(other_base_site: str) -> None:
    see = fetch(other_base_site + "id/lebanon", {"Accept": "text/turtle"})
    assert see.status == 303 and see.headers["location"] == "/id/lebanon.ttl"
    document = fetch(other_base_site + "id/lebanon.ttl")
    assert document.status == 200
    graph = Graph().parse(data=document.body, format="turtle")
    assert (URIRef(OTHER_BASE + "id/lebanon"), None, None) in graph
    assert not any("w3id.org" in str(term) for triple in graph for term in triple)
    page = fetch(other_base_site + "id/lebanon.html").text
    assert f"<code>{OTHER_BASE}id/lebanon</code>" in page


def test_the_void_states_the_other_base_as_its_uri_space(other_base_site: str) -> None:
    answer = fetch(other_base_site + ".well-known/void", {"Accept": "text/turtle"})
    assert answer.status == 200
    void = Graph().parse(data=answer.body, format="turtle")
    uri_space = URIRef("http://rdfs.org/ns/void#uriSpace")
    dataset = URIRef(OTHER_BASE + "dataset")
    assert set(void.objects(dataset, uri_space)) == {Literal(OTHER_BASE)}


# --- every file of the real release downloads with its media type -------------------------------

#: The registered media type of each kind of release file (IANA; SPARQL 1.1 and JSON-LD specs).
RELEASE_MEDIA_TYPES = {
    "defkg.trig": "application/trig",
    "defkg.nq": "application/n-quads",
    "defkg.ttl": "text/turtle",
    "defkg.nt": "application/n-triples",
    "defkg.jsonld": "application/ld+json",
    "void.ttl": "text/turtle",
    "validation-report.ttl": "text/turtle",
    "context.jsonld": "application/ld+json",
    "search.sqlite": "application/vnd.sqlite3",
    "SHA256SUMS": "text/plain",
}


def test_every_release_file_downloads_with_its_media_type(
    built_release: Path, live_server: str
) -> None:
    names = sorted(p.name for p in built_release.iterdir() if p.is_file())  # not queries/
    assert set(RELEASE_MEDIA_TYPES) <= set(names)
    for name in names:
        expected = "application/gzip" if name.endswith(".gz") else RELEASE_MEDIA_TYPES[name]
        answer = fetch(f"{live_server}download/{name}")
        assert answer.status == 200, name
        assert answer.headers["content-type"].split(";")[0] == expected, name
        assert answer.headers["content-disposition"] == f"attachment; filename={name}"
        assert answer.body == (built_release / name).read_bytes(), name
