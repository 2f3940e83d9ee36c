"""`defkg query`: run one SPARQL query against a published release and render the answer.

The release's ``defkg.trig`` is loaded into an in-memory pyoxigraph store. The default graph is
the union of the asserted graphs (sources, entities, ontology), as on the public endpoint; with
``inferred=True`` the inferences join it. The shapes graph is reachable only with ``GRAPH``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from defkg import formats
from defkg.config import Settings
from defkg.errors import DefkgError, InputError
from defkg.release import TRIG, Release
from defkg.sparql_errors import plain_syntax_error


def read_query(text: str) -> str:
    """The query itself, or the content of the file ``@path`` names."""
    if not text.startswith("@"):
        return text
    path = Path(text[1:])
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such query file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the query: {error}") from None


def load_release(dist: Path) -> ox.Store:
    """An in-memory store holding the release's ``defkg.trig``."""
    path = Release.open(dist, hint="run `defkg build` first, or pass --dist").path(TRIG)
    store = ox.Store()
    try:
        store.load(path=str(path), format=ox.RdfFormat.TRIG)
    except (SyntaxError, ValueError, OSError) as error:
        raise InputError(f"{path}: cannot load the release: {error}") from None
    return store


def default_graphs(
    store: ox.Store, settings: Settings, inferred: bool
) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]:
    """The graphs forming the default graph: all but the shapes (and the inferences)."""
    excluded = {str(settings.iris.shapes_graph)}
    if not inferred:
        excluded.add(str(settings.iris.inferred_graph))
    names = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    return [g for g in sorted(names, key=lambda g: g.value) if g.value not in excluded]


def run_query(
    query: str, settings: Settings, *, output_format: str = "table", inferred: bool = False
) -> str:
    """Run ``query`` on the release in ``settings.dist``; the answer as text in the format."""
    names = formats.query_output_names()
    if output_format not in names:
        raise DefkgError(f"unknown format {output_format!r}; choose one of {', '.join(names)}")
    from defkg.pipeline.build import require_valid_base

    require_valid_base(settings)
    store = load_release(Path(settings.dist))
    try:
        result = store.query(
            query,
            default_graph=default_graphs(store, settings, inferred),
            prefixes=settings.iris.prefixes(),
        )
    except SyntaxError as error:
        plain = plain_syntax_error(query, error, settings.iris.prefixes())
        raise DefkgError(f"the query is not valid SPARQL: {plain}") from None
    return render(result, output_format, settings)


def render(result: object, output_format: str, settings: Settings) -> str:
    """A SELECT/ASK/CONSTRUCT answer as text in ``output_format`` (a name of
    :func:`defkg.formats.query_output_names`; a graph in another format is written as Turtle)."""
    results = formats.by_key(output_format, "results")
    if isinstance(result, ox.QueryBoolean):
        if results is not None:
            return _serialize_results(result, results)
        return "true" if bool(result) else "false"
    if isinstance(result, ox.QueryTriples):
        graph = formats.by_key(output_format, "graph") or formats.by_key("ttl", "graph")
        assert graph is not None  # Turtle is always registered
        buffer = io.BytesIO()
        result.serialize(buffer, graph.rdf_format())
        return buffer.getvalue().decode("utf-8")
    solutions = cast(ox.QuerySolutions, result)
    if output_format == "table":
        return table(solutions, settings)
    if results is None:
        raise DefkgError(f"a SELECT answer cannot be written as {output_format}")
    return _serialize_results(solutions, results)


def _serialize_results(result: ox.QuerySolutions | ox.QueryBoolean, fmt: formats.Format) -> str:
    buffer = io.BytesIO()
    result.serialize(buffer, fmt.results_format())
    return buffer.getvalue().decode("utf-8")


def table(solutions: ox.QuerySolutions, settings: Settings) -> str:
    """A plain-text table: one column per variable, IRIs in prefixed form."""
    names = [v.value for v in solutions.variables]
    rows = [[_cell(solution[name], settings) for name in names] for solution in solutions]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(term: object, settings: Settings) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return settings.iris.curie(term.value) or f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)
