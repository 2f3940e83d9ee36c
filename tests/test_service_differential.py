"""The SERVICE check agrees with the query engine: a differential test (issue 11, point 1).

A seeded generator writes well over 10,000 queries — SERVICE in every case, glued to SILENT,
to IRIs and to prefixed names, with every kind of white space and comment between tokens,
inside sub-queries, EXISTS, NOT EXISTS, OPTIONAL, UNION, MINUS, after VALUES and BIND; strings
of the four kinds, comments, IRIs, variables and prefixed names holding the keyword; the
readings the engine makes that a plain lexer misses; and random mutations of all these (text
deleted, glued, or a quote, '#', '<' or bracket inserted). pyoxigraph itself runs each one
against an in-memory store, with every SERVICE IRI naming a loopback listener started here
that records each request. For every query:

* the listener is contacted only if the check found a SERVICE (what the check refuses never
  reaches the engine; it is run here anyway, to count the refusals that were needed);
* after the endpoint's rewriting of the check's SERVICE targets into relay URLs, the engine
  contacts the relay only, never the endpoint the query named: the check found the very
  tokens the engine reads as SERVICE targets.
"""

from __future__ import annotations

import random
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from defkg.store.service_relay import rewrite_services
from defkg.web.scan import ScanError, scan

SEED = 20261201
#: How many queries the generator writes (before mutations add more).
BASE_QUERIES = 6_000
MUTATIONS_PER_QUERY = 1


class Listener:
    """A loopback HTTP listener that records the path of every request and answers at once
    with an empty SPARQL JSON result, so that the engine goes on without waiting."""

    ANSWER = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/"
        self.paths: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    line = data.split(b"\r\n", 1)[0].decode("latin-1")
                    path = line.split(" ")[1] if " " in line else line
                    with self._lock:
                        self.paths.append(path)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                        % (len(self.ANSWER), self.ANSWER)
                    )
                except OSError:
                    pass

    def take(self) -> list[str]:
        with self._lock:
            paths, self.paths = self.paths, []
        return paths

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listeners() -> Iterator[tuple[Listener, Listener]]:
    target, relay = Listener(), Listener()
    yield target, relay
    target.close()
    relay.close()


# --- the corpus -----------------------------------------------------------------------------


def spell(rnd: random.Random, word: str) -> str:
    """``word`` in a random mix of cases (the engine matches keywords case-insensitively)."""
    return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in word)


def gap(rnd: random.Random, glue: bool = True) -> str:
    """What may stand between two tokens: nothing (glued), any white space, any comment."""
    choices = [" ", "\t", "\n", "\r\n", "\r", "  \n\t", "#c\n", "# SERVICE <x:y> {}\r", "\n#\n"]
    if glue:
        choices += ["", "", ""]
    return rnd.choice(choices)


