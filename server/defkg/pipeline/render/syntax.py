"""Stable RDF syntax: Turtle, TriG and JSON-LD text that is the same for the same triples.

rdflib's serializers order graphs and objects by hash, which changes from run to run; these
writers sort everything. Turtle is laid out one subject per block: subjects sorted (IRIs
first), ``rdf:type`` first, objects sorted, prefixed names where they are safe, literals in
their short forms. JSON-LD is compacted with pyld, node by node, and written with sorted keys.

Everything is built from per-subject pieces (:func:`subject_blocks`, :func:`compact_nodes`,
:func:`node_text`) so that a release can be assembled from pieces rendered earlier
(:mod:`defkg.pipeline.render.fragments`); the document functions put pieces together exactly as
rendering the
whole at once would.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable

from pyld import jsonld
from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import Node

from defkg.config import Settings
from defkg.errors import InputError
from defkg.iris import Curies
from defkg.patches import memoised_iri_compaction, quote_literal

Triple = tuple[Node, Node, Node]
#: how subjects are ordered everywhere: IRIs before blank nodes, then by N-Triples form
SubjectKey = tuple[bool, str]

_PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")


def subject_key(subject: Node) -> SubjectKey:
    """The sort key of a subject block."""
    return (isinstance(subject, BNode), subject.n3())


class Terms:
    """Terms in Turtle syntax: prefixed names where safe, literals in their short forms."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.curies = Curies(prefixes)

    def __call__(self, term: Node) -> str:
        if isinstance(term, URIRef):
            return self.curies(str(term), _PN_LOCAL.fullmatch) or term.n3()
        if isinstance(term, Literal):
            lexical = str(term)
            if term.datatype == XSD.integer and _INTEGER.fullmatch(lexical):
                return lexical
            if term.datatype == XSD.decimal and _DECIMAL.fullmatch(lexical):
                return lexical
            if term.datatype == XSD.boolean and lexical in ("true", "false"):
                return lexical
            quoted = quote_literal(Literal(lexical))
            if term.language:
                return f"{quoted}@{term.language}"
            if term.datatype is not None:
                return f"{quoted}^^{self(term.datatype)}"
            return quoted
        return term.n3()


def prefix_header(prefixes: dict[str, str]) -> str:
    """The ``@prefix`` lines of a Turtle or TriG document, then a blank line."""
    lines = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in prefixes.items()]
    return "\n".join(lines) + "\n\n"


def subject_blocks(triples: Iterable[Triple], terms: Terms) -> list[tuple[SubjectKey, str]]:
    """One Turtle block per subject, sorted by :func:`subject_key`, each ending in `` .\\n``."""
    by_subject: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        by_subject[s][p].append(o)
    blocks = []
    for subject in sorted(by_subject, key=subject_key):
        predicates = by_subject[subject]
        order = sorted(predicates, key=lambda p: (p != RDF.type, p.n3()))
        parts = []
        for predicate in order:
            verb = "a" if predicate == RDF.type else terms(predicate)
            objects = sorted({terms(o) for o in predicates[predicate]})
            parts.append(f"{verb} " + " ,\n        ".join(objects))
        blocks.append(
            (subject_key(subject), f"{terms(subject)} " + " ;\n    ".join(parts) + " .\n")
        )
    return blocks


def indented(block: str, indent: str) -> str:
    """``block`` with every line indented (a Turtle block inside a TriG graph)."""
    return indent + block[:-1].replace("\n", "\n" + indent) + "\n"


def turtle_document(prefixes: dict[str, str], blocks: Iterable[str]) -> bytes:
    """A Turtle document: the prefixes, then the subject blocks separated by blank lines."""
    return (prefix_header(prefixes) + "\n".join(blocks)).encode("utf-8")


def write_turtle(triples: Iterable[Triple], prefixes: dict[str, str]) -> bytes:
    """Turtle with every prefix declared and a sorted layout (see :func:`subject_blocks`)."""
    terms = Terms(prefixes)
    return turtle_document(prefixes, (block for _key, block in subject_blocks(triples, terms)))


