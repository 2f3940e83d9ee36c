"""Curators' rules that SHACL cannot say, checked by every build (and `defkg validate`).

- A term in the ontology's namespace (``defkg:``) that the ontology does not define is a
  Violation naming the closest term it does define: ``defkg:moreThen`` is a typo of
  ``defkg:moreThan``, not a new term (SHACL only saw a node without a label).
- A property of the data that no shape constrains (its path, a SPARQL constraint naming it, or
  a super-property's) is a Warning naming it: its values are checked by nothing.

Each finding is located at the file, line and column where the term is written. The words are
:mod:`defkg.curate.hints`'.

The rules run on every build, so they read no graph as rdflib triples: what each graph uses
(its ``defkg:`` terms, its predicates) is read off its sorted N-Triples lines and cached in
``.defkg-cache/rules/`` under the hash of those lines (:func:`graph_terms`); what is left is
comparing those few terms with the ontology's and the shapes', and finding in its file where a
term that fails a rule is written (few are).
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Namespace, URIRef
from rdflib.term import Node

from defkg.config import Settings
from defkg.curate import hints
from defkg.pipeline.cache import PickleCache, code_digest, digest_of, digest_of_lines
from defkg.pipeline.load import Project, line_terms
from defkg.pipeline.validate import Finding

SH = Namespace("http://www.w3.org/ns/shacl#")


#: bump when :class:`GraphTerms` changes shape
FORMAT = "rules-1"


@dataclass(frozen=True)
class GraphTerms:
    """What the rules need of one graph, read off its N-Triples lines."""

    vocabulary: tuple[str, ...]  #: the IRIs under the ``defkg:`` namespace it writes, sorted
    predicates: tuple[str, ...]  #: its predicates but rdf:type, sorted


def rule_findings(
    project: Project, settings: Settings, *, write_cache: bool = False
) -> list[Finding]:
    """Every curators' rule finding of the project, in file and line order."""
    terms = graph_terms(project, settings, write_cache=write_cache)
    found = unknown_terms(project, settings, terms) + unconstrained_properties(
        project, settings, terms
    )
    return sorted(found, key=Finding.sort_key)


def graph_terms(
    project: Project, settings: Settings, *, write_cache: bool = False
) -> dict[URIRef, GraphTerms]:
    """The :class:`GraphTerms` of every data graph (the ontology aside), from the cache when
    its lines were seen before (written only with ``write_cache``)."""
    cache = PickleCache(settings, "rules", writable=write_cache)
    namespace = str(settings.iris.vocab)
    code = digest_of(FORMAT, code_digest(sys.modules[__name__], stage="rules"), namespace)
    found: dict[URIRef, GraphTerms] = {}
    for name in _data_names(project, settings):
        lines = project.lines(name)
        key = digest_of(code, digest_of_lines(lines))
        terms = cache.get(key)
        if not isinstance(terms, GraphTerms):
            terms = terms_of_lines(lines, namespace)
            cache.put(key, terms)
        found[name] = terms
    return found


_RDF_TYPE = f"<{RDF.type}>"


def terms_of_lines(lines: list[str], namespace: str) -> GraphTerms:
    """The :class:`GraphTerms` of a graph given as N-Triples lines (as :func:`defkg.pipeline.
    load.nt_lines` writes them, read by :func:`defkg.pipeline.load.line_terms`)."""
    vocabulary: set[str] = set()
    predicates: set[str] = set()
    opening = "<" + namespace
    for line in lines:
        subject, predicate, obj = line_terms(line)
        if predicate != _RDF_TYPE:
            predicates.add(predicate)
        for term in (subject, predicate, obj):
            if term.startswith(opening):
                vocabulary.add(term[1:-1])
    return GraphTerms(tuple(sorted(vocabulary)), tuple(sorted(p[1:-1] for p in predicates)))


def _defined_terms(project: Project, settings: Settings) -> set[URIRef]:
    namespace = str(settings.iris.vocab)
    ontology = project.graph(settings.iris.ontology_graph)
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(namespace)}


def _data_names(project: Project, settings: Settings) -> list[URIRef]:
    ontology = settings.iris.ontology_graph
    return [name for name in project.asserted_graph_names() if name != ontology]


