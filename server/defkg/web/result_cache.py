"""The result cache of the SPARQL endpoint: serialised answers of identical requests, bounded.

A release never changes once published, so two identical requests (query text, dataset,
endpoint, result format, caps) over the same release have byte-identical answers. The web
process keeps the most recently used answers, up to a byte budget, and serves a repeat
without sending it to a query worker. Keys include the release tag, so the answers of an
earlier release are never served for a newer one (they age out of the budget). The same key,
hashed, is the answer's ``ETag``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from defkg.store.jobs import QueryJob, QueryOutcome

#: Bytes an entry costs beyond its body and query text (key tuple, outcome object, links).
_ENTRY_OVERHEAD = 400


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
    """A thread-safe LRU of successful answers, bounded by the bytes they hold.

    An answer larger than an eighth of the budget is not kept: one huge result would
    otherwise evict everything the many small, frequent queries rely on.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[tuple[str, QueryJob], QueryOutcome] = OrderedDict()
        self._sizes: dict[tuple[str, QueryJob], int] = {}
        self._lock = threading.Lock()
        self.size = 0  #: bytes held now
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, QueryJob]) -> QueryOutcome | None:
        """The cached answer for ``key`` (now the most recently used), or None."""
        if not self.enabled:
            return None
        with self._lock:
            outcome = self._entries.get(key)
            if outcome is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return outcome

    def put(self, key: tuple[str, QueryJob], outcome: QueryOutcome) -> bool:
        """Keep a successful answer, evicting the least recently used; False if not kept."""
        cost = len(outcome.body) + len(key[1].query) * 2 + _ENTRY_OVERHEAD
        if outcome.status != 200 or not self.enabled or cost > self.max_bytes // 8:
            return False
        with self._lock:
            if key in self._entries:
                return True
            self._entries[key] = outcome
            self._sizes[key] = cost
            self.size += cost
            while self.size > self.max_bytes:
                oldest, _ = self._entries.popitem(last=False)
                self.size -= self._sizes.pop(oldest)
        return True


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

    def __init__(self, wsgi_app, cache: ResultCache, release_tag, max_entries: int = 10_000):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.release_tag = release_tag  #: () -> str | None
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[tuple, list[tuple[str, str]]]] = OrderedDict()
        self._lock = threading.Lock()

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
        with self._lock:
            entry = self._entries.get(raw)
            if entry is not None:
                self._entries.move_to_end(raw)
        if entry is not None and tag is not None:
            result_key_, headers = entry
            outcome = self.cache.get(result_key_)
            if outcome is not None:
                start_response("200 OK", list(headers))
                return [outcome.body]

        def remember(status: str, headers: list[tuple[str, str]], exc_info=None):
            key = environ.get(ENVIRON_KEY)
            if status.startswith("200") and key is not None and key[0] == tag:
                hit_headers = [
                    (name, "hit" if name == "X-Defkg-Cache" else value) for name, value in headers
                ]
                with self._lock:
                    self._entries[raw] = (key, hit_headers)
                    if len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, remember)
