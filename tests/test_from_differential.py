"""The FROM check agrees with the query engine: a differential test (issue 11, point 1).

The endpoint checks every graph a query names with FROM or FROM NAMED against the dataset's
own graphs before running it. A seeded generator writes thousands of queries — FROM and
FROM NAMED in every case, glued to IRIs, prefixed names and NAMED, with comments and white
space between, FROM held by strings, comments, IRIs and names, and random mutations of
all these — and pyoxigraph runs each against a store whose default graph is empty and whose
named graphs each hold one triple naming the graph. Which triples come back shows which graphs
the engine took from the query's FROM (default graph) and FROM NAMED (GRAPH); every such graph
must be one the check found, a query in which the check found none must be run by the engine
over the default dataset, or the check must have refused the query. The engine and the check
are given the same predeclared prefixes and base IRI, as the endpoint gives them.
"""

from __future__ import annotations

import random
from collections import Counter

import pyoxigraph as ox

from defkg.web.scan import ScanError, scan

SEED = 1201
GRAPHS = [f"http://g.example/{n}" for n in range(1, 6)]
GRAPH_NAME = ox.NamedNode("http://x/graph")
#: What the endpoint hands the engine besides the text, as it does: predeclared prefixes (one
#: of them naming the graphs) and a base IRI for relative IRIs. The check is told the same.
PREDECLARED = {"pg": "http://g.example/", "ex": "http://predeclared.example/"}
BASE_IRI = "http://g.example/sparql"


def make_store() -> ox.Store:
    store = ox.Store()
    for iri in GRAPHS:
        graph = ox.NamedNode(iri)
        store.add(ox.Quad(ox.NamedNode("http://x/s"), GRAPH_NAME, graph, graph))
    return store


def spell(rnd: random.Random, word: str) -> str:
    return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in word)


def gap(rnd: random.Random, glue: bool = True) -> str:
    choices = [" ", "\n", "\t", "\r\n", "#c\n", "# FROM <http://g.example/5>\n"]
    return rnd.choice(choices + ([""] * 3 if glue else []))


def graph_ref(rnd: random.Random) -> tuple[str, str]:
    """(prologue, reference) of one of the graphs."""
    n = rnd.randint(1, len(GRAPHS) - 1)
    form = rnd.randrange(6)
    if form == 0:
        return "", f"<{GRAPHS[n - 1]}>"
    if form == 1:
        return "PREFIX g: <http://g.example/>\n", f"g:{n}"
    if form == 2:
        return "PREFIX : <http://g.example/>\n", f":{n}"
    if form == 3:  # a predeclared prefix, no PREFIX line
        return "", f"pg:{n}"
    if form == 4:  # a PREFIX line overrides the predeclared prefix of the same name
        return "PREFIX pg: <http://g.example/x>\n", f"pg:{n}"
    return "", f"<{n}>"  # relative: resolved against the base IRI


def dataset_clause(rnd: random.Random) -> tuple[str, str]:
    prologue, ref = graph_ref(rnd)
    named = spell(rnd, "named") + gap(rnd) if rnd.random() < 0.5 else ""
    return prologue, spell(rnd, "from") + gap(rnd) + named + ref


def query(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.75:
        clauses = [dataset_clause(rnd) for _ in range(rnd.randint(1, 3))]
        prologue = "".join(dict.fromkeys(p for p, _ in clauses))
        dataset = "".join(gap(rnd, glue=False) + clause for _, clause in clauses)
    else:  # FROM where the engine must not read it
        prologue = "PREFIX ex: <http://x/>\n"
        holder = rnd.choice(
            [
                f'"{spell(rnd, "from")} <{GRAPHS[0]}>"',
                f"<http://x/{spell(rnd, 'from')}>",
                "ex:" + spell(rnd, "from"),
                "?" + spell(rnd, "from"),
            ]
        )
        dataset = f" # {spell(rnd, 'from')} <{GRAPHS[0]}>\n"
        return prologue + f"SELECT * {dataset}WHERE {{ ?s ?p ?o . FILTER(?o != {holder}) }}"
    form = rnd.choice(["SELECT ?o ?n", "SELECT*", "SELECT DISTINCT ?o ?n"])
    where = rnd.choice(
        [
            "WHERE { { ?s <http://x/graph> ?o } UNION { GRAPH ?g { ?s <http://x/graph> ?n } } }",
            "{ OPTIONAL { ?s <http://x/graph> ?o } OPTIONAL { GRAPH ?g { ?s ?p ?n } } }",
        ]
    )
    return prologue + form + dataset + gap(rnd) + where


def mutate(rnd: random.Random, text: str) -> str:
    where = rnd.randrange(len(text) + 1)
    if rnd.random() < 0.5:
        return text[:where] + text[where + rnd.randint(1, 3) :]
    return text[:where] + rnd.choice(["'", '"', "#", "<", ">", "\n", ""]) + text[where:]


def test_the_engine_uses_only_the_graphs_the_check_found() -> None:
    rnd = random.Random(SEED)
    queries = [query(rnd) for _ in range(2500)]
    queries += [mutate(rnd, q) for q in queries]
    queries = list(dict.fromkeys(queries))
    store = make_store()
    outcome: Counter[str] = Counter()
    disagreements = []
    for text in queries:
        try:
            found = scan(text, prefixes=PREDECLARED, base_iri=BASE_IRI)
        except ScanError:
            outcome["refused"] += 1
            continue
        try:
            rows = list(store.query(text, prefixes=PREDECLARED, base_iri=BASE_IRI))
        except (SyntaxError, OSError, ValueError):
            outcome["engine refused"] += 1
            continue
        used_default = {row["o"].value for row in rows if row["o"] is not None}
        used_named = {row["n"].value for row in rows if row["n"] is not None}
        if found.from_graphs or found.from_named_graphs:
            agrees = used_default <= set(found.from_graphs) and used_named <= set(
                found.from_named_graphs
            )
        else:
            # No dataset clause: the default graph is the store's (empty here) and every
            # named graph is in GRAPH; the queries name only graphs 1 to 4 with FROM NAMED,
            # so a strict part of them shows a FROM NAMED the check missed.
            agrees = not used_default and used_named in (set(), set(GRAPHS))
        if not agrees:
            disagreements.append(
                f"{text!r}: engine used {used_default} / named {used_named}, check found "
                f"{found.from_graphs} / named {found.from_named_graphs}"
            )
            continue
        outcome["agreed, graphs used" if used_default or used_named else "agreed"] += 1
    print(dict(outcome))  # shown with -s: how the corpus splits
    assert not disagreements, "\n".join(disagreements[:10])
    assert len(queries) >= 4_000
    assert outcome["agreed, graphs used"] >= 1_000, outcome