def trig_document(prefixes: dict[str, str], graphs: Iterable[tuple[str, list[str]]]) -> bytes:
    """TriG from (graph name in Turtle syntax, its subject blocks), graphs in the order given;
    a graph without blocks is left out."""
    out = []
    for name, blocks in graphs:
        if blocks:
            out.append(f"{name} {{\n{_indented_blocks(blocks, '    ')}}}\n")
    return (prefix_header(prefixes) + "\n".join(out)).encode("utf-8")


def _indented_blocks(blocks: list[str], indent: str) -> str:
    """``"\\n".join(indented(block, indent) for block in blocks)``, in a few string
    operations over the whole (a TriG dump indents every block of every graph)."""
    joined = "\0".join(block[:-1] for block in blocks)
    if joined.count("\0") != len(blocks) - 1:  # a NUL of a block's own: not a separator
        return "\n".join(indented(block, indent) for block in blocks)
    return indent + joined.replace("\n", "\n" + indent).replace("\0", "\n\n" + indent) + "\n"


# --- JSON-LD --------------------------------------------------------------------------------


def read_project_context(settings: Settings) -> dict:
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


def expanded_nodes(triples: Iterable[Triple]) -> list[tuple[SubjectKey, dict]]:
    """JSON-LD expanded node objects by subject, sorted (RDF to JSON-LD without native types)."""
    by_subject: dict[Node, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        if p == RDF.type and not isinstance(o, Literal):
            by_subject[s]["@type"].append(_node_id(o))
        else:
            by_subject[s][str(p)].append(_expanded_value(o))
    nodes = []
    for subject in sorted(by_subject, key=subject_key):
        node: dict = {"@id": _node_id(subject)}
        for key in sorted(by_subject[subject]):
            values = by_subject[subject][key]
            node[key] = sorted(values) if key == "@type" else sorted(values, key=_value_key)
        nodes.append((subject_key(subject), node))
    return nodes


def compact_nodes(nodes: list[dict], context: dict, chunk: int = 500) -> list[dict]:
    """Each expanded node compacted with ``context``, in order.

    A node compacts on its own (compaction neither merges nor embeds nodes), so compacting
    chunks of nodes gives what compacting all of them at once gives; pyld's cost per call is
    what the chunks save.
    """
    compacted: list[dict] = []
    try:
        with memoised_iri_compaction():
            for start in range(0, len(nodes), chunk):
                part = jsonld.compact(
                    nodes[start : start + chunk],
                    context,
                    {"documentLoader": _no_remote, "graph": True},
                )
                compacted.extend(part.get("@graph", []))
    except jsonld.JsonLdError as error:
        raise InputError(f"ontology/context.jsonld: cannot compact with it: {error}") from None
    if len(compacted) != len(nodes):
        raise InputError("ontology/context.jsonld: compaction merged or dropped nodes")
    return compacted


def node_text(node: dict) -> str:
    """One compacted node as it stands in the ``@graph`` of a JSON-LD dump."""
    text = json.dumps(node, indent=1, ensure_ascii=False, sort_keys=True)
    return "  " + text.replace("\n", "\n  ")


def jsonld_document(context: dict, nodes: Iterable[str]) -> bytes:
    """The JSON-LD dump: ``context`` inline, then the node texts (from :func:`node_text`).

    The same bytes as ``json.dumps({"@context": ..., "@graph": [...]}, indent=1,
    sort_keys=True, ensure_ascii=False)`` of the whole, without holding the whole.
    """
    head = json.dumps(context["@context"], indent=1, ensure_ascii=False, sort_keys=True)
    body = ",\n".join(nodes)
    graph = f"[\n{body}\n ]" if body else "[]"
    text = '{\n "@context": ' + head.replace("\n", "\n ") + ',\n "@graph": ' + graph + "\n}\n"
    return text.encode("utf-8")


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
