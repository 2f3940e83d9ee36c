"""What the SPARQL of every page kind shares: the prefix block, labels, safe IRIs (the store it
asks is :class:`defkg.store.Store`).

Each page kind keeps the SPARQL it needs beside it (``resource``, ``ontology``, ``home``); the
pieces here are the ones several of them use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import URIRef
from rdflib.term import Node

from defkg.iris import IriScheme

#: Characters that may not appear inside a SPARQL IRIREF (and so never in an IRI we look up).
_UNSAFE_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def is_safe_iri(iri: str) -> bool:
    """True when ``iri`` can be written between ``<…>`` in SPARQL without escaping anything
    and is an IRI the store accepts (a path with a malformed escape such as ``/id/%ff`` or
    ``/id/%`` makes none: a 404, not a query the store refuses)."""
    if not iri or _UNSAFE_IRI.search(iri):
        return False
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(iri)
    except (ValueError, UnicodeError):
        return False
    return True


def prefix_block(scheme: IriScheme) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in scheme.prefixes().items())


def labels_query(nodes: Iterable[Node], scheme: IriScheme) -> str:
    """A CONSTRUCT of the labels of ``nodes``, from every asserted graph."""
    iris = sorted({str(n) for n in nodes if isinstance(n, URIRef)})
    values = " ".join(f"<{n}>" for n in iris if is_safe_iri(n))
    return f"""{prefix_block(scheme)}
CONSTRUCT {{ ?m rdfs:label ?l . }}
WHERE {{
  VALUES ?m {{ {values} }}
  GRAPH ?g {{ ?m rdfs:label ?l }}
  FILTER(?g != <{scheme.inferred_graph}>)
}}"""


def data_graphs_filter(scheme: IriScheme, *, inferred: bool) -> str:
    excluded = [scheme.ontology_graph, scheme.shapes_graph]
    if not inferred:
        excluded.append(scheme.inferred_graph)
    return "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in excluded) + "))"