def unknown_terms(
    project: Project, settings: Settings, terms: dict[URIRef, GraphTerms] | None = None
) -> list[Finding]:
    """The ``defkg:`` terms the data and the shapes use that the ontology does not define.

    ``terms``: each data graph's (:func:`graph_terms`; read from the cache without it)."""
    namespace = str(settings.iris.vocab)
    defined = _defined_terms(project, settings)
    if not defined:
        return []
    if terms is None:
        terms = graph_terms(project, settings)
    locals_ = sorted(str(term)[len(namespace) :] for term in defined)
    known = {str(term) for term in defined} | {namespace}
    # what each source uses: the data graphs' terms, then the shapes' (a small graph)
    used: list[tuple[list[str], Path | None, bool]] = [
        ([t for t in terms[name].vocabulary if t not in known], project.files.get(name), False)
        for name in _data_names(project, settings)
    ]
    for path in project.shape_files[:1]:
        of_shapes = sorted(
            {
                str(term)
                for triple in project.shapes
                for term in triple
                if isinstance(term, URIRef) and term.startswith(namespace)
            }
            - known
        )
        used.append((of_shapes, path, True))
    findings: dict[tuple[URIRef, str], Finding] = {}
    for unknown, file, in_shapes in used:
        for text in unknown:
            term = URIRef(text)
            local = text[len(namespace) :]
            where = _written_at(project, file, term, namespace, in_shapes)
            key = (term, str(where[0]))
            if key in findings:
                continue
            close = difflib.get_close_matches(local, locals_, n=1, cutoff=0.6)
            findings[key] = Finding(
                severity="Violation",
                focus=term,
                focus_label=None,
                path=None,
                value=None,
                message=hints.unknown_term(
                    f"defkg:{local}", f"defkg:{close[0]}" if close else None
                ),
                shape="the ontology's terms",
                file=where[0],
                line=where[1],
                column=where[2],
                focus_text=f"defkg:{local}",
            )
    return list(findings.values())


def unconstrained_properties(
    project: Project, settings: Settings, terms: dict[URIRef, GraphTerms] | None = None
) -> list[Finding]:
    """The properties of the data that no shape constrains (rdf:type aside).

    ``terms``: each data graph's (:func:`graph_terms`; read from the cache without it)."""
    if terms is None:
        terms = graph_terms(project, settings)
    ontology = project.graph(settings.iris.ontology_graph)
    shapes = project.shapes
    paths: set[Node] = set(shapes.objects(None, SH.path))
    paths |= {p for b in list(paths) for p in shapes.objects(b, SH.inversePath)}
    queries = " ".join(str(q) for q in shapes.objects(None, SH.select))
    queries += " " + " ".join(str(q) for q in shapes.objects(None, SH.ask))
    namespaces = dict(settings.iris.prefixes())
    namespaces.update({prefix: str(ns) for prefix, ns in shapes.namespaces()})

    def constrained(prop: URIRef) -> bool:
        for p in ontology.transitive_objects(prop, RDFS.subPropertyOf):
            if p in paths or f"<{p}>" in queries:
                return True
            for prefix, namespace in namespaces.items():
                local = str(p)[len(namespace) :]
                if namespace and str(p).startswith(namespace) and f"{prefix}:{local}" in queries:
                    return True
        return False

    first_use: dict[str, Path | None] = {}
    for name in _data_names(project, settings):
        file = project.files.get(name)
        for prop in terms[name].predicates:
            first_use.setdefault(prop, file)
    findings = []
    prefixed = _prefixer(settings)
    for text, file in sorted(first_use.items()):
        prop = URIRef(text)
        if constrained(prop):
            continue
        name = prefixed(prop)
        file_, line, column = _written_at(project, file, prop, None, False)
        findings.append(
            Finding(
                severity="Warning",
                focus=prop,
                focus_label=None,
                path=None,
                value=None,
                message=hints.unconstrained_property(name),
                shape="every property is constrained by a shape",
                file=file_,
                line=line,
                column=column,
                focus_text=name,
            )
        )
    return findings


def _prefixer(settings: Settings):  # type: ignore[no-untyped-def]
    prefixes = sorted(settings.iris.prefixes().items(), key=lambda i: len(i[1]), reverse=True)

    def prefixed(term: URIRef) -> str:
        for prefix, namespace in prefixes:
            if term.startswith(namespace) and re.fullmatch(r"[\w.-]+", term[len(namespace) :]):
                return f"{prefix}:{term[len(namespace) :]}"
        return f"<{term}>"

    return prefixed


#: what may hide a term's name: IRIs (kept: a "#" in them starts no comment), long and short
#: strings, comments (blanked)
_LEXICAL = re.compile(
    r"<[^>\s]*>"
    r'|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\''
    r'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    r"|#[^\n]*"
)

_PREFIX_LINE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([\w.-]*):\s*<([^>]*)>", re.I | re.M)


def _written_at(
    project: Project, file: Path | None, term: URIRef, namespace: str | None, in_shapes: bool
) -> tuple[Path | None, int | None, int | None]:
    """The file, line and column of the first place ``term`` is written (prefixed or not)."""
    candidates = list(project.shape_files) if in_shapes else ([file] if file else [])
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        forms = [re.escape(f"<{term}>")]
        for prefix, iri in _PREFIX_LINE.findall(text):
            if str(term).startswith(iri) and len(str(term)) > len(iri):
                local = re.escape(str(term)[len(iri) :])
                forms.append(rf"(?<![\w:-]){re.escape(prefix)}:{local}(?![\w-])")
        match = re.search("|".join(forms), _without_comments_and_strings(text))
        if match:
            line = text.count("\n", 0, match.start()) + 1
            return path, line, match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return (candidates[0] if candidates else file), None, None


def _without_comments_and_strings(text: str) -> str:
    """``text`` with comments and string literals blanked out, every offset kept."""

    def blank(match: re.Match[str]) -> str:
        found = match.group(0)
        return found if found.startswith("<") else re.sub(r"[^\n]", " ", found)

    return _LEXICAL.sub(blank, text)
