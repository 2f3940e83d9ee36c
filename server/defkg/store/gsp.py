"""``defkg publish --to``: load a release into a remote store graph by graph.

Every named graph of the release's ``defkg.trig`` is put into the store with one Graph Store
Protocol PUT, so each graph is replaced as a unit; the asserted view (the release's default
graph, what ``defkg.nt`` holds) goes into the store's default graph (``?default``) the same way.
A graph whose content has not changed since the last publication is skipped: the store keeps,
in a small metadata graph (``{base}graph/publication``), the SHA-256 of each graph's canonical
N-Triples as we last sent it. Graphs that the release no longer holds are deleted. The metadata
graph is written last, so an interrupted publication is simply repeated for the graphs it did
not finish.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, VOID

from defkg.errors import DefkgError, InputError
from defkg.release import TRIG, Release
from defkg.store.remote import PUBLICATION_GRAPH, RemoteStore

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
#: The last segments of the graphs that are not part of the asserted view.
_NOT_ASSERTED = ("/graph/inferred", "/graph/shapes", "/graph/derived")


@dataclass(frozen=True)
class GraphPayload:
    """One graph of the release as it is sent to the store."""

    name: str  #: the graph IRI
    ntriples: bytes  #: canonical N-Triples: blank nodes relabelled by RDFC-1.0, lines sorted
    triples: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.ntriples).hexdigest()


@dataclass
class PublicationReport:
    """What one ``publish_release`` did to the store."""

    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    triples: int = 0  #: triples in the release (all graphs)

    def summary(self) -> str:
        return (
            f"{len(self.replaced)} graph(s) replaced, {len(self.unchanged)} unchanged, "
            f"{len(self.deleted)} deleted ({self.triples} triples in the release)"
        )


def _canonical_lines(quads: list[ox.Quad]) -> list[str]:
    """Sorted N-Triples lines of one graph, with blank nodes relabelled canonically.

    Blank node labels are arbitrary in the release file, so hashing them raw would make every
    graph with a blank node look changed on each build; RDFC-1.0 gives them stable names.
    """
    has_blank = any(
        isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads
    )
    if has_blank:
        dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        triples = [q.triple for q in dataset]
    else:
        triples = [q.triple for q in quads]
    return sorted({f"{t} .\n" for t in triples})


def release_graphs(dist: Path) -> dict[str | None, GraphPayload]:
    """Every graph of the release in ``dist`` (None: the default graph, if it has triples)."""
    release = Release.open(dist, hint="run `defkg build` first, or give --dist")
    release.verify(TRIG)  # a half-written release is refused
    path = release.path(TRIG)
    by_graph: dict[str | None, list[ox.Quad]] = defaultdict(list)
    try:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
            graph = quad.graph_name
            by_graph[None if isinstance(graph, ox.DefaultGraph) else graph.value].append(quad)
    except SyntaxError as error:
        raise InputError(f"{path}: not valid TriG: {error}") from None
    # The asserted view (sources + entities + ontology, what defkg.nt holds) also goes into the
    # store's default graph, so that `serve --store` queries one graph, not a union of many.
    by_graph[None].extend(
        quad
        for name, quads in by_graph.items()
        if name is not None and not name.endswith(_NOT_ASSERTED)
        for quad in quads
    )
    if not by_graph[None]:
        del by_graph[None]
    payloads: dict[str | None, GraphPayload] = {}
    for name, quads in by_graph.items():
        lines = _canonical_lines(quads)
        payloads[name] = GraphPayload(name or "", "".join(lines).encode("utf-8"), len(lines))
    return payloads


def publication_graph_name(base: str) -> str:
    return f"{base}graph/{PUBLICATION_GRAPH}"


def default_graph_key(base: str) -> str:
    """The name the publication record gives the store's default graph (which has no IRI)."""
    return f"{publication_graph_name(base)}#default-graph"


def recorded_checksums(store: RemoteStore, base: str) -> dict[str, str]:
    """Graph IRI → SHA-256 as recorded by the last publication into this store."""
    data = store.get_graph(publication_graph_name(base))
    if not data:
        return {}
    graph = rdflib.Graph()
    try:
        graph.parse(data=data, format="nt")
    except Exception as error:  # whatever the server sent, say where it came from
        raise DefkgError(
            f"the publication record <{publication_graph_name(base)}> in the store is not "
            f"readable N-Triples: {error}"
        ) from None
    checksums: dict[str, str] = {}
    for named, checksum in graph.subject_objects(SPDX.checksum):
        value = graph.value(checksum, SPDX.checksumValue)
        if value is not None:
            checksums[str(named)] = str(value)
    return checksums


def publication_record(base: str, payloads: dict[str | None, GraphPayload]) -> bytes:
    """The metadata graph: for each published graph, its SHA-256 and triple count."""
    record = publication_graph_name(base)
    lines = [f"<{record}> <{RDF.type}> <{VOID.Dataset}> .\n"]
    for payload in sorted(payloads.values(), key=lambda p: p.name):
        named = payload.name or default_graph_key(base)
        # One IRI per checksum (not a blank node) keeps the record itself diffable.
        checksum = f"{record}#sha256-{payload.sha256}"
        lines += [
            f"<{record}> <{VOID.subset}> <{named}> .\n",
            f'<{named}> <{VOID.triples}> "{payload.triples}"'
            "^^<http://www.w3.org/2001/XMLSchema#integer> .\n",
            f"<{named}> <{SPDX.checksum}> <{checksum}> .\n",
            f"<{checksum}> <{SPDX.algorithm}> <{SPDX.checksumAlgorithm_sha256}> .\n",
            f'<{checksum}> <{SPDX.checksumValue}> "{payload.sha256}" .\n',
        ]
    return "".join(lines).encode("utf-8")


def publish_release(
    dist: Path,
    store: RemoteStore,
    base: str,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PublicationReport:
    """Load the release in ``dist`` into ``store``: put changed graphs, drop vanished ones."""
    say = progress or (lambda _message: None)
    payloads = release_graphs(dist)
    recorded = {} if force else recorded_checksums(store, base)
    record_name = publication_graph_name(base)
    present = set(store.stored_graphs())
    # The release's triples: the default graph only repeats the asserted graphs.
    report = PublicationReport(triples=sum(p.triples for n, p in payloads.items() if n))

    for name in sorted(payloads, key=lambda n: n or ""):
        payload = payloads[name]
        key = name or "default"
        recorded_as = name or default_graph_key(base)
        # The default graph is always there (perhaps empty), so only its checksum can tell.
        stored = name is None or name in present
        if stored and recorded.get(recorded_as) == payload.sha256:
            report.unchanged.append(key)
            continue
        say(f"put {key} ({payload.triples} triples)")
        store.put_graph(name, payload.ntriples)
        report.replaced.append(key)

    # Only graphs we published, or that sit in our own graph namespace, are ours to delete.
    ours = {g for g in present | set(recorded) if g in recorded or g.startswith(f"{base}graph/")}
    for name in sorted(ours - set(payloads) - {record_name, default_graph_key(base)}):
        say(f"delete {name}")
        store.delete_graph(name)
        report.deleted.append(name)

    store.put_graph(record_name, publication_record(base, payloads))
    return report
