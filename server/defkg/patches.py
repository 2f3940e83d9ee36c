"""Every place defkg reaches into a library's internals, in one module.

defkg replaces two libraries' methods for the length of one call (pyshacl during a validation
pass, pyld during a JSON-LD compaction) and uses two of rdflib's private functions. None of
these is a public API: a new release of the library may rename or drop them. So that such a
release fails loudly instead of silently running slower or writing different text,

- pyproject.toml bounds rdflib, pyshacl and pyld above by the next minor release not yet tried;
- :data:`INTERNALS` lists every attribute used here, and :func:`missing_internals` tells which
  of them the installed libraries no longer have (tests/test_patches.py fails on any).

pyshacl and pyld are imported when a patch is used, not when this module is: query workers
and the web process import defkg without paying for them.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# rdflib's N-Triples line of a triple and quoting of a literal, exactly as its writer does them
# (rdflib is loaded wherever these are used, so importing them here costs nothing)
from rdflib.plugins.serializers.nt import _nt_row as nt_row
from rdflib.plugins.serializers.nt import _quoteLiteral as quote_literal

__all__ = [
    "INTERNALS",
    "lean_pyshacl",
    "memoised_iri_compaction",
    "missing_internals",
    "nt_row",
    "quote_literal",
]


@dataclass(frozen=True)
class Internal:
    """One attribute of a library that defkg replaces or calls though it is not public."""

    module: str
    #: dotted path inside the module, e.g. ``"Shape.focus_nodes"``
    attribute: str
    #: the parameter names defkg's replacement or call relies on, in order (empty: not checked)
    parameters: tuple[str, ...] = ()
    why: str = ""


INTERNALS: tuple[Internal, ...] = (
    Internal(
        "pyshacl.constraints.constraint_component",
        "ConstraintComponent.make_v_result_description",
        why="replaced by a no-op during validation: defkg never reads the text it builds",
    ),
    Internal(
        "pyshacl.shape",
        "Shape.focus_nodes",
        parameters=("self", "data_graph", "debug"),
        why="narrowed to the nodes a batch's pass has to check",
    ),
    Internal(
        "pyshacl.constraints",
        "ALL_CONSTRAINT_PARAMETERS",
        why="preset as a frozenset in pyshacl.shape's CONSTRAINT_PARAMS cache",
    ),
    Internal(
        "pyshacl.constraints",
        "CONSTRAINT_PARAMETERS_MAP",
        why="preset with the frozenset in pyshacl.shape's CONSTRAINT_PARAMS cache",
    ),
    Internal(
        "pyld.jsonld",
        "JsonLdProcessor._compact_iri",
        parameters=("self", "active_ctx", "iri", "value", "vocab", "base", "reverse"),
        why="memoised for the length of one compaction call",
    ),
    Internal(
        "rdflib.plugins.serializers.nt",
        "_nt_row",
        parameters=("triple",),
        why="the canonical N-Triples line of a triple, exactly as rdflib writes it",
    ),
    Internal(
        "rdflib.plugins.serializers.nt",
        "_quoteLiteral",
        parameters=("l_",),
        why="a literal's quoted lexical form, exactly as rdflib's N-Triples writer quotes it",
    ),
)

#: module-level names a library reads by name (not attributes we can look up beforehand):
#: (module, name) pairs whose name must appear in the module's source
READ_BY_NAME: tuple[tuple[str, str], ...] = (
    # pyshacl caches its parameter list as ``pyshacl.shape.CONSTRAINT_PARAMS`` on first use;
    # lean_pyshacl presets it with a frozenset
    ("pyshacl.shape", "CONSTRAINT_PARAMS"),
    # rdflib's Turtle/TriG syntax error: its text, offset and reason, read by defkg's loader
    # when pyoxigraph accepts what rdflib refuses
    ("rdflib.plugins.parsers.notation3", "self._str"),
    ("rdflib.plugins.parsers.notation3", "self._i"),
    ("rdflib.plugins.parsers.notation3", "self._why"),
)


def _resolve(internal: Internal) -> Any:
    value: Any = importlib.import_module(internal.module)
    for part in internal.attribute.split("."):
        value = getattr(value, part)
    return value


def missing_internals() -> list[str]:
    """What the installed libraries no longer have of :data:`INTERNALS`, in plain words."""
    missing = []
    for internal in INTERNALS:
        name = f"{internal.module}.{internal.attribute}"
        try:
            value = _resolve(internal)
        except (ImportError, AttributeError):
            missing.append(f"{name} is gone ({internal.why})")
            continue
        if internal.parameters:
            found = tuple(inspect.signature(value).parameters)
            if found[: len(internal.parameters)] != internal.parameters:
                missing.append(
                    f"{name} now takes {found}, not {internal.parameters} ({internal.why})"
                )
    for module, name in READ_BY_NAME:
        if name not in inspect.getsource(importlib.import_module(module)):
            missing.append(f"{module} no longer reads {name}")
    return missing


@contextmanager
def lean_pyshacl(focus: set[Any] | None) -> Iterator[None]:
    """pyshacl, minus work whose result defkg never reads, for the duration of one pass.

    - The text description of each result (we read the results graph): pyshacl builds one
      for every failed alternative of every ``sh:or`` too, which was a sixth of its time.
    - A linear search: every shape evaluation (nested ones too) looks each predicate of the
      shape up in pyshacl's *list* of constraint parameters, a fifth of the time on rdflib's
      slow term comparison; a frozenset answers the same.
    - With ``focus``, the targets of each shape outside ``focus`` (pyshacl's own
      ``focus_nodes`` option keeps IRIs only and would drop blank-node targets).
    Restored afterwards; passes run one at a time per process.
    """
    import pyshacl.shape
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
    from pyshacl.constraints.constraint_component import ConstraintComponent
    from pyshacl.shape import Shape

    description = ConstraintComponent.make_v_result_description
    targets = Shape.focus_nodes
    parameters = getattr(pyshacl.shape, "CONSTRAINT_PARAMS", None)
    ConstraintComponent.make_v_result_description = lambda *args, **kwargs: ""  # type: ignore[method-assign]
    pyshacl.shape.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
        frozenset(ALL_CONSTRAINT_PARAMETERS),
        CONSTRAINT_PARAMETERS_MAP,
    )
    if focus is not None:

        def focus_nodes(shape: Shape, data_graph: object, debug: bool = False) -> set:
            return {n for n in targets(shape, data_graph, debug=debug) if n in focus}

        Shape.focus_nodes = focus_nodes  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        ConstraintComponent.make_v_result_description = description  # type: ignore[method-assign]
        Shape.focus_nodes = targets  # type: ignore[method-assign]
        if parameters is None:
            del pyshacl.shape.CONSTRAINT_PARAMS  # type: ignore[attr-defined]
        else:
            pyshacl.shape.CONSTRAINT_PARAMS = parameters  # type: ignore[attr-defined]


@contextmanager
def memoised_iri_compaction() -> Iterator[None]:
    """pyld's IRI compaction, remembered during one compaction call.

    pyld compacts every IRI by scanning the whole inverse context, and the same few hundred
    IRIs and value shapes recur thousands of times: that scan was most of the JSON-LD time.
    The answer depends only on the active context, the IRI, the value's content and the flags,
    which together are the key; the contexts are kept alive so that their ids stay unique.
    """
    from pyld import jsonld

    original: Callable[..., Any] = jsonld.JsonLdProcessor._compact_iri
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
