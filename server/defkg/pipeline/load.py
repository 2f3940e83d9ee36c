"""Load a defkg project into one Dataset: a named graph per file, shapes apart, lines recorded.

``ontology/*.ttl`` goes into ``{base}graph/ontology``, ``data/{stem}.ttl`` into
``{base}graph/{stem}``, a ``data/*.trig`` file names its own graphs, and ``shapes/*.ttl`` form
the shapes graph. Every problem with a file (unreadable, not UTF-8, bad syntax, unknown prefix)
becomes an :class:`~defkg.errors.InputError` that reads ``file:line:col: message``.

Blank nodes get labels derived from their content and graph, so that the same input always
yields the same labels: the reasoning cache and the byte-identical dumps depend on that.

Each graph also has a canonical text form, its sorted N-Triples lines (:meth:`Project.lines`),
which the later stages compare, hash and merge instead of rdflib terms. A data file's lines,
graph names and subject lines are cached in ``.defkg-cache/load/`` under the hash of its bytes,
so a file seen before is not parsed again; files not seen before are parsed in worker
processes. The data graphs are not kept: a stage that needs one reads it back from its lines
(:meth:`Project.graph`, :meth:`Project.triples`), so no process holds a large project whole
and an incremental build parses only what changed.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin

from rdflib import RDF, BNode, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.plugins.parsers.ntriples import W3CNTriplesParser
from rdflib.term import Node

from defkg import __version__, patches
from defkg.config import Settings, shown_path
from defkg.errors import InputError, not_utf8
from defkg.iris import IriScheme
from defkg.patches import nt_row
from defkg.pipeline.cache import PickleCache, code_digest, digest_of
from defkg.pipeline.parallel import parallel_map

Triple = tuple[Node, Node, Node]


@dataclass
class FileRecord:
    """What loading one data file yields, cached under the hash of its bytes."""

    names: list[URIRef]  #: the graphs the file fills, sorted
    subject_lines: dict[Node, int]  #: see :func:`scan_subject_lines`
    lines: dict[URIRef, list[str]]  #: each graph's sorted N-Triples lines


@dataclass
class Project:
    """A loaded project: what :func:`load_project` returns (see docs/architecture.md)."""

    dataset: Dataset  #: named graphs: ontology, entities, one per source file
    shapes: Graph  #: every file of shapes/
    files: dict[URIRef, Path]  #: graph name -> the file it came from
    subject_lines: dict[Path, dict[Node, int]]  #: where each subject block starts (1-based)
    shape_files: list[Path] = field(default_factory=list)  #: the files of shapes/, sorted
    #: each graph's sorted N-Triples lines (blank nodes with their stable labels)
    graph_lines: dict[URIRef, list[str]] = field(default_factory=dict)
    #: data files whose graphs are not in ``dataset`` yet, with those graphs' names
    unparsed: dict[Path, list[URIRef]] = field(default_factory=dict)
    #: how many data files were parsed at load (the others were known from the cache)
    read_anew: int = 0

    def graph(self, name: URIRef) -> Graph:
        """The named graph ``name`` of the dataset, filled now if it was not.

        A data file's graphs are filled from their N-Triples lines, which hold the file's
        triples with their stable blank-node labels: reading them back is cheaper than
        parsing the Turtle and labelling the blank nodes again.
        """
        path = self.files.get(name)
        if path is not None and path in self.unparsed:
            for each in self.unparsed.pop(path):
                graph = self.dataset.graph(each)
                for triple in triples_of(self.graph_lines[each]):
                    graph.add(triple)
        return self.dataset.graph(name)

    def triples(self, name: URIRef) -> list[Triple]:
        """The triples of graph ``name``, read from its lines when the graph is not in
        ``dataset`` (without filling it: a pass that only reads the triples needs no index)."""
        if self.is_parsed(name):
            return list(self.dataset.graph(name))
        return triples_of(self.graph_lines[name])

    def is_parsed(self, name: URIRef) -> bool:
        """Whether graph ``name`` is in the dataset already (see :meth:`graph`)."""
        return self.files.get(name) not in self.unparsed

    def lines(self, name: URIRef) -> list[str]:
        """The sorted N-Triples lines of graph ``name``, without parsing its file again."""
        return self.graph_lines[name]

    def asserted_graph_names(self) -> list[URIRef]:
        """Every loaded graph name, sorted (ontology, entities and the sources)."""
        return sorted(self.files)


def load_project(settings: Settings, *, write_cache: bool = False) -> Project:
    """Load the project at ``settings.root``; raise InputError naming file, line and column.

    A data file whose bytes were loaded before is taken from the cache, if there is one; the
    cache is written only with ``write_cache`` (the build asks for it), so that loading a
    project elsewhere leaves no files behind.
    """
    iris = settings.iris
    ontology_files = _project_files(settings.ontology_dir, ("*.ttl",), "ontology")
    data_files = _project_files(settings.data_dir, ("*.ttl", "*.trig"), "data")
    shape_files = _project_files(settings.shapes_dir, ("*.ttl",), "shapes")
    cache = PickleCache(settings, "load", writable=write_cache)

    dataset = Dataset()
    files: dict[URIRef, Path] = {}
    subject_lines: dict[Path, dict[Node, int]] = {}
    graph_lines: dict[URIRef, list[str]] = {}
    unparsed: dict[Path, list[URIRef]] = {}

    ontology_graph = dataset.graph(iris.ontology_graph)
    for path in ontology_files:
        text = read_text(path)
        _parse_into(ontology_graph, text, path, "turtle", iris.ontology_graph)
        subject_lines[path] = scan_subject_lines(text, str(iris.ontology_graph))
    files[iris.ontology_graph] = ontology_files[0]
    _stabilise_blank_nodes(dataset, iris.ontology_graph)
    graph_lines[iris.ontology_graph] = nt_lines(dataset.graph(iris.ontology_graph))

    # the build makes these graphs; a data file may not fill them
    reserved = {iris.ontology_graph: "ontology/", iris.inferred_graph: "the reasoner"}
    reserved[iris.shapes_graph] = "shapes/"
    code = code_digest(sys.modules[__name__], patches, stage="load")
    keys: dict[Path, str] = {}
    records: dict[Path, FileRecord] = {}
    for path in data_files:
        keys[path] = digest_of(
            code, __version__, str(iris.graph(path.stem)), path.suffix, read_bytes(path)
        )
        record = cache.get(keys[path])
        if isinstance(record, FileRecord):
            records[path] = record
    # Files not seen before are parsed in worker processes, and only their records come back:
    # the graphs are parsed again where they are used (a reasoning or validation pass), so
    # that no process holds every graph of a large project (and forked workers share less).
    misses = [path for path in data_files if path not in records]
    parsed = parallel_map(_record_or_error(iris), misses, workers=settings.build_workers)
    for path, record in zip(misses, parsed, strict=True):
        if isinstance(record, InputError):
            raise record
        records[path] = record
        cache.put(keys[path], record)
    for path in data_files:
        record = records[path]
        for name in record.names:
            if name in reserved:
                raise InputError(
                    f"{path}: graph <{name}> is filled by {reserved[name]}, not by data/; "
                    "rename the file (or the graph)"
                )
            _claim(files, name, path)
        subject_lines[path] = record.subject_lines
        graph_lines.update(record.lines)
        unparsed[path] = list(record.names)

    shapes = Graph()
    for path in shape_files:
        text = read_text(path)
        _parse_into(shapes, text, path, "turtle", iris.shapes_graph)
        subject_lines[path] = scan_subject_lines(text, str(iris.shapes_graph))

    shapes = _stable_copy(shapes, iris.shapes_graph)
    for prefix, namespace in iris.prefixes().items():
        dataset.bind(prefix, namespace, replace=True)
        shapes.bind(prefix, namespace, replace=True)
    return Project(
        dataset, shapes, files, subject_lines, shape_files, graph_lines, unparsed, len(misses)
    )


def _record_or_error(iris: IriScheme) -> Callable[[Path], FileRecord | InputError]:
    """Parse one data file and describe it (see :class:`FileRecord`); an error is returned,
    not raised, so that the first bad file in file order is the one reported."""

    def record(path: Path) -> FileRecord | InputError:
        try:
            text = read_text(path)
            default_name = iris.graph(path.stem)
            lines = scan_subject_lines(text, str(default_name))
            dataset = Dataset()
            names = _parse_data_file(dataset, path, text, default_name)
            graphs = {name: nt_lines(dataset.graph(name)) for name in names}
            return FileRecord(names, lines, graphs)
        except InputError as error:
            return error

    return record


def _parse_data_file(dataset: Dataset, path: Path, text: str, default_name: URIRef) -> list[URIRef]:
    """Parse a data file into its graph(s) of ``dataset``, blank nodes stabilised."""
    if path.suffix == ".trig":
        names = _parse_trig(dataset, text, path, default_name)
    else:
        _parse_into(dataset.graph(default_name), text, path, "turtle", default_name)
        names = [default_name]
    for name in names:
        _stabilise_blank_nodes(dataset, name)
    return names


def nt_lines(triples: Iterable[Triple]) -> list[str]:
    """The sorted, distinct N-Triples lines of ``triples``: the canonical text of a graph."""
    return sorted({nt_row(t) for t in triples})


def line_terms(line: str) -> tuple[str, str, str]:
    """The subject, predicate and object of a line :func:`nt_lines` wrote, each in its
    N-Triples form, without parsing it: a subject or a predicate never holds a space (an IRI
    is ``<`` its text ``>``, nothing escaped; a blank node ``_:label``), and the object is what
    follows them up to the closing `` .``."""
    subject, predicate, rest = line.split(" ", 2)
    obj = rest[:-3] if rest.endswith(" .\n") else rest.rstrip("\n").removesuffix(" .")
    return subject, predicate, obj


class _KeepLabels(dict):
    """A blank-node map for rdflib's N-Triples parser that keeps every label as written."""

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        return key


