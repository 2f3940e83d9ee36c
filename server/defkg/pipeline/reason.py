"""OWL RL reasoning: what owlrl adds to the asserted graphs, as one graph of its own.

owlrl's closure grows faster than linearly with the graph (issue 6: 189 s on 100k triples), so
the closure is computed in passes: once for the ontology and the entities (the "base"), then
for each batch of a few sources (:func:`source_batches`) over what of the base they can use:
the schema part of the base closure (minus its annotations) and the entities' triples within
two links of the batch's nodes. Each pass keeps only what is new. Inferences that need two
sources of different batches are not drawn; sources only link to each other through the
entities and the ontology, which every pass sees.

owlrl computes the base closure; a batch's pass applies OWL RL's instance rules over that
closed schema in one linear pass (:mod:`defkg.pipeline.instance_rules`, which gives owlrl's answer
or
declines, and then owlrl runs), because owlrl re-reads the whole graph in every cycle.

Each pass's result (its N-Triples lines) is cached in ``.defkg-cache/reason/`` next to the
output directory, keyed by a hash of everything it depends on, so an unchanged batch is not
re-reasoned, and its graphs are not even parsed. The cache changes
only speed: the graph is the same with and without it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import owlrl
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from defkg import __version__
from defkg.config import Settings
from defkg.pipeline import instance_rules, load
from defkg.pipeline.cache import PickleCache, code_digest
from defkg.pipeline.instance_rules import Schema, instance_closure
from defkg.pipeline.load import Project, nt_lines, triples_of
from defkg.pipeline.parallel import parallel_map

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


def union_graph(parts: dict[URIRef, list[str]], settings: Settings) -> Graph:
    """One graph of the inferences of every pass (what :func:`infer` returns)."""
    inferred = Graph()
    for lines in parts.values():
        for triple in triples_of(lines):
            inferred.add(triple)
    for prefix, namespace in settings.iris.prefixes().items():
        inferred.bind(prefix, namespace, replace=True)
    return inferred


#: sources per reasoning/validation pass, on average: a pass costs its base part plus its sources
SOURCES_PER_BATCH = 8


def base_graph_names(project: Project, settings: Settings) -> list[URIRef]:
    """The graphs every pass sees: the ontology and the entities."""
    iris = settings.iris
    return [n for n in (iris.ontology_graph, iris.graph("entities")) if n in project.files]


def source_batches(project: Project, settings: Settings) -> list[list[URIRef]]:
    """The source graphs in batches, each reasoned and validated in one pass.

    A source's batch depends only on its name and on the number of batches (a power of two,
    so it changes rarely as the corpus grows): editing a source re-does its batch alone.
    """
    base = set(base_graph_names(project, settings))
    sources = [n for n in sorted(project.files) if n not in base]
    count = 1
    while count * SOURCES_PER_BATCH < len(sources):
        count *= 2
    buckets: dict[int, list[URIRef]] = {}
    for name in sources:
        bucket = int(hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:8], 16) % count
        buckets.setdefault(bucket, []).append(name)
    return sorted(buckets.values())


def infer_by_graph(
    project: Project, settings: Settings, *, write_cache: bool = True
) -> dict[URIRef, list[str]]:
    """The inferences by pass, as sorted N-Triples lines: under the ontology graph for the base
    pass, and under the first graph of each batch of :func:`source_batches` for that batch.

    Nothing asserted in any graph is returned, and no line appears under two keys. With
    ``write_cache=False`` the cache is read but never written (for `defkg validate`). The
    asserted triples are compared as lines (:meth:`Project.lines`), so that the graphs of an
    unchanged batch are never parsed.
    """
    iris = settings.iris
    base_names = base_graph_names(project, settings)
    cache = ReasoningCache(settings, project, writable=write_cache)

    base = Graph()
    for name in base_names:
        base += project.graph(name)
    base_lines = cache.get(["base"])
    if base_lines is None:
        base_lines = nt_lines(closure_additions(base))
        cache.put(["base"], base_lines)
    base_closure = set(base) | set(triples_of(base_lines))
    context = _BaseContext(project, settings, base_closure)

    batches = source_batches(project, settings)
    found = [cache.get([str(name) for name in batch]) for batch in batches]
    todo = [i for i, lines in enumerate(found) if lines is None]
    computed = parallel_map(
        lambda i: nt_lines(_batch_additions(project, batches[i], context)),
        todo,
        workers=settings.build_workers,
    )
    for i, lines in zip(todo, computed, strict=True):
        cache.put([str(name) for name in batches[i]], lines)
        found[i] = lines

    asserted: set[str] = set()
    for name in project.files:
        asserted.update(project.lines(name))
    result: dict[URIRef, list[str]] = {}
    seen: set[str] = set()
    passes = [(iris.ontology_graph, base_lines)]
    passes += [(batch[0], lines) for batch, lines in zip(batches, found, strict=True)]
    for name, lines in passes:
        kept = [line for line in lines if line not in asserted and line not in seen]
        seen.update(kept)
        result[name] = kept
    return result


class _BaseContext:
    """What a batch's pass takes from the base closure: its schema, and nearby entity facts."""

    def __init__(self, project: Project, settings: Settings, closure: set[Triple]) -> None:
        self.closure = closure
        entities = settings.iris.graph("entities")
        individuals = (
            set(project.graph(entities).subjects()) if entities in project.files else set()
        )
        self.schema: list[Triple] = []
        self.by_subject: dict[Node, list[Triple]] = {}
        self.by_object: dict[Node, list[Triple]] = {}
        for triple in sorted(closure, key=triple_key):
            s, _p, o = triple
            if s in individuals:
                self.by_subject.setdefault(s, []).append(triple)
                self.by_object.setdefault(o, []).append(triple)
            elif not _is_annotation(triple):
                self.schema.append(triple)
        self.rules = Schema(self.schema)

    def around(self, nodes: set[Node]) -> set[Triple]:
        """Entity triples about ``nodes``, pointing at them, and about what those point at."""
        near: set[Triple] = set()
        for node in nodes:
            near.update(self.by_subject.get(node, ()))
            near.update(self.by_object.get(node, ()))
        second = {t[2] for t in near} | {t[0] for t in near}
        for node in second - nodes:
            near.update(self.by_subject.get(node, ()))
        return near


