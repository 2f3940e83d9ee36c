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