class _Collect:
    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def triple(self, s: Node, p: Node, o: Node) -> None:
        self.triples.append((s, p, o))


def triples_of(lines: Iterable[str]) -> list[Triple]:
    """The triples of N-Triples lines, blank-node labels kept (the inverse of :func:`nt_lines`)."""
    sink = _Collect()
    # any object with a triple() method is a sink to the parser; rdflib types it narrower
    parser = W3CNTriplesParser(cast(Any, sink), bnode_context=_KeepLabels())
    parser.parse(io.StringIO("".join(lines)), bnode_context=_KeepLabels())
    return sink.triples


def _project_files(folder: Path, patterns: tuple[str, ...], what: str) -> list[Path]:
    """The files of one project folder, sorted; an error when the folder is missing or empty.

    Each is named as a curator sees it (relative to the working directory when under it), so
    that every message and finding says ``data/x.ttl:12:3`` rather than an absolute path.
    """
    shown = shown_path(folder)
    if not folder.is_dir():
        raise InputError(f"{shown}: the {what} folder is missing (expected {shown}/)")
    found = sorted(
        {shown_path(p) for pattern in patterns for p in folder.glob(pattern) if not p.is_dir()}
    )
    if not found:
        kinds = " or ".join(p.removeprefix("*") for p in patterns)
        raise InputError(f"{shown}: the {what} folder holds no {kinds} file")
    return found


