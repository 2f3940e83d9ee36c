"""Each graph rendered once: its subjects as Turtle blocks and JSON-LD nodes, cached by content.

Publishing writes every graph in five syntaxes, and rendering (prefixed names, sorted blocks,
pyld's JSON-LD compaction above all) is most of its time. A graph's rendering depends only on
its N-Triples lines and on the rendering settings, so each graph's :class:`Fragment` is kept in
``.defkg-cache/publish/`` under the hash of both, and :mod:`defkg.pipeline.publish` assembles a
release
by merging the sorted pieces of every graph: after one report changes, only that report (and
its batch's inferences) is rendered again.

A subject described in several graphs is rendered again from the union of its lines
(:func:`merged_pieces`), so an assembled dump is exactly what rendering the union at once gives.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Final

from rdflib.term import Node

from defkg import __version__, patches
from defkg.config import Settings
from defkg.pipeline.cache import PickleCache, code_digest, digest_of, digest_of_lines
from defkg.pipeline.load import triples_of
from defkg.pipeline.parallel import parallel_map
from defkg.pipeline.render import syntax, void

Triple = tuple[Node, Node, Node]

#: graphs rendered per worker task: enough nodes per pyld call to amortise its set-up
_GRAPHS_PER_TASK = 16


#: One subject of one graph: (its key, where its lines are, its Turtle block, its JSON-LD
#: node). The subject's lines are ``lines[start:end]`` of its graph's sorted lines (a
#: subject's lines are consecutive there, and subjects come in the order of their keys); the
#: JSON-LD node is empty when the graph is not part of the JSON-LD dump. A plain tuple: a
#: release's pieces are read from the cache on every build, and tuples are what unpickles
#: fastest (a quarter of the time of as many dataclass objects).
Piece = tuple[syntax.SubjectKey, int, int, str, str]
KEY: Final = 0
START: Final = 1
END: Final = 2
TURTLE: Final = 3
JSONLD: Final = 4


@dataclass(frozen=True)
class Fragment:
    """A graph, rendered: its subjects' pieces in order, and its VoID summary. The graph's
    lines are not kept again here: whoever holds the fragment holds them."""

    pieces: list[Piece]
    summary: void.Summary


class Renderer:
    """Renders fragments with one set of prefixes and one JSON-LD context, through the cache."""

    def __init__(self, settings: Settings, *, write_cache: bool = True) -> None:
        self.settings = settings
        self.prefixes = settings.iris.prefixes()
        self.terms = syntax.Terms(self.prefixes)
        self.context = syntax.read_project_context(settings)
        self.cache = PickleCache(settings, "publish", writable=write_cache)
        self.setting_key = digest_of(
            code_digest(sys.modules[__name__], syntax, void, patches, stage="publish"),
            __version__,
            settings.base,
            json.dumps(self.prefixes, sort_keys=True),
            json.dumps(self.context, sort_keys=True),
        )

    def fragments(self, graphs: Sequence[tuple[list[str], bool]]) -> list[Fragment]:
        """One fragment per (lines, with JSON-LD) of ``graphs``, from the cache or rendered
        in worker processes (which read the triples back from the lines)."""
        keys = [
            digest_of(self.setting_key, str(with_jsonld), digest_of_lines(lines))
            for lines, with_jsonld in graphs
        ]
        found: list[Fragment | None] = [self.cache.get(key) for key in keys]
        todo = [i for i, fragment in enumerate(found) if not isinstance(fragment, Fragment)]
        tasks = [todo[i : i + _GRAPHS_PER_TASK] for i in range(0, len(todo), _GRAPHS_PER_TASK)]

        def render(task: list[int]) -> list[Fragment]:
            return self.render_many([graphs[i] for i in task])

        done = parallel_map(render, tasks, workers=self.settings.build_workers)
        for task, rendered in zip(tasks, done, strict=True):
            for i, fragment in zip(task, rendered, strict=True):
                self.cache.put(keys[i], fragment)
                found[i] = fragment
        return found  # type: ignore[return-value]

    def render_many(self, graphs: list[tuple[list[str], bool]]) -> list[Fragment]:
        """Render several graphs; their JSON-LD nodes are compacted together (one pyld run)."""
        parts = []
        to_compact: list[dict] = []
        for lines, with_jsonld in graphs:
            triples = triples_of(lines)
            blocks = syntax.subject_blocks(triples, self.terms)
            nodes = syntax.expanded_nodes(triples) if with_jsonld else []
            parts.append((lines, triples, blocks, len(to_compact), len(nodes)))
            to_compact.extend(node for _key, node in nodes)
        compacted = syntax.compact_nodes(to_compact, self.context)
        fragments = []
        for lines, triples, blocks, start, count in parts:
            texts = [syntax.node_text(node) for node in compacted[start : start + count]]
            fragments.append(self._fragment(lines, triples, blocks, texts))
        return fragments

    def _fragment(
        self,
        lines: list[str],
        triples: list[Triple],
        blocks: list[tuple[syntax.SubjectKey, str]],
        node_texts: list[str],
    ) -> Fragment:
        spans = _subject_spans(lines)
        if [key for key, _block in blocks] != [key for key, _start, _end in spans]:
            raise AssertionError("the subjects of the lines and of the blocks differ")
        pieces = [
            (key, start, end, block, node_texts[i] if node_texts else "")
            for i, ((key, block), (_key, start, end)) in enumerate(zip(blocks, spans, strict=True))
        ]
        return Fragment(pieces, void.summarise(triples, self.settings))


def _subject_spans(lines: list[str]) -> list[tuple[syntax.SubjectKey, int, int]]:
    """Each subject's key and the range of its lines in sorted N-Triples ``lines``.

    A line starts with its subject and a space (neither IRIs nor blank-node labels hold
    spaces), so sorting lines sorts subjects in the order of
    :func:`defkg.pipeline.render.syntax.subject_key`.
    """
    spans = []
    start = 0
    for subject, group in groupby(lines, key=lambda line: line[: line.index(" ")]):
        end = start + sum(1 for _line in group)
        spans.append(((subject.startswith("_:"), subject), start, end))
        start = end
    return spans


def merged_pieces(
    parts: Iterable[tuple[list[str], Fragment]], renderer: Renderer, *, with_jsonld: bool
) -> list[Piece]:
    """The pieces of the union of graphs, given as (sorted lines, fragment), in subject order.

    A subject found in several graphs (an entity that several passes draw inferences about)
    is rendered again from all its lines; those renderings are cached like graphs.
    """
    everything = sorted(
        ((piece, lines) for lines, fragment in parts for piece in fragment.pieces),
        key=lambda item: item[0][KEY],
    )
    merged: list[Piece | None] = []
    shared: list[list[str]] = []
    for _key, group in groupby(everything, key=lambda item: item[0][KEY]):
        same = list(group)
        if len(same) == 1:
            merged.append(same[0][0])
        else:
            merged.append(None)
            shared.append(
                sorted({line for piece, lines in same for line in lines[piece[START] : piece[END]]})
            )
    again = iter(renderer.fragments([(lines, with_jsonld) for lines in shared]))
    return [piece if piece is not None else next(again).pieces[0] for piece in merged]
