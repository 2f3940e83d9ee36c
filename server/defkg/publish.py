"""Write a release atomically: the dumps, their .gz, VoID/DCAT, the validation report, checksums.

The release is written into a fresh directory beside the target and swapped in by renaming, so
the previous release stays whole until the new one is complete, and stays untouched when
anything fails. Every file is byte-identical for identical inputs: N-Triples and N-Quads lines
are sorted, blank nodes carry content-derived labels (see defkg.load), Turtle and TriG are
written from sorted triples with a fixed prefix list, gzip headers carry no time or name, and
dates come from the data, never from the clock.

``defkg.jsonld`` is compacted with ``ontology/context.jsonld`` and carries that context inline
(not by URL), so it reads the same offline and needs nothing fetched to be expanded. The context
itself ships in the release as ``context.jsonld``, so a server needs nothing but the release.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from pyld import jsonld
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.nquads import _nq_row
from rdflib.plugins.serializers.nt import _nt_row, _quoteLiteral
from rdflib.term import Node

from defkg import void
from defkg.config import Settings
from defkg.errors import DefkgError, InputError
from defkg.iris import SCHEMA, WD
from defkg.load import Project
from defkg.reason import parallel_map
from defkg.validate import ValidationOutcome

Triple = tuple[Node, Node, Node]

#: the dumps, each also written as .gz
DUMPS = ("defkg.trig", "defkg.nq", "defkg.ttl", "defkg.nt", "defkg.jsonld")
REPORT = "validation-report.ttl"
VOID_FILE = "void.ttl"
SUMS = "SHA256SUMS"


def publish(
    project: Project, inferred: Graph, outcome: ValidationOutcome, settings: Settings
) -> Path:
    """Write the release into ``settings.dist`` atomically; return that directory."""
    contents = release_contents(project, inferred, outcome, settings)
    return write_atomically(Path(settings.dist), contents)


def release_graphs(project: Project, inferred: Graph, settings: Settings) -> dict[URIRef, Graph]:
    """Every named graph of the release: the asserted ones, the inferences and the shapes."""
    iris = settings.iris
    graphs = {name: project.graph(name) for name in sorted(project.files)}
    graphs[iris.inferred_graph] = inferred
    graphs[iris.shapes_graph] = project.shapes
    return graphs


def release_contents(
    project: Project, inferred: Graph, outcome: ValidationOutcome, settings: Settings
) -> dict[str, bytes]:
    """The bytes of every file of the release, by file name."""
    iris = settings.iris
    prefixes = iris.prefixes()
    # each graph read once: iterating rdflib's context-aware store is the slow part
    graphs = {
        name: list(graph) for name, graph in release_graphs(project, inferred, settings).items()
    }
    asserted_names = sorted(project.files)
    asserted = sorted({t for name in asserted_names for t in graphs[name]}, key=_key)

    files: dict[str, bytes] = {}
    files["defkg.nq"] = "".join(
        sorted(_nq_row(t, name) for name, graph in graphs.items() for t in graph)
    ).encode("utf-8")
    files["defkg.nt"] = "".join(sorted({_nt_row(t) for t in asserted})).encode("utf-8")
    files["defkg.trig"] = write_trig(graphs, prefixes)
    files["defkg.ttl"] = write_turtle(asserted, prefixes)
    context = load_context(settings)
    files["defkg.jsonld"] = jsonld_bytes(asserted, context)
    files[void.CONTEXT_FILE] = (json.dumps(context, ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )
    # zlib lets go of the GIL: the dumps compress side by side. Level 6, not 9: at 100k
    # triples 9 took 2.4x as long for files 4% smaller.
    with ThreadPoolExecutor(max_workers=len(DUMPS)) as pool:
        packed = pool.map(lambda name: gzip.compress(files[name], compresslevel=6, mtime=0), DUMPS)
        for name, data in zip(DUMPS, packed, strict=True):
            files[name + ".gz"] = data
    files[REPORT] = report_bytes(outcome.report, settings)

    ontology = project.graph(iris.ontology_graph)
    version = void.dataset_version(ontology, settings)
    dates = void.input_dates(project.graph(n) for n in asserted_names)
    description = void.describe(
        settings=settings,
        graphs=graphs,
        asserted_names=asserted_names,
        files={name: len(data) for name, data in files.items()},
        examples=example_resources(project, settings),
        dates=dates,
        version=version,
        ontology=ontology,
    )
    files[VOID_FILE] = write_turtle(description, void.prefixes(settings))
    files[SUMS] = checksums(files)
    return files


def _key(triple: Triple) -> tuple[str, str, str]:
    return (triple[0].n3(), triple[1].n3(), triple[2].n3())


def report_bytes(report: Graph, settings: Settings) -> bytes:
    """The validation report as Turtle, with content-derived blank-node labels."""
    return write_turtle(to_canonical_graph(report), settings.iris.prefixes())


# --- Turtle and TriG with a stable layout ----------------------------------------------------
# rdflib's serializers order graphs and objects by hash, which changes from run to run; this
# writer sorts everything, so the same triples always give the same bytes.

_PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")


class _Terms:
    """Terms in Turtle syntax: prefixed names where safe, literals in their short forms."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda item: len(item[1]), reverse=True)

    def __call__(self, term: Node) -> str:
        if isinstance(term, URIRef):
            iri = str(term)
            for prefix, namespace in self.prefixes:
                if iri.startswith(namespace) and _PN_LOCAL.fullmatch(iri[len(namespace) :]):
                    return f"{prefix}:{iri[len(namespace) :]}"
            return term.n3()
        if isinstance(term, Literal):
            lexical = str(term)
            if term.datatype == XSD.integer and _INTEGER.fullmatch(lexical):
                return lexical
            if term.datatype == XSD.decimal and _DECIMAL.fullmatch(lexical):
                return lexical
            if term.datatype == XSD.boolean and lexical in ("true", "false"):
                return lexical
            quoted = _quoteLiteral(Literal(lexical))
            if term.language:
                return f"{quoted}@{term.language}"
            if term.datatype is not None:
                return f"{quoted}^^{self(term.datatype)}"
            return quoted
        return term.n3()