def _is_annotation(triple: Triple) -> bool:
    # labels, comments and notes of the schema: literals that no OWL RL rule reads
    _s, p, o = triple
    return isinstance(o, Literal) and not str(p).startswith(str(OWL)) and p != RDF.first


def _batch_additions(
    project: Project, batch: list[URIRef], context: _BaseContext, *, use_owlrl: bool = False
) -> list[Triple]:
    """What the closure of one batch of sources adds to the base closure, sorted.

    The instance rules over the closed schema (:mod:`defkg.pipeline.instance_rules`) give owlrl's
    answer in linear time; owlrl itself runs when they decline, or with ``use_owlrl``.
    """
    data: set[Triple] = set()
    nodes: set[Node] = set()
    for name in batch:
        for triple in project.triples(name):
            data.add(triple)
            nodes.add(triple[0])
            nodes.add(triple[2])
    data.update(context.around(nodes))
    derived = (
        None
        if use_owlrl
        else instance_closure((t for t in data if not is_external_link(t)), context.rules)
    )
    if derived is None:
        graph = Graph()
        for triple in data:
            graph.add(triple)
        for triple in context.schema:
            graph.add(triple)
        additions = closure_additions(graph)
    else:
        schema = set(context.schema)
        additions = {t for t in derived if t not in schema and not is_trivial(t)}
    return sorted(additions - context.closure, key=triple_key)


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

    def __init__(
        self,
        settings: Settings,
        project: Project,
        *,
        writable: bool = True,
        kind: str = "reason",
        code: str = "",
    ) -> None:
        """``code`` names the code the passes run (:func:`defkg.pipeline.cache.code_digest`); the
        reasoner's own by default."""
        self.store = PickleCache(settings, kind, writable=writable)
        iris = settings.iris
        code = code or code_digest(sys.modules[__name__], instance_rules, load, stage="reason")
        digest = hashlib.sha256(f"defkg {__version__} {code}\n{settings.base}\n".encode())
        base_files = [project.files.get(iris.graph("entities"))]
        base_files += sorted(Path(p) for p in settings.ontology_dir.glob("*.ttl"))
        base_files += project.shape_files
        for path in base_files:
            if path is not None:
                _hash_file(digest, path)
        self.base_key = digest.hexdigest()
        self.project = project

    def key(self, parts: list[str]) -> str:
        """The hash of the base inputs and of each part (a graph name and its file)."""
        digest = hashlib.sha256(self.base_key.encode())
        digest.update(f"batch of {SOURCES_PER_BATCH}\n".encode())
        for part in parts:
            digest.update(part.encode() + b"\0")
            path = self.project.files.get(URIRef(part))
            if path is not None:
                _hash_file(digest, path)
        return digest.hexdigest()

    def get(self, part: list[str]) -> Any | None:
        """The cached result of one pass, or None when absent or unreadable."""
        return self.store.get(self.key(part))

    def put(self, part: list[str], result: Any) -> None:
        """Store one pass's result (nothing when the cache is read-only)."""
        self.store.put(self.key(part), result)


def _hash_file(digest: hashlib._Hash, path: Path) -> None:
    digest.update(str(path.name).encode() + b"\0")
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(b"<unreadable>")