def read_text(path: Path) -> str:
    """The file's text; an InputError when it cannot be read or is not UTF-8."""
    return decode(path, read_bytes(path))


def read_bytes(path: Path) -> bytes:
    """The file's bytes; an InputError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None


def decode(path: Path, raw: bytes) -> str:
    """``raw`` as UTF-8 text; an InputError naming the line and byte when it is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise not_utf8(path, raw, error, "save the file as UTF-8") from None


def _parse_error(path: Path, error: Exception, text: str, fmt: str, base: str) -> InputError:
    """Turn a parser exception into ``file:line:col: syntax error: …``, at the exact place.

    rdflib's positions are wrong once a file holds non-ASCII text (they count characters into
    the UTF-8 bytes) and point past the offending token, so the text is parsed again with
    pyoxigraph, whose parser reports the line and column (in characters) where the error
    starts, and a message in plain words. rdflib's own position, corrected, is the fallback
    for what only rdflib refuses.
    """
    found = _oxigraph_error(text, fmt, base)
    if found is not None:
        line, col, why = found
        return InputError(f"{path}:{line}:{col}: syntax error: {why}")
    if isinstance(error, BadSyntax):
        raw = error._str if isinstance(error._str, bytes) else str(error._str).encode("utf-8")
        decoded = raw.decode("utf-8", errors="replace")
        offset = min(error._i, len(decoded))  # a character offset, though _str is bytes
        line = decoded.count("\n", 0, offset) + 1
        col = offset - (decoded.rfind("\n", 0, offset) + 1) + 1
        return InputError(f"{path}:{line}:{col}: syntax error: {_plain_why(error._why)}")
    at: object = getattr(error, "lineno", None) or getattr(error, "line", None)
    where = f"{path}:{at}" if isinstance(at, int) else str(path)
    return InputError(f"{where}: cannot parse: {error}")