def _prefix_lines(prefixes: dict[str, str]) -> list[str]:
    return [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in prefixes.items()]


def _statements(triples: Iterable[Triple], terms: _Terms, indent: str) -> list[str]:
    """Subject blocks: subjects sorted (IRIs first), rdf:type first, objects sorted."""
    by_subject: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        by_subject[s][p].append(o)
    lines: list[str] = []
    for subject in sorted(by_subject, key=lambda n: (isinstance(n, BNode), n.n3())):
        predicates = by_subject[subject]
        order = sorted(predicates, key=lambda p: (p != RDF.type, p.n3()))
        parts = []
        for predicate in order:
            verb = "a" if predicate == RDF.type else terms(predicate)
            objects = sorted({terms(o) for o in predicates[predicate]})
            parts.append(f"{verb} " + (" ,\n" + indent + "        ").join(objects))
        lines.append(f"{indent}{terms(subject)} " + (" ;\n" + indent + "    ").join(parts) + " .\n")
    return lines


def write_turtle(triples: Iterable[Triple], prefixes: dict[str, str]) -> bytes:
    """Turtle with every prefix declared and a sorted layout (see _statements)."""
    terms = _Terms(prefixes)
    text = "\n".join(_prefix_lines(prefixes)) + "\n\n" + "\n".join(_statements(triples, terms, ""))
    return text.encode("utf-8")


def write_trig(graphs: Mapping[URIRef, Collection[Triple]], prefixes: dict[str, str]) -> bytes:
    """TriG: one block per named graph, graphs sorted by name, each laid out like Turtle."""
    terms = _Terms(prefixes)
    blocks = []
    for name in sorted(graphs, key=str):
        if len(graphs[name]) == 0:
            continue
        body = "\n".join(_statements(graphs[name], terms, "    "))
        blocks.append(f"{terms(name)} {{\n{body}}}\n")
    return ("\n".join(_prefix_lines(prefixes)) + "\n\n" + "\n".join(blocks)).encode("utf-8")


def load_context(settings: Settings) -> dict:
    """The JSON-LD context: ``ontology/context.jsonld``, or one made of the prefixes."""
    path = settings.ontology_dir / "context.jsonld"
    if not path.is_file():
        return {"@context": dict(sorted(settings.iris.prefixes().items()))}
    try:
        context = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the JSON-LD context: {error}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}:{error.colno}: bad JSON: {error.msg}") from None
    if not isinstance(context, dict) or "@context" not in context:
        raise InputError(f"{path}: a JSON-LD context must be an object with an @context key")
    return {"@context": context["@context"]}


def jsonld_bytes(triples: list[Triple], context: dict, chunk: int = 500) -> bytes:
    """The asserted view as compacted JSON-LD with the context inline.

    The expanded form is built here, node by node in sorted order (pyld's N-Quads reader is
    quadratic), and pyld compacts it in chunks of nodes: each node compacts on its own, so the
    result is the same as one call, in time linear in the size of the graph.
    """
    nodes = expanded_nodes(triples)
    starts = list(range(0, len(nodes), chunk))
    # a few large pieces, one per worker process; each compacts its chunks in order
    pieces = [starts[i :: max(1, os.cpu_count() or 1)] for i in range(max(1, os.cpu_count() or 1))]

    def compact_piece(piece: list[int]) -> list | str:
        done: list = []
        try:
            with _memoised_iri_compaction():
                for start in piece:
                    part = jsonld.compact(
                        nodes[start : start + chunk],
                        context,
                        {"documentLoader": _no_remote, "graph": True},
                    )
                    done.append(part.get("@graph", []))
        except jsonld.JsonLdError as error:
            return str(error)
        return done

    by_start: dict[int, list] = {}
    for piece, done in zip(pieces, parallel_map(compact_piece, pieces), strict=True):
        if isinstance(done, str):
            raise InputError(f"ontology/context.jsonld: cannot compact with it: {done}")
        by_start.update(zip(piece, done, strict=True))
    compacted = [node for start in starts for node in by_start[start]]
    document = {"@context": context["@context"], "@graph": compacted}
    text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True)
    return (text + "\n").encode("utf-8")