class Corpus:
    def __init__(self, base: str, seed: int) -> None:
        self.base = base
        self.rnd = random.Random(seed)
        self.count = 0

    def target(self) -> tuple[str, str]:
        """(prologue, target) of a SERVICE endpoint on the listener, unique per query."""
        self.count += 1
        name = f"t{self.count}"
        rnd = self.rnd
        form = rnd.randrange(4)
        if form == 0:
            return "", f"<{self.base}{name}>"
        if form == 1:
            return f"PREFIX ex: <{self.base}>\n", f"ex:{name}"
        if form == 2:
            return f"PREFIX{gap(rnd)}:{gap(rnd)}<{self.base}>\n", f":{name}"
        return f"{spell(rnd, 'prefix')}{gap(rnd)}e:{gap(rnd)}<{self.base}>\n", f"e:{name}"

    def service(self) -> tuple[str, str]:
        rnd = self.rnd
        prologue, target = self.target()
        silent = spell(rnd, "silent") + gap(rnd) if rnd.random() < 0.4 else ""
        pattern = rnd.choice(["{ ?x ?y ?z }", "{}", "{?x ?y ?z}", "{ BIND(1 AS ?w) }"])
        clause = spell(rnd, "service") + gap(rnd) + silent + target + gap(rnd) + pattern
        return prologue, clause

    def in_context(self, clause: str) -> str:
        rnd = self.rnd
        g = gap
        contexts = [
            "{ ?s ?p ?o .%s }",
            "{ ?s ?p ?o %s }",
            "{ ?s ?p 1%s }",
            "{ ?s ?p true%s }",
            "{ ?s ?p 'x'%s }",
            "{ %s }",
            "{ { SELECT * WHERE { ?s ?p ?o %s } } }",
            "{ ?s ?p ?o FILTER EXISTS { %s } }",
            "{ ?s ?p ?o FILTER(NOT EXISTS { %s }) }",
            "{ ?s ?p ?o FILTER(EXISTS{%s} || true) }",
            "{ ?s ?p ?o OPTIONAL { %s } }",
            "{ ?s ?p ?o OPTIONAL{%s} }",
            "{ { ?s ?p ?o } UNION { %s } }",
            "{ {?s ?p ?o}UNION{%s} }",
            "{ ?s ?p ?o MINUS { %s } }",
            "{ VALUES ?v { 1 2 } %s }",
            "{ VALUES (?v) { (1) } %s }",
            "{ BIND(1 AS ?b)%s }",
            "{ ?s ?p ?o FILTER(?o != <http://x/#a>) %s }",
        ]
        body = rnd.choice(contexts).replace("%s", g(rnd) + clause + g(rnd))
        form = rnd.choice(
            [
                "SELECT * WHERE %s",
                "SELECT*%s",
                "ASK %s",
                "ASK%s",
                "CONSTRUCT { ?s ?p ?o } WHERE %s",
                "DESCRIBE ?s WHERE %s",
                "SELECT (COUNT(*) AS ?n) WHERE %s",
            ]
        )
        return form.replace("%s", body)

    def decoy(self) -> str:
        """A query that holds SERVICE text where the engine must not read it as the keyword."""
        rnd = self.rnd
        svc = spell(rnd, "service") + rnd.choice(["", " ", "\t"]) + f"<{self.base}decoy>" + " {}"
        holders = [
            f'"{svc}"',
            f"'{svc}'",
            f'"""{svc}\n "quoted" \\""""',
            f"'''{svc}\n 'it''s' \\''''",
            f'"a \\" {svc}"',
            f"'a \\' {svc}'",
            f"<http://x/{spell(rnd, 'service')}>",
            "ex:" + spell(rnd, "service"),
            "ex:a." + spell(rnd, "service"),
            "ex:" + spell(rnd, "service") + "-x",
            "?" + spell(rnd, "service"),
            "$" + spell(rnd, "service"),
            '"x"@' + spell(rnd, "service"),
            "_:" + spell(rnd, "service"),
            f"?o # {svc}\n",
        ]
        holder = rnd.choice(holders)
        prologue = "PREFIX ex: <http://x/>\n"
        shape = rnd.choice(
            [
                "SELECT * WHERE { ?s ?p %s }",
                "SELECT * WHERE { ?s ?p ?o FILTER(?o != %s) }",
                "SELECT * WHERE { ?s ?p ?o BIND(%s AS ?b) }",
                "SELECT * WHERE { VALUES ?v { %s } ?s ?p ?o }",
            ]
        )
        return prologue + shape.replace("%s", holder)

    def adversarial(self) -> str:
        """The readings a plain lexer misses (each once bypassed an earlier check)."""
        rnd = self.rnd
        prologue, target = self.target()
        svc = spell(rnd, "service") + gap(rnd, glue=False) + target + " {}"
        cases = [
            f"SELECT * {{ ?s ?p ?a FILTER(?a<'>)}}') {svc} }} #'",
            f'SELECT * {{ ?s ?p ?a FILTER(?a<?b#>"""\n) {svc} }} #"""',
            f"SELECT * {{ ?s ?p ?a FILTER(?a<(?b>?c)<?d#>'''\n) {svc} }} #'''",
            f"SELECT * {{ ?s ?p ?a FILTER(?a<=?b#>'\n) {svc} }} #'",
            f"PREFIX q: <http://e/#> {prologue}"
            f"SELECT * {{ ?s ?p q:{svc.replace(' {}', '')}\\#y {{}} }}",
            f"SELECT * {{ ?s ?p ?o . {spell(rnd, 'service')}{target}{{}} }}",
            f"SELECT * {{ ?s ?p 1e5{spell(rnd, 'service')}{target}{{}} }}",
            f"PREFIX ex2: <http://x/> "
            f"SELECT * {{ ?s ?p ex2:a.b.{spell(rnd, 'service')}{target}{{}} }}",
            f"SELECT * {{ ?s ?p '''\\uD800''' {svc} }}",
            f"SELECT * {{ ?s ?p '\\u0027' . {svc} }}",
            f"SELECT * {{ ?s ?p <http://x/\\u003e {svc} }}",
            # U+017F (long s) upper-cases to S in Python, not in the engine
            f"SELECT * {{ ?s ?p \u017fERVICE {target} {{}} }}",
            f"SELECT * {{ ?s ?p ?o FILTER(1<'x'>?o) {svc} }}",
        ]
        return prologue + rnd.choice(cases)

    def query(self) -> str:
        roll = self.rnd.random()
        if roll < 0.55:
            prologue, clause = self.service()
            return prologue + self.in_context(clause)
        if roll < 0.8:
            return self.decoy()
        return self.adversarial()

    def mutate(self, query: str) -> str:
        rnd = self.rnd
        where = rnd.randrange(len(query) + 1)
        action = rnd.randrange(4)
        if action == 0:  # delete a run of characters (glues tokens together)
            return query[:where] + query[where + rnd.randint(1, 3) :]
        if action == 1:  # delete the white space around a point
            return query[:where].rstrip() + query[where:].lstrip()
        insert = rnd.choice(["'", '"', "#", "<", ">", "(", ")", "{", "}", "\\", '"""', "\n", "."])
        return query[:where] + insert + query[where:]