#: the position pyoxigraph writes before its reason (we give it as file:line:col instead)
_OXIGRAPH_WHERE = re.compile(r"^Parser error [^:]*: ")


def _oxigraph_error(text: str, fmt: str, base: str) -> tuple[int, int, str] | None:
    """Where pyoxigraph's parser stops on ``text`` (line, column, why), or None if it does not."""
    import pyoxigraph as ox

    syntax = {"turtle": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG}.get(fmt)
    if syntax is None:
        return None
    try:
        for _quad in ox.parse(text.removeprefix("\ufeff"), format=syntax, base_iri=base):
            pass
    except SyntaxError as error:
        line, col = error.lineno, error.offset
        if not isinstance(line, int) or not isinstance(col, int):
            return None
        why = str(error.args[0] if error.args else error)
        why = _OXIGRAPH_WHERE.sub("", why)
        return line, col, _plain_why(why)
    except ValueError:
        return None
    return None


def _plain_why(why: str) -> str:
    """A parser's reason in a curator's words."""
    prefix = re.fullmatch(r'Prefix "(.*):" not bound', why) or re.fullmatch(
        r"The prefix (.*?):? has not been declared", why
    )
    if prefix:
        return f"unknown prefix '{prefix.group(1)}:' (declare it with @prefix)"
    return why[:1].lower() + why[1:]


def _parse_into(graph: Graph, text: str, path: Path, fmt: str, base: URIRef) -> None:
    try:
        graph.parse(data=text, format=fmt, publicID=str(base))
    except Exception as error:  # the parsers raise many types; each becomes file:line:col
        raise _parse_error(path, error, text, fmt, str(base)) from None


def _parse_trig(dataset: Dataset, text: str, path: Path, default_name: URIRef) -> list[URIRef]:
    """Parse a TriG file; triples outside any graph block go to ``{base}graph/{stem}``."""
    scratch = Dataset()
    try:
        scratch.parse(data=text, format="trig", publicID=str(default_name))
    except Exception as error:
        raise _parse_error(path, error, text, "trig", str(default_name)) from None
    names: list[URIRef] = []
    for context in scratch.graphs():
        if len(context) == 0:
            continue
        name = context.identifier
        if name == DATASET_DEFAULT_GRAPH_ID:
            name = default_name
        if not isinstance(name, URIRef):
            raise InputError(f"{path}: a graph is named by a blank node; name it with an IRI")
        target = dataset.graph(name)
        for triple in context:
            target.add(triple)
        names.append(name)
    return sorted(set(names))


def _claim(files: dict[URIRef, Path], name: URIRef, path: Path) -> None:
    """Record that ``path`` fills graph ``name``; two files may not fill the same graph."""
    other = files.get(name)
    if other is not None and other != path:
        raise InputError(f"{path}: graph <{name}> is already filled by {other}")
    files[name] = path


def _stable_copy(graph: Graph, name: URIRef) -> Graph:
    """A copy of ``graph`` whose blank nodes are labelled from their content and ``name``."""
    if not any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        return graph
    salt = hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:8]
    copy = Graph()
    for s, p, o in to_canonical_graph(graph):
        copy.add((_salted(s, salt), p, _salted(o, salt)))
    return copy


def _salted(term: Node, salt: str) -> Node:
    # the salt keeps equal-looking blank nodes of different graphs apart in the union
    return BNode(f"b{salt}{term}") if isinstance(term, BNode) else term


def _stabilise_blank_nodes(dataset: Dataset, name: URIRef) -> None:
    graph = dataset.graph(name)
    stable = _stable_copy(graph, name)
    if stable is graph:
        return
    dataset.remove_graph(graph)
    target = dataset.graph(name)
    for triple in stable:
        target.add(triple)


# --- where each subject block starts --------------------------------------------------------
# A light scan of Turtle/TriG text, not a parser: it skips strings, IRIs and comments, tracks
# brackets and statement ends, and notes the line of the first token of each statement.

_TOKEN_END = re.compile(r"[\s;,.\[\](){}#<\"']")
_DIRECTIVES = {"@prefix", "@base", "prefix", "base"}


def scan_subject_lines(text: str, base: str = "") -> dict[Node, int]:
    """Map each IRI written as the subject of a statement to the line where it is first used."""
    return scan_lines(text, base)[0]


