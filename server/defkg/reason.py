"""OWL RL reasoning: what owlrl adds to the asserted graphs, as one graph of its own.

owlrl's closure grows faster than linearly with the graph (issue 6: 189 s on 100k triples), so
the closure is computed per source: once for the ontology and the entities (the "base"), then
for the base closure plus one source at a time, keeping only what is new. Inferences that need
two sources at once are therefore not drawn; the sources only link to each other through the
entities and the ontology, which every pass sees.

Each source's result is cached in ``.defkg-cache/reason/`` next to the output directory, keyed
by a hash of everything it depends on, so an unchanged source is not re-reasoned. The cache
changes only speed: the graph is the same with and without it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from pathlib import Path

import owlrl
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from defkg import __version__
from defkg.config import Settings
from defkg.load import Project

Triple = tuple[Node, Node, Node]

#: Terms of these vocabularies are built in: what the closure says about them is noise.
BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE_TRIVIA = {
    OWL.sameAs,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
}
_TOP = {OWL.Thing, RDFS.Resource}
#: datasets we link to and do not describe
_EXTERNAL = ("http://www.wikidata.org/entity/", "https://www.wikidata.org/entity/")


def infer(project: Project, settings: Settings) -> Graph:
    """Only what OWL RL adds beyond the asserted triples, minus trivia (see :func:`is_trivial`)."""
    return union_graph(infer_by_graph(project, settings), settings)


def union_graph(parts: dict[URIRef, list[Triple]], settings: Settings) -> Graph:
    """One graph of the inferences of every pass (what :func:`infer` returns)."""
    inferred = Graph()
    for triples in parts.values():
        for triple in triples:
            inferred.add(triple)
    for prefix, namespace in settings.iris.prefixes().items():
        inferred.bind(prefix, namespace, replace=True)
    return inferred


def infer_by_graph(
    project: Project, settings: Settings, *, write_cache: bool = True
) -> dict[URIRef, list[Triple]]:
    """The inferences, by the graph whose pass drew them (the base passes under the ontology).

    Nothing asserted in any graph is returned, and no triple appears under two graphs. With
    ``write_cache=False`` the cache is read but never written (for `defkg validate`).
    """
    iris = settings.iris
    base_names = [n for n in (iris.ontology_graph, iris.graph("entities")) if n in project.files]
    sources = [n for n in sorted(project.files) if n not in base_names]
    cache = ReasoningCache(settings, project, writable=write_cache)

    base = Graph()
    for name in base_names:
        base += project.graph(name)
    base_new = cache.get("base")
    if base_new is None:
        base_new = sorted(closure_additions(base), key=triple_key)
        cache.put("base", base_new)
    base_closure = Graph()
    base_closure += base
    for triple in base_new:
        base_closure.add(triple)

    asserted: set[Triple] = set()
    for name in project.files:
        asserted.update(project.graph(name))

    result: dict[URIRef, list[Triple]] = {}
    seen: set[Triple] = set()
    for name, triples in [(iris.ontology_graph, base_new)] + [
        (source, _source_additions(project, source, base_closure, cache)) for source in sources
    ]:
        kept = [t for t in triples if t not in asserted and t not in seen and not is_trivial(t)]
        seen.update(kept)
        result[name] = kept
    return result


def _source_additions(
    project: Project, source: URIRef, base_closure: Graph, cache: ReasoningCache
) -> list[Triple]:
    cached = cache.get(str(source))
    if cached is not None:
        return cached
    graph = Graph()
    graph += base_closure
    graph += project.graph(source)
    additions = sorted(closure_additions(graph), key=triple_key)
    cache.put(str(source), additions)
    return additions


def closure_additions(graph: Graph) -> set[Triple]:
    """The non-trivial triples the OWL RL closure adds to ``graph`` (``graph`` is not changed).

    Links to other datasets (``owl:sameAs`` to an IRI another dataset mints, such as a Wikidata
    item) stay out of the reasoning: through them the closure would restate every fact about
    our entities about Wikidata's items, which are not ours to describe.
    """
    work = Graph()
    for triple in graph:
        if not is_external_link(triple):
            work.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    return {t for t in work if t not in graph and not is_trivial(t)}


def is_external_link(triple: Triple) -> bool:
    """True for ``owl:sameAs`` from one of our IRIs to another dataset's IRI (or back)."""
    s, p, o = triple
    if p != OWL.sameAs or not isinstance(o, URIRef) or not isinstance(s, URIRef):
        return False
    return str(s).startswith(_EXTERNAL) or str(o).startswith(_EXTERNAL)


def triple_key(triple: Triple) -> tuple[str, str, str]:
    """A total, stable order on triples (their N-Triples terms)."""
    return (triple[0].n3(), triple[1].n3(), triple[2].n3())


def is_trivial(triple: Triple) -> bool:
    """True for what every OWL RL closure says and nobody asks for.

    Reflexive sameAs/subClassOf/subPropertyOf/equivalence, types owl:Thing and rdfs:Resource,
    subclasses of those, axioms about the built-in vocabularies and XSD datatypes, and triples
    whose subject is a literal.
    """
    s, p, o = triple
    if isinstance(s, Literal):
        return True
    if p in _REFLEXIVE_TRIVIA and s == o:
        return True
    if p in (RDF.type, RDFS.subClassOf) and o in _TOP:
        return True
    if p == RDF.type and o == RDFS.Datatype:
        return True
    return isinstance(s, URIRef) and str(s).startswith(BUILT_IN)


class ReasoningCache:
    """Per-pass results on disk, keyed by a hash of every input the pass depends on."""

    def __init__(self, settings: Settings, project: Project, *, writable: bool = True) -> None:
        self.folder = cache_dir(settings) / "reason"
        self.writable = writable
        iris = settings.iris
        digest = hashlib.sha256(f"defkg {__version__}\n{settings.base}\n".encode())
        base_files = [project.files.get(iris.graph("entities"))]
        base_files += sorted(Path(p) for p in settings.ontology_dir.glob("*.ttl"))
        base_files += project.shape_files
        for path in base_files:
            if path is not None:
                _hash_file(digest, path)
        self.base_key = digest.hexdigest()
        self.project = project

    def key(self, part: str) -> str:
        digest = hashlib.sha256(self.base_key.encode())
        digest.update(part.encode())
        path = self.project.files.get(URIRef(part))
        if path is not None:
            _hash_file(digest, path)
        return digest.hexdigest()

    def get(self, part: str) -> list[Triple] | None:
        """The cached additions of one pass, or None when absent or unreadable."""
        try:
            with open(self.folder / (self.key(part) + ".pickle"), "rb") as handle:
                # our own cache files, written below: not untrusted input
                return pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError):
            return None

    def put(self, part: str, triples: Iterable[Triple]) -> None:
        """Store one pass's additions; a cache that cannot be written only costs time."""
        if not self.writable:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / (self.key(part) + ".pickle")
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                pickle.dump(list(triples), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except OSError:
            pass


def cache_dir(settings: Settings) -> Path:
    """``.defkg-cache/`` next to the output directory."""
    return Path(os.path.abspath(settings.dist)).parent / ".defkg-cache"


def _hash_file(digest: hashlib._Hash, path: Path) -> None:
    digest.update(str(path.name).encode() + b"\0")
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(b"<unreadable>")