@contextmanager
def _memoised_iri_compaction() -> Iterator[None]:
    """pyld's IRI compaction, remembered while one dump is written.

    pyld compacts every IRI by scanning the whole inverse context, and the same few hundred
    IRIs and value shapes recur thousands of times: that scan was most of the JSON-LD time.
    The answer depends only on the active context, the IRI, the value's content and the flags,
    which together are the key; the contexts are kept alive so that their ids stay unique.
    """
    original = jsonld.JsonLdProcessor._compact_iri
    answers: dict[tuple, object] = {}
    contexts: list[dict] = []

    def compact_iri(self, active_ctx, iri, value=None, vocab=False, base=None, reverse=False):
        try:
            shape = None if value is None else json.dumps(value, sort_keys=True)
        except (TypeError, ValueError):
            return original(self, active_ctx, iri, value, vocab, base, reverse)
        key = (id(active_ctx), iri, shape, vocab, base, reverse)
        if key not in answers:
            contexts.append(active_ctx)
            answers[key] = original(self, active_ctx, iri, value, vocab, base, reverse)
        return answers[key]

    jsonld.JsonLdProcessor._compact_iri = compact_iri
    try:
        yield
    finally:
        jsonld.JsonLdProcessor._compact_iri = original


def expanded_nodes(triples: list[Triple]) -> list[dict]:
    """JSON-LD expanded node objects for ``triples`` (RDF to JSON-LD without native types)."""
    by_subject: dict[Node, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        if p == RDF.type and not isinstance(o, Literal):
            by_subject[s]["@type"].append(_node_id(o))
        else:
            by_subject[s][str(p)].append(_expanded_value(o))
    nodes = []
    for subject in sorted(by_subject, key=lambda n: (isinstance(n, BNode), n.n3())):
        node: dict = {"@id": _node_id(subject)}
        for key in sorted(by_subject[subject]):
            values = by_subject[subject][key]
            node[key] = sorted(values) if key == "@type" else sorted(values, key=_value_key)
        nodes.append(node)
    return nodes


def _node_id(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _expanded_value(term: Node) -> dict:
    if not isinstance(term, Literal):
        return {"@id": _node_id(term)}
    value: dict = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        value["@type"] = str(term.datatype)
    return value


def _value_key(value: dict) -> tuple:
    return tuple(sorted(value.items()))


def _no_remote(url: str, options: dict | None = None) -> dict:
    # a build must not depend on the network: remote contexts are refused
    raise jsonld.JsonLdError(
        f"remote context {url} refused (inline it)", "jsonld.LoadDocumentError"
    )


def example_resources(project: Project, settings: Settings, limit: int = 3) -> list[URIRef]:
    """A few source documents and a few Wikidata-linked entities, chosen stably."""
    articles: set[URIRef] = set()
    linked: set[URIRef] = set()
    for name in project.files:
        graph = project.graph(name)
        articles.update(s for s in graph.subjects(RDF.type, SCHEMA.NewsArticle) if _iri(s))
        linked.update(
            s
            for s, o in graph.subject_objects(OWL.sameAs)
            if _iri(s) and str(o).startswith(str(WD))
        )
    chosen = sorted(articles)[:limit] + sorted(linked)[:limit]
    return [r for r in chosen if settings.iris.is_minted(r)]


def _iri(node: Node) -> bool:
    return isinstance(node, URIRef)


def checksums(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` format: one ``digest  name`` line per file, sorted by name."""
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(files.items())
        if name != SUMS
    ]
    return "".join(lines).encode("ascii")


def write_atomically(target: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` into a new directory and swap it in for ``target`` by renaming.

    On any failure the new directory is removed and ``target`` is left as it was.
    """
    target = Path(os.path.abspath(target))
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DefkgError(f"{parent}: cannot create the output folder: {error.strerror}") from None
    if target.exists() and not target.is_dir():
        raise DefkgError(f"{target}: exists and is not a directory")
    staging = parent / f".{target.name}.new-{os.getpid()}"
    retired = parent / f".{target.name}.old-{os.getpid()}"
    try:
        _remove(staging)
        staging.mkdir()
        for name, data in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if not target.exists():
            os.rename(staging, target)
        elif _exchange(staging, target):
            os.rename(staging, retired)  # the old release, now under the staging name
        else:
            os.rename(target, retired)
            os.rename(staging, target)
    except OSError as error:
        _remove(staging)
        if retired.exists() and not target.exists():
            os.rename(retired, target)
        raise DefkgError(f"{target}: cannot write the release: {error}") from None
    _remove(retired)
    return target


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE), so that a reader
    never finds the release missing; False where the system cannot, and the caller renames
    twice instead."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