def corpus(base: str) -> list[str]:
    maker = Corpus(base, SEED)
    queries = [maker.query() for _ in range(BASE_QUERIES)]
    queries += [maker.mutate(q) for q in queries for _ in range(MUTATIONS_PER_QUERY)]
    return list(dict.fromkeys(queries))  # deterministic order, no repeats


# --- running it ---------------------------------------------------------------------------


def make_store() -> ox.Store:
    store = ox.Store()
    subject, predicate = ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p")
    for value in (
        ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
        ox.Literal("x"),
        ox.NamedNode("http://x/o"),
    ):
        store.add(ox.Quad(subject, predicate, value))
    return store


def run(store: ox.Store, query: str, prefixes: dict[str, str] | None = None) -> None:
    """Run ``query`` to the end; its failures do not matter, only whom it contacted."""
    try:
        result = store.query(query, prefixes=prefixes or {})
        if not isinstance(result, ox.QueryBoolean):
            for _ in result:
                pass
    except Exception:
        pass  # syntax errors and failed SERVICE calls are expected


def differential(
    listeners: tuple[Listener, Listener], queries: list[str], prefixes: dict[str, str] | None
) -> tuple[Counter[str], list[str]]:
    """Each query checked and run (with the same predeclared ``prefixes`` for both, as the
    endpoint gives them): how the corpus split, and every disagreement."""
    target, relay = listeners
    store = make_store()
    outcome: Counter[str] = Counter()
    disagreements: list[str] = []
    for query in queries:
        try:
            found = scan(query, max_nesting=64, prefixes=prefixes)
        except ScanError:
            outcome["refused"] += 1
            run(store, query, prefixes)
            if target.take():
                outcome["refused, and the engine would have called out"] += 1
            continue
        run(store, query, prefixes)
        contacted = target.take()
        if found.variable_service:
            outcome["SERVICE ?var (refused as 403)"] += 1
            continue
        if contacted and not found.services:
            disagreements.append(f"{query!r}: the engine called {contacted}, the check saw none")
            continue
        if not found.services:
            outcome["no SERVICE"] += 1
            continue
        outcome["SERVICE found" + (", engine called it" if contacted else "")] += 1
        # What the endpoint runs: every target rewritten to a relay URL.
        urls = [f"{relay.base}relay/{n}" for n in range(len(found.services))]
        run(store, rewrite_services(query, tuple(found.service_spans), urls), prefixes)
        if target.take():
            disagreements.append(f"{query!r}: rewritten, it still called the endpoint")
        relay.take()
    return outcome, disagreements


def test_the_engine_contacts_only_what_the_check_found(listeners) -> None:
    queries = corpus(listeners[0].base)
    assert len(queries) >= 10_000
    outcome, disagreements = differential(listeners, queries, None)
    print(dict(outcome))  # shown with -s: how the corpus splits
    assert not disagreements, "\n".join(disagreements[:20])
    # The corpus exercises every verdict in earnest, not only refusals.
    assert outcome["SERVICE found, engine called it"] >= 2_000, outcome
    assert outcome["no SERVICE"] >= 2_000, outcome
    assert outcome["refused"] >= 500, outcome
    assert outcome["refused, and the engine would have called out"] >= 100, outcome


class PredeclaredCorpus(Corpus):
    """Targets written with a predeclared prefix, with no PREFIX line (or with one of the
    same name that overrides it), besides the forms of :class:`Corpus`."""

    def target(self) -> tuple[str, str]:
        roll = self.rnd.random()
        if roll < 0.5:
            self.count += 1
            return "", f"pd:t{self.count}"
        if roll < 0.6:
            self.count += 1
            return "PREFIX pd: <http://127.0.0.1:9/>\n", f"pd:t{self.count}"
        return super().target()


def test_predeclared_prefixes_are_read_as_the_engine_reads_them(listeners) -> None:
    """The endpoint hands the engine its predeclared prefixes, and the check the same: a
    SERVICE target written with one is found (and rewritten) as the engine would call it."""
    maker = PredeclaredCorpus(listeners[0].base, SEED + 1)
    queries = [maker.query() for _ in range(BASE_QUERIES // 3)]
    queries += [maker.mutate(q) for q in queries]
    queries = list(dict.fromkeys(queries))
    prefixes = {"pd": listeners[0].base, "ex": "http://predeclared.example/"}
    outcome, disagreements = differential(listeners, queries, prefixes)
    print(dict(outcome))
    assert not disagreements, "\n".join(disagreements[:20])
    assert outcome["SERVICE found, engine called it"] >= 500, outcome
