"""The result cache of the SPARQL endpoint: serialised answers of identical requests, bounded.

A release never changes once published, so two identical requests (query text, dataset,
endpoint, result format, caps) over the same release have byte-identical answers. The web
process keeps the most recently used answers, up to a byte budget, and serves a repeat
without sending it to a query worker. Keys include the release tag, so the answers of an
earlier release are never served for a newer one (they age out of the budget). The same key,
hashed, is the answer's ``ETag``.

Only answers that cannot vary are kept: a query calling SERVICE, NOW(), RAND(), UUID(),
STRUUID() or BNODE(), or a CONSTRUCT whose template makes blank nodes, is never cached (the
endpoint asks :mod:`defkg.web.scan`, which reads the query as the engine does).

Both the answers and the index of repeated requests (:class:`RepeatedRequests`) are bounded
in bytes, keys included: a key holds the query text, which may be 20,000 characters, so a
count of entries would bound nothing. The answers get ``result_cache_bytes``; the index an
eighth of that on top.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from defkg.store.jobs import QueryJob, QueryOutcome

#: Bytes an entry costs beyond what is measured (tuples, dict slots, the OrderedDict's links).
_ENTRY_OVERHEAD = 400

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def text_bytes(*texts: str | bytes | None) -> int:
    """The memory of these strings as Python holds them (a non-ASCII character takes up to 4)."""
    return sum(sys.getsizeof(text) for text in texts if text is not None)


def job_bytes(job: QueryJob) -> int:
    """The memory a cache key's job holds: its query text, graph names and types."""
    graphs = (*(job.default_graphs or ()), *(job.named_graphs or ()))
    return sys.getsizeof(job) + text_bytes(
        job.query, job.solutions_type, job.graph_type, job.base_iri, *graphs
    )


class ByteBoundedLRU(Generic[K, V]):
    """A thread-safe least-recently-used map whose entries, each with its cost in bytes,
    together stay within ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.size = 0  #: bytes held now

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V, cost: int) -> bool:
        """Keep ``value`` (replacing an entry of the same key), evicting the least recently
        used; False when it alone exceeds the bound."""
        if cost > self.max_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._entries[key] = (value, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self.size -= evicted
        return True

    def discard(self, key: K) -> None:
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self.size -= entry[1]


def result_key(release_tag: str, job: QueryJob) -> tuple[str, QueryJob]:
    """What identifies an answer: the release and everything the job says (it is frozen)."""
    return (release_tag, job)


def result_etag(release_tag: str, job: QueryJob) -> str:
    """The entity tag of an answer (unquoted): the release tag and a hash of the request."""
    request = "\0".join(
        (
            job.query,
            repr(job.default_graphs),
            repr(job.named_graphs),
            job.solutions_type or "",
            job.graph_type or "",
            str(job.max_rows),
            str(job.max_bytes),
            job.base_iri or "",
        )
    )
    return f"{release_tag}-{hashlib.sha256(request.encode('utf-8')).hexdigest()[:20]}"


class ResultCache:
    """A thread-safe LRU of successful answers, bounded by the bytes they hold (keys
    included), with the index of repeated requests beside it (an eighth of that again).

    An answer larger than an eighth of the budget is not kept: one huge result would
    otherwise evict everything the many small, frequent queries rely on.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._answers: ByteBoundedLRU[tuple[str, QueryJob], QueryOutcome] = ByteBoundedLRU(
            self.max_bytes
        )
        #: (release tag, path, query string, Accept) -> (result key, headers), for
        #: :class:`RepeatedRequests`
        self.requests: ByteBoundedLRU[tuple, tuple[tuple, list[tuple[str, str]]]] = ByteBoundedLRU(
            self.max_bytes // 8
        )
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size(self) -> int:
        """Bytes the answers hold now (keys included)."""
        return self._answers.size

    def __len__(self) -> int:
        return len(self._answers)

    def stats(self) -> dict[str, int]:
        """What the cache holds, for /healthz."""
        return {
            "answers": len(self._answers),
            "answer_bytes": self._answers.size,
            "requests": len(self.requests),
            "request_bytes": self.requests.size,
            "limit_bytes": self.max_bytes + self.max_bytes // 8,
        }

    def get(self, key: tuple[str, QueryJob]) -> QueryOutcome | None:
        """The cached answer for ``key`` (now the most recently used), or None."""
        if not self.enabled:
            return None
        outcome = self._answers.get(key)
        if outcome is None:
            self.misses += 1
        else:
            self.hits += 1
        return outcome

    def put(self, key: tuple[str, QueryJob], outcome: QueryOutcome) -> bool:
        """Keep a successful answer, evicting the least recently used; False if not kept."""
        cost = (
            sys.getsizeof(outcome.body)
            + text_bytes(key[0], outcome.media_type)
            + job_bytes(key[1])
            + _ENTRY_OVERHEAD
        )
        if outcome.status != 200 or not self.enabled or cost > self.max_bytes // 8:
            return False
        if self._answers.get(key) is not None:
            return True
        return self._answers.put(key, outcome, cost)


#: Where the endpoint leaves, for :class:`RepeatedRequests`, the cache key of a 200 it sent.
ENVIRON_KEY = "defkg.result_key"


class RepeatedRequests:
    """WSGI middleware: a GET that repeats an earlier answered one byte for byte is answered
    from the result cache before Flask runs at all.

    On a repeated query mix, Flask's request handling was most of the time a cached answer
    took. Only plain ``GET /sparql[...]?query=…`` without ``If-None-Match`` qualifies; the key
    is the release tag, path, query string and ``Accept`` (the only header the answer depends
    on). The entry points at the result cache's own entry, so no body is held twice and an
    answer evicted there is simply recomputed through Flask.
    """

    PATHS = frozenset(("/sparql", "/sparql/inferred"))

    def __init__(self, wsgi_app, cache: ResultCache, release_tag) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.release_tag = release_tag  #: () -> str | None

    def __call__(self, environ: dict, start_response):
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") not in self.PATHS
            or not environ.get("QUERY_STRING")
            or "HTTP_IF_NONE_MATCH" in environ
            or not self.cache.enabled
        ):
            return self.wsgi_app(environ, start_response)
        tag = self.release_tag()
        raw = (tag, environ["PATH_INFO"], environ["QUERY_STRING"], environ.get("HTTP_ACCEPT"))
        entry = self.cache.requests.get(raw)
        if entry is not None and tag is not None:
            result_key_, headers = entry
            outcome = self.cache.get(result_key_)
            if outcome is not None:
                start_response("200 OK", list(headers))
                return [outcome.body]
            self.cache.requests.discard(raw)  # its answer was evicted

        def remember(status: str, headers: list[tuple[str, str]], exc_info=None):
            key = environ.get(ENVIRON_KEY)
            if status.startswith("200") and key is not None and key[0] == tag:
                hit_headers = [
                    (name, "hit" if name == "X-Defkg-Cache" else value) for name, value in headers
                ]
                cost = (
                    text_bytes(*(part for part in raw if isinstance(part, str)))
                    + sum(text_bytes(name, value) for name, value in hit_headers)
                    + job_bytes(key[1])  # held here even once the answer is evicted
                    + _ENTRY_OVERHEAD
                )
                self.cache.requests.put(raw, (key, hit_headers), cost)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, remember)