def scan_lines(text: str, base: str = "") -> tuple[dict[Node, int], dict[tuple[Node, Node], int]]:
    """The line of each subject (as :func:`scan_subject_lines`), and of each (subject,
    predicate) pair written at the top level of a statement: where a finding about that
    triple is best shown (not the subject's first line, which may be far above it)."""
    prefixes: dict[str, str] = {}
    lines: dict[Node, int] = {}
    pairs: dict[tuple[Node, Node], int] = {}
    i, n, line = 0, len(text), 1
    depth = 0  # inside [ ] or ( ): not a statement start
    at_start = True
    subject: Node | None = None  # the subject of the statement being read (depth 0)
    expect_predicate = False
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            j = _skip_string(text, i)
            line += text.count("\n", i, j)
            i, at_start = j, False
            expect_predicate = expect_predicate and depth > 0
        elif c in "[(":
            depth += 1
            i, at_start = i + 1, False
        elif c in "])":
            depth = max(0, depth - 1)
            i += 1
        elif c in "{}":
            i, at_start = i + 1, depth == 0
            subject = None
        elif (
            c == "." and depth == 0 and (i + 1 >= n or text[i + 1].isspace() or text[i + 1] == "#")
        ):
            i, at_start = i + 1, True
            subject, expect_predicate = None, False
        elif c in ";,":
            expect_predicate = c == ";" and depth == 0 and subject is not None
            i += 1
        else:
            token, j = _read_token(text, i)
            if at_start and depth == 0:
                lowered = token.lower()
                if lowered in _DIRECTIVES:
                    j, base = _read_directive(text, j, lowered, prefixes, base)
                    line += text.count("\n", i, j)
                    i = j
                    continue
                if lowered != "graph":
                    rest = text[j : j + 200].lstrip()
                    iri = _expand(token, prefixes, base)
                    # a TriG graph label (followed by "{") is not a subject
                    if iri is not None and not rest.startswith("{"):
                        lines.setdefault(iri, line)
                        subject, expect_predicate = iri, True
                    at_start = False
            elif expect_predicate and depth == 0 and subject is not None:
                predicate = RDF.type if token == "a" else _expand(token, prefixes, base)
                if predicate is not None:
                    pairs.setdefault((subject, predicate), line)
                expect_predicate = False
            line += text.count("\n", i, j)
            i = j
    return lines, pairs


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    long = text.startswith(quote * 3, i)
    delimiter = quote * 3 if long else quote
    j = i + len(delimiter)
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text.startswith(delimiter, j):
            return j + len(delimiter)
        elif text[j] == "\n" and not long:
            return j
        else:
            j += 1
    return j


def _read_token(text: str, i: int) -> tuple[str, int]:
    if text[i] == "<":
        end = text.find(">", i)
        end = len(text) if end < 0 else end + 1
        return text[i:end], end
    j = i + 1
    while j < len(text):
        m = _TOKEN_END.search(text, j)
        if m is None:
            return text[i:], len(text)
        j = m.start()
        # a dot inside a prefixed name or a number is part of the token
        if (
            text[j] == "."
            and j + 1 < len(text)
            and not text[j + 1].isspace()
            and text[j + 1] != "#"
        ):
            j += 1
            continue
        if text[j - 1] == "\\":
            j += 1
            continue
        break
    return text[i:j], j


def _read_directive(
    text: str, i: int, directive: str, prefixes: dict[str, str], base: str
) -> tuple[int, str]:
    """Read the rest of an @prefix/@base (or PREFIX/BASE) directive; return end and base."""
    m = re.compile(r"\s*([^\s<]*)\s*<([^>]*)>\s*\.?").match(text, i)
    if not m:
        return i, base
    if directive.endswith("prefix"):
        prefixes[m.group(1).rstrip(":")] = urljoin(base, m.group(2)) if base else m.group(2)
        return m.end(), base
    iri = m.group(1) + m.group(2) if not m.group(1) else m.group(2)
    return m.end(), urljoin(base, iri) if base else iri


def _expand(token: str, prefixes: dict[str, str], base: str) -> URIRef | None:
    if token.startswith("<") and token.endswith(">"):
        return URIRef(urljoin(base, token[1:-1]) if base else token[1:-1])
    if ":" in token and not token.startswith("_:"):
        prefix, local = token.split(":", 1)
        if prefix in prefixes:
            return URIRef(prefixes[prefix] + re.sub(r"\\(.)", r"\1", local))
    return None
