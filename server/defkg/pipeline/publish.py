"""Publish a release: the dumps, their .gz, VoID/DCAT, the validation report, the JSON-LD
context, the example queries and the checksums.

What a release holds and how it is written (into a fresh directory beside the target, swapped
in by renaming, so that the previous release stays whole until the new one is complete, and
stays untouched when anything fails) is :mod:`defkg.release`'s; this module makes the bytes.

Every file is byte-identical for identical inputs: N-Triples and N-Quads lines
are sorted, blank nodes carry content-derived labels (see defkg.pipeline.load), Turtle and TriG
are written from sorted triples with a fixed prefix list (see defkg.pipeline.render.syntax),
gzip headers carry no time or name, and dates come from the data, never from the clock.

The dumps are assembled from each graph's rendered
:class:`~defkg.pipeline.render.fragments.Fragment` (cached by content), so that re-publishing
after one report changed renders that report only; the assembly itself is sorting and joining
text.

``defkg.jsonld`` is compacted with ``ontology/context.jsonld`` and carries that context inline
(not by URL), so it reads the same offline and needs nothing fetched to be expanded. The context
itself ships in the release as ``context.jsonld``, and the project's ``queries/*.rq`` as
``queries/``, so a server needs nothing but the release.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph

from defkg import release
from defkg.config import Settings
from defkg.errors import InputError
from defkg.pipeline.load import Project, nt_lines
from defkg.pipeline.parallel import Background
from defkg.pipeline.render import search, syntax, void
from defkg.pipeline.render.fragments import JSONLD, TURTLE, Renderer, merged_pieces
from defkg.pipeline.validate import ValidationOutcome

DUMPS = release.DUMPS


def publish(
    project: Project,
    inferences: dict[URIRef, list[str]],
    outcome: ValidationOutcome,
    settings: Settings,
    *,
    write_cache: bool = True,
    derived: list[str] | None = None,
) -> Path:
    """Write the release into ``settings.dist`` atomically; return that directory.

    ``inferences`` are the reasoner's lines by pass (:func:`defkg.pipeline.reason.infer_by_graph`);
    ``derived`` the cross-source stage's lines (:func:`defkg.pipeline.derive.derive`), published
    as the graph ``{base}graph/derived``.
    """
    contents = release_contents(
        project, inferences, outcome, settings, write_cache=write_cache, derived=derived
    )
    return release.write_release(Path(settings.dist), contents)


def release_contents(
    project: Project,
    inferences: dict[URIRef, list[str]],
    outcome: ValidationOutcome,
    settings: Settings,
    *,
    write_cache: bool = True,
    derived: list[str] | None = None,
) -> dict[str, bytes]:
    """The bytes of every file of the release, by file name."""
    # the search index (what the build derived too: a reader looks for "medals in all" as
    # much as for a stated figure) is made in a process of its own while the dumps are
    # assembled and compressed here; forked first, before the compressing threads start
    graphs = [project.lines(name) for name in sorted(project.files)] + [derived or []]
    index = Background(
        lambda: search.search_index_of(search.facts_of_lines(lines) for lines in graphs),
        workers=settings.build_workers,
    )
    try:
        return _contents(project, inferences, outcome, settings, index, write_cache, derived)
    finally:
        index.cancel()


def _contents(
    project: Project,
    inferences: dict[URIRef, list[str]],
    outcome: ValidationOutcome,
    settings: Settings,
    index: Background[bytes],
    write_cache: bool,
    derived: list[str] | None,
) -> dict[str, bytes]:
    iris = settings.iris
    prefixes = iris.prefixes()
    renderer = Renderer(settings, write_cache=write_cache)
    asserted_names = sorted(project.files)
    passes = list(inferences)
    shapes_lines = nt_lines(project.shapes)
    derived_lines = derived or []

    asserted_lines_by_graph = [project.lines(name) for name in asserted_names]
    pass_lines = [inferences[name] for name in passes]
    fragments = renderer.fragments(
        [(lines, True) for lines in asserted_lines_by_graph]
        + [(lines, False) for lines in pass_lines]
        + [(shapes_lines, False), (derived_lines, False)]
    )
    asserted = fragments[: len(asserted_names)]
    by_pass = fragments[len(asserted_names) : -2]
    shapes, derived_fragment = fragments[-2], fragments[-1]

    asserted_pieces = merged_pieces(
        zip(asserted_lines_by_graph, asserted, strict=True), renderer, with_jsonld=True
    )
    inferred_pieces = merged_pieces(
        zip(pass_lines, by_pass, strict=True), renderer, with_jsonld=False
    )
    asserted_lines = union_of_sorted(asserted_lines_by_graph)
    # the reasoner keeps no line under two passes and none that is asserted
    inferred_lines = sorted(line for lines in pass_lines for line in lines)
    graph_lines = dict(zip(asserted_names, asserted_lines_by_graph, strict=True))
    graph_lines[iris.inferred_graph] = inferred_lines
    graph_lines[iris.shapes_graph] = shapes_lines
    if derived_lines:
        graph_lines[iris.graph("derived")] = derived_lines
    blocks = {
        name: [piece[TURTLE] for piece in fragment.pieces]
        for name, fragment in zip(asserted_names, asserted, strict=True)
    }
    blocks[iris.inferred_graph] = [piece[TURTLE] for piece in inferred_pieces]
    blocks[iris.shapes_graph] = [piece[TURTLE] for piece in shapes.pieces]
    if derived_lines:
        blocks[iris.graph("derived")] = [piece[TURTLE] for piece in derived_fragment.pieces]

    files: dict[str, bytes] = {}
    # zlib lets go of the GIL: each dump is compressed in a thread while the next is
    # assembled (no process is forked from here on). Level 6, not 9: at 100k triples 9 took
    # 2.4x as long for files 4% smaller.
    with ThreadPoolExecutor(max_workers=len(DUMPS)) as pool:
        packing = {}

        def dump(file: str, data: bytes) -> None:
            files[file] = data
            packing[file] = pool.submit(_packed, data)

        quads: list[str] = []
        for name, lines in graph_lines.items():
            ending = f"{name.n3()} .\n"
            quads.extend(line[:-2] + ending for line in lines)
        quads.sort()
        dump("defkg.nq", "".join(quads).encode("utf-8"))
        del quads
        dump("defkg.nt", "".join(asserted_lines).encode("utf-8"))
        dump(
            "defkg.trig",
            syntax.trig_document(
                prefixes, [(renderer.terms(name), blocks[name]) for name in sorted(blocks, key=str)]
            ),
        )
        dump("defkg.ttl", syntax.turtle_document(prefixes, (p[TURTLE] for p in asserted_pieces)))
        dump(
            "defkg.jsonld",
            syntax.jsonld_document(renderer.context, (piece[JSONLD] for piece in asserted_pieces)),
        )
        files[release.CONTEXT_FILE] = (
            json.dumps(renderer.context, ensure_ascii=False, indent=2) + "\n"
        ).encode("utf-8")
        files[release.REPORT] = report_bytes(outcome.report, settings)
        files[release.SEARCH_FILE] = index.result()
        digests: dict[str, str] = {}
        for each in DUMPS:
            files[each + ".gz"], digests[each], digests[each + ".gz"] = packing[each].result()

    summaries = dict(zip(asserted_names, (f.summary for f in asserted), strict=True))
    summaries[iris.inferred_graph] = void.unite((f.summary for f in by_pass), len(inferred_lines))
    summaries[iris.shapes_graph] = shapes.summary
    if derived_lines:
        summaries[iris.graph("derived")] = derived_fragment.summary
    everything = union_of_sorted([asserted_lines, inferred_lines, shapes_lines, derived_lines])
    ontology = project.graph(iris.ontology_graph)
    description = void.describe(
        settings=settings,
        graphs=summaries,
        everything=void.unite(summaries.values(), len(everything)),
        asserted=void.unite((f.summary for f in asserted), len(asserted_lines)),
        files={name: len(data) for name, data in files.items()},  # the downloads
        version=void.dataset_version(ontology, settings),
        ontology=ontology,
    )
    files[release.VOID_FILE] = syntax.write_turtle(description, void.prefixes(settings))
    files.update(example_queries(settings))
    files[release.SUMS] = release.checksums(files, digests)
    return files


def _packed(data: bytes) -> tuple[bytes, str, str]:
    """A dump compressed, and the SHA-256 of both (hashlib lets go of the GIL too)."""
    packed = gzip.compress(data, compresslevel=6, mtime=0)
    return packed, hashlib.sha256(data).hexdigest(), hashlib.sha256(packed).hexdigest()


def union_of_sorted(parts: list[list[str]]) -> list[str]:
    """The sorted, distinct lines of ``parts`` (lists of lines, each sorted): their
    concatenation is sorted (Python's sort merges the sorted runs it finds, in about linear
    time when they hardly interleave, as the graphs of different reports do), and a repeated
    line then stands next to itself."""
    joined = sorted(itertools.chain.from_iterable(parts))
    return [line for line, _same in itertools.groupby(joined)]


def example_queries(settings: Settings) -> dict[str, bytes]:
    """The project's ``queries/*.rq``, as the release ships them (``queries/{name}``)."""
    folder = settings.queries_dir
    files = {}
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{path}: cannot read the query: {error}") from None
        files[f"{release.QUERIES}/{path.name}"] = data
    return files


def report_bytes(report: Graph, settings: Settings) -> bytes:
    """The validation report as Turtle, with content-derived blank-node labels."""
    return syntax.write_turtle(to_canonical_graph(report), settings.iris.prefixes())
