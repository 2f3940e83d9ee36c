"""SHACL validation of the asserted and inferred graphs, with results traced to file and line.

Like reasoning, validation runs in passes so that it grows linearly: one pass over the base
(ontology + entities + their inferences), then one per batch of sources (the reasoner's
batches) over the base plus those sources and their inferences. The base's results come first;
a batch adds the results that are new in it, each located at the file and line where its focus
node is written. A batch's pass checks only the nodes its triples mention and their neighbours
in the base (the base pass has checked the rest against the same shapes). Shapes that compare
nodes of sources in different batches are not checked across them (the shapes of this project
do not need that).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, cast

import pyshacl
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef, Variable
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from defkg import patches
from defkg.config import Settings
from defkg.iris import Curies
from defkg.patches import lean_pyshacl
from defkg.pipeline import load
from defkg.pipeline.cache import code_digest, digest_of_lines
from defkg.pipeline.load import Project, triples_of
from defkg.pipeline.parallel import parallel_map
from defkg.pipeline.reason import ReasoningCache, base_graph_names, source_batches

SH = Namespace("http://www.w3.org/ns/shacl#")
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Finding:
    """One SHACL result, in words a curator can act on, with the file and line to fix."""

    severity: str  #: "Violation", "Warning" or "Info"
    focus: Node
    focus_label: str | None
    path: str | None  #: the property path, in prefixed names
    value: str | None  #: the offending value, in Turtle syntax
    message: str
    shape: str  #: the shape that produced it, in prefixed names
    file: Path | None
    line: int | None
    focus_text: str = ""  #: the focus node in prefixed names
    column: int | None = None  #: where on the line, when the finding is about one token

    def sort_key(self) -> tuple:
        return (
            str(self.file or ""),
            self.line or 0,
            SEVERITY_ORDER.get(self.severity, 3),
            self.focus_text,
            self.path or "",
            self.value or "",
            self.message,
            self.shape,
        )

    def format(self) -> str:
        """``file:line: Severity: focus (label) path=… value=…: message [shape]``."""
        where = f"{self.file}:{self.line}" if self.file and self.line else str(self.file or "?")
        if self.file and self.line and self.column:
            where += f":{self.column}"
        text = f"{where}: {self.severity}: {self.focus_text}"
        if self.focus_label:
            text += f" ({self.focus_label})"
        if self.path:
            text += f" path={self.path}"
        if self.value is not None:
            text += f" value={self.value}"
        return f"{text}: {self.message} [{self.shape}]"


@dataclass
class ValidationOutcome:
    """``conforms`` is False only when there is a Violation; warnings do not fail a build."""

    conforms: bool
    findings: list[Finding] = field(default_factory=list)
    report: Graph = field(default_factory=Graph)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]


def validate(
    project: Project,
    inferred: Graph | None,
    settings: Settings,
    *,
    inferred_by_graph: dict[URIRef, list[str]] | None = None,
    write_cache: bool = True,
    whole_passes: bool = False,
) -> ValidationOutcome:
    """Validate asserted + inferred against the shapes, pass by pass; see the module docstring.

    ``inferred_by_graph`` (from :func:`defkg.pipeline.reason.infer_by_graph`) says which pass drew
    each
    inference; without it an inference joins the pass of every graph that mentions its subject.
    With it, the inferences follow from the files, so each pass's findings are cached in
    ``.defkg-cache/validate/`` under the hash of its files (read always, written only with
    ``write_cache``).

    A batch's pass checks the nodes its triples mention and their neighbours in the base (see
    :func:`_near`); ``whole_passes`` makes it check every node of its graph, as the base pass
    does (tests compare the two).
    """
    iris = settings.iris
    base_names = base_graph_names(project, settings)
    batches = source_batches(project, settings)
    if inferred_by_graph is not None:
        lines_by_pass = inferred_by_graph

        def inferences(name: URIRef) -> list[tuple[Node, Node, Node]]:
            # parsed only for the passes that run: a cached pass never needs its triples
            return triples_of(lines_by_pass.get(name, ()))
    else:
        # without the reasoner's split, callers hand over the inferred graph itself
        split = _split_by_subject(project, cast(Graph, inferred), base_names, batches)

        def inferences(name: URIRef) -> list[tuple[Node, Node, Node]]:
            return split.get(name, [])

    base = PreparedQueryGraph()
    for name in base_names:
        base += project.graph(name)
    for triple in inferences(iris.ontology_graph):
        base.add(triple)

    namer = _Namer(settings)
    passes = [base_names, *batches]

    def run_pass(index: int) -> list[tuple[tuple, Finding, list]]:
        names = passes[index]
        focus: set[Node] | None = None
        if index == 0:
            graph = base
        else:
            graph = PreparedQueryGraph()
            graph += base
            mentioned: set[Node] = set()
            for name in names:
                for triple in project.triples(name):
                    graph.add(triple)
                    mentioned.update((triple[0], triple[2]))
            for triple in inferences(names[0]):
                graph.add(triple)
                mentioned.update((triple[0], triple[2]))
            if not whole_passes:
                focus = _near(mentioned, base)
        shapes = Graph()
        shapes += project.shapes  # pyshacl adds RDFS axioms to the shapes graph it is given
        with lean_pyshacl(focus):
            _conforms, results, _text = pyshacl.validate(
                graph, shacl_graph=shapes, inference="none", inplace=True
            )
        found = []
        for result in sorted(results.subjects(RDF.type, SH.ValidationResult), key=str):
            if results.value(result, SH.focusNode) is None:
                continue
            finding = _finding(results, result, graph, project, names, namer)
            key = (finding.focus_text, finding.path, finding.value, finding.message, finding.shape)
            copy = Graph()
            _copy_result(results, result, copy)
            found.append((key, finding, list(copy)))
        return found

    cache = None
    if inferred_by_graph is not None:
        code = code_digest(sys.modules[__name__], load, patches, stage="validate")
        cache = ReasoningCache(settings, project, writable=write_cache, kind="validate", code=code)
    # findings name their files as seen from the working directory: the key holds both
    where = f"{settings.root}\0{Path(settings.root).resolve()}\0{Path.cwd()}"
    # a pass validates its graphs' files (hashed by the cache) and the inferences of its own
    # and of the base pass: those lines are reason's output, and part of the key
    drawn = inferred_by_graph or {}
    base_inferred = digest_of_lines(sorted(drawn.get(iris.ontology_graph, ())))

    def pass_key(index: int) -> list[str]:
        own = drawn.get(passes[index][0], ()) if index else ()
        return [where, base_inferred, digest_of_lines(sorted(own)), *map(str, passes[index])]

    results: list = [cache.get(pass_key(i)) if cache else None for i in range(len(passes))]
    todo = [i for i, found in enumerate(results) if found is None]
    checked = parallel_map(run_pass, todo, workers=settings.build_workers)
    for i, found in zip(todo, checked, strict=True):
        if cache:
            cache.put(pass_key(i), found)
        results[i] = found

    report = Graph()
    findings: dict[tuple, Finding] = {}
    # the base's own results come first; a batch adds only what is new in it
    for found in results:
        for key, finding, triples in found:
            if key not in findings:
                findings[key] = finding
                for triple in triples:
                    report.add(triple)

    ordered = sorted(findings.values(), key=Finding.sort_key)
    conforms = not any(f.severity == "Violation" for f in ordered)
    report_node = BNode("report")
    report.add((report_node, RDF.type, SH.ValidationReport))
    report.add((report_node, SH.conforms, Literal(not ordered)))
    for result in sorted(report.subjects(RDF.type, SH.ValidationResult), key=str):
        report.add((report_node, SH.result, result))
    for prefix, namespace in iris.prefixes().items():
        report.bind(prefix, namespace, replace=True)
    return ValidationOutcome(conforms, ordered, report)


def _near(mentioned: set[Node], base: Graph) -> set[Node]:
    """The nodes a batch's pass checks: those its triples mention, and their neighbours in
    the base (an entity linking the same Wikidata item as a source's node, say).

    Every other base node is checked by the base pass against the same shapes; a batch could
    only change its results through a shape that walks two links through the base into the
    batch, which none of the project's shapes does (the tests compare with whole passes).
    """
    near = set(mentioned)
    for node in mentioned:
        if isinstance(node, Literal):
            continue
        near.update(o for _s, _p, o in base.triples((node, None, None)))
        near.update(s for s, _p, _o in base.triples((None, None, node)))
    return near


def _split_by_subject(
    project: Project, inferred: Graph, base_names: list[URIRef], batches: list[list[URIRef]]
) -> dict[URIRef, list[tuple[Node, Node, Node]]]:
    """Inferences by pass when the reasoner's own split is not at hand: by the nodes of each."""
    by_subject: dict[Node, list[tuple[Node, Node, Node]]] = defaultdict(list)
    for triple in inferred:
        by_subject[triple[0]].append(triple)
    parts: dict[URIRef, list[tuple[Node, Node, Node]]] = {}
    for names in [base_names, *batches]:
        if not names:
            continue
        nodes: set[Node] = set()
        for name in names:
            nodes |= _nodes(project.graph(name))
        parts[names[0]] = [t for node in nodes for t in by_subject.get(node, ())]
    return parts


#: the variables pyshacl binds before it runs a SPARQL-based constraint
_PRE_BOUND = frozenset({Variable("this"), Variable("currentShape"), Variable("shapesGraph")})


def _plan_for_bound(node: object, bound: frozenset[Variable]) -> None:
    """Reorder the triple patterns of every BGP so the ones touching bound variables come first.

    rdflib orders a BGP when it parses the query, not knowing that ``$this`` will be bound,
    and may start with a pattern that matches every selector in the graph: a cross product
    per focus node. The order of a BGP's patterns never changes its answers.
    """
    if isinstance(node, CompValue):
        if node.name == "BGP":
            remaining = list(node["triples"])
            known = set(bound)
            ordered = []
            while remaining:

                def fixed(triple: tuple) -> int:
                    return sum(1 for t in triple if not isinstance(t, Variable) or t in known)

                best = max(range(len(remaining)), key=lambda i: (fixed(remaining[i]), -i))
                triple = remaining.pop(best)
                ordered.append(triple)
                known.update(t for t in triple if isinstance(t, Variable))
            node["triples"] = ordered
        for value in node.values():
            _plan_for_bound(value, bound)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _plan_for_bound(value, bound)


class PreparedQueryGraph(Graph):
    """A Graph that parses and plans each SPARQL query once.

    pyshacl runs a SPARQL-based constraint once per focus node with the same text; rdflib
    would parse that text every time, which was most of the validation time, and would
    evaluate its patterns in an order chosen without knowing ``$this`` (see
    :func:`_plan_for_bound`).
    """

    _prepared: ClassVar[dict[tuple[str, frozenset], object]] = {}

    def query(  # type: ignore[override]
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,
        initBindings=None,
        use_store_provided=True,
        **kwargs,
    ):
        if isinstance(query_object, str) and processor == "sparql" and not initNs:
            namespaces = dict(self.namespaces())
            key = (query_object, frozenset(namespaces.items()))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = prepareQuery(query_object, initNs=namespaces)
                _plan_for_bound(prepared.algebra, _PRE_BOUND)
                if len(self._prepared) < 1000:
                    self._prepared[key] = prepared
            query_object = prepared
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def _nodes(graph: Graph) -> set[Node]:
    nodes: set[Node] = set()
    for s, _p, o in graph:
        nodes.add(s)
        if not isinstance(o, Literal):
            nodes.add(o)
    return nodes


def _copy_result(source: Graph, node: Node, target: Graph) -> None:
    """Copy a result and the blank nodes it refers to (paths, property shapes)."""
    todo, done = [node], set()
    while todo:
        current = todo.pop()
        if current in done:
            continue
        done.add(current)
        for _s, p, o in source.triples((current, None, None)):
            target.add((current, p, o))
            if isinstance(o, BNode):
                todo.append(o)


class _Namer:
    """Terms in prefixed names, as curators write them."""

    def __init__(self, settings: Settings) -> None:
        self.curies = Curies(settings.iris.prefixes())

    def term(self, node: Node) -> str:
        if isinstance(node, URIRef):
            # "/" is kept for people to read (kg:source/s3); this is not Turtle output
            return self.curies(str(node), lambda local: local and " " not in local) or f"<{node}>"
        if isinstance(node, Literal):
            return node.n3()
        return "[]"

    def path(self, graph: Graph, node: Node) -> str:
        """A SHACL property path in SPARQL-like syntax: ``^p``, ``p/q``, ``(p|q)``, ``p*``."""
        if isinstance(node, URIRef):
            return self.term(node)
        if graph.value(node, RDF.first) is not None:
            return "/".join(self.path(graph, item) for item in Collection(graph, node))
        for predicate, template in (
            (SH.inversePath, "^{}"),
            (SH.zeroOrMorePath, "{}*"),
            (SH.oneOrMorePath, "{}+"),
            (SH.zeroOrOnePath, "{}?"),
        ):
            inner = graph.value(node, predicate)
            if inner is not None:
                return template.format(self.path(graph, inner))
        alternatives = graph.value(node, SH.alternativePath)
        if alternatives is not None:
            return (
                "(" + "|".join(self.path(graph, i) for i in Collection(graph, alternatives)) + ")"
            )
        return "[]"


def _finding(
    results: Graph,
    result: Node,
    data: Graph,
    project: Project,
    names: list[URIRef],
    namer: _Namer,
) -> Finding:
    # every SHACL result has a focus node and a severity (pyshacl writes both)
    focus = cast(Node, results.value(result, SH.focusNode))
    severity = _SEVERITY.get(cast(URIRef, results.value(result, SH.resultSeverity)), "Violation")
    path_node = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
    component = results.value(result, SH.sourceConstraintComponent)
    file, line = _locate(focus, data, project, names)
    if isinstance(path_node, URIRef) and file is not None:
        line = _triple_line(file, focus, path_node) or line
    return Finding(
        severity=severity,
        focus=focus,
        focus_label=_label(data, focus),
        path=namer.path(results, path_node) if path_node is not None else None,
        value=_value_text(value, data, namer) if value not in (None, focus) else None,
        message="; ".join(messages) or (namer.term(component) if component else "fails"),
        shape=_shape_name(results, result, project, namer),
        file=file,
        line=line,
        focus_text=namer.term(focus)
        if not isinstance(focus, BNode)
        else _bnode_text(focus, data, namer),
    )


def _label(graph: Graph, node: Node) -> str | None:
    labels = list(graph.objects(node, RDFS.label)) + list(graph.objects(node, SKOS.prefLabel))
    if not labels:
        return None
    english = [lab for lab in labels if isinstance(lab, Literal) and lab.language == "en"]
    return str(sorted(english or labels, key=str)[0])


def _value_text(value: Node, data: Graph, namer: _Namer) -> str:
    if isinstance(value, BNode):
        return _bnode_text(value, data, namer)
    return namer.term(value)


def _bnode_text(node: Node, data: Graph, namer: _Namer) -> str:
    """A blank node as "[] (the object of kg:x defkg:p)", which a curator can find."""
    parent = next(iter(data.subject_predicates(node)), None)
    if parent is None:
        return "[]"
    return f"[] (the {namer.term(parent[1])} of {_value_text(parent[0], data, namer)})"


def _owner(node: Node, data: Graph, limit: int = 20) -> Node:
    """The nearest IRI that writes ``node`` (itself, or the subject above its blank nodes)."""
    seen = set()
    while isinstance(node, BNode) and node not in seen and limit > 0:
        seen.add(node)
        parent = next(iter(sorted(data.subjects(None, node), key=str)), None)
        if parent is None:
            break
        node, limit = parent, limit - 1
    return node


def _locate(
    focus: Node, data: Graph, project: Project, names: list[URIRef]
) -> tuple[Path | None, int | None]:
    """The file and line where ``focus`` (or the subject holding it) is written.

    The files of the pass come first; a node that is never a subject (typed only by an
    inference, say) is located where a subject refers to it.
    """
    own = [project.files[n] for n in names if n in project.files]
    files = own + [p for p in sorted(project.subject_lines) if p not in own]
    owner = _owner(focus, data)
    for path in files:
        line = project.subject_lines.get(path, {}).get(owner)
        if line is not None:
            return path, line
    for name in names + sorted(project.files):
        if name not in project.files:
            continue
        for subject in sorted(project.graph(name).subjects(None, owner), key=str):
            line = project.subject_lines.get(project.files[name], {}).get(_owner(subject, data))
            if line is not None:
                return project.files[name], line
    return (own[0] if own else None), None


#: each file's (subject, predicate) lines, read once per build (findings are few)
_PAIR_LINES: dict[tuple[str, int, int], dict[tuple[Node, Node], int]] = {}


def _triple_line(path: Path, subject: Node | None, predicate: URIRef) -> int | None:
    """The line where ``subject predicate …`` is written in ``path``, if it is written there:
    a finding about a triple is shown at that triple, not at the subject's first line."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _PAIR_LINES:
            _PAIR_LINES[key] = load.scan_lines(path.read_text(encoding="utf-8"))[1]
    except (OSError, UnicodeDecodeError):
        return None
    return _PAIR_LINES[key].get((subject, predicate)) if subject is not None else None


def _shape_name(results: Graph, result: Node, project: Project, namer: _Namer) -> str:
    shape = results.value(result, SH.sourceShape)
    if isinstance(shape, URIRef):
        return namer.term(shape)
    parent = next(iter(sorted(project.shapes.subjects(SH.property, shape), key=str)), None)
    path = results.value(shape, SH.path) if shape is not None else None
    path_text = namer.path(results, path) if path is not None else "[]"
    if isinstance(parent, URIRef):
        return f"{namer.term(parent)} {path_text}"
    return f"property shape {path_text}"
