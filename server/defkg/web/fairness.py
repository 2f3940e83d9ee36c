"""Per-client budgets on the public endpoint, as the Wikidata Query Service keeps them.

A client is its address: the connection's peer, or — when the peer is one of the configured
``trusted_proxies`` — the last address in ``X-Forwarded-For`` that is not itself a trusted
proxy (a proxy appends the address it received from, so only the entries our own proxies
wrote can be believed). Each client has two budgets: queries running at once
(``client_max_concurrent_queries``) and seconds of query-worker time per minute
(``client_query_seconds``, a leaky bucket: what a query ran is added when it ends, and drains
at the budget's rate). A client over either is answered 429 with Retry-After — only the
server as a whole being full is a 503. A query that crashed its worker is charged
``crash_charge`` seconds, so a client that keeps crashing workers is soon held back like one
over its budget.

The books are kept for the whole server, not per web process: a table in shared memory (a
file that ``defkg serve`` opens before gunicorn forks its web processes, so that each of them
maps the same pages), guarded by an open-file-description lock. A client whose connections
land in different web processes is still one client. The table is bounded
(:attr:`ClientBudgets.SLOTS` entries): a client with nothing running and an empty bucket gives
its entry up to the next newcomer. Each web process counts the queries it runs in a column of
its own, which it claims with a lock the kernel drops when the process dies, and clears when
it starts: a web process that crashed mid-query leaves no query counted for ever.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Sequence

from defkg.locks import AVAILABLE as OFD_LOCKS
from defkg.locks import lock_byte, unlock_byte

#: Where :class:`defkg.web.app.EveryResponse` leaves the client's address for the views.
CLIENT_KEY = "defkg.client"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """The trusted proxies as networks (an address is a network of one)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]
) -> str:
    """Who a request comes from (see the module's docstring)."""
    client = peer or "-"
    if not networks or not forwarded_for or not _trusted(client, networks):
        return client
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        client = hop
        if not _trusted(hop, networks):
            break
    return client


class OverBudget(Exception):
    """A client over one of its budgets: a 429 with ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


#: bytes 0 … MAX_PROCESSES-1 of the table's file are the web processes' column locks, the next
#: one the table's own lock; the entries start on the next page
_TABLE_OFFSET = 4096
_KEY_SIZE = 16  #: bytes of a client's key (a hash of its address)
_EMPTY = bytes(_KEY_SIZE)


def new_table_file() -> int:
    """An unlinked file for a budget table (on /dev/shm where the machine has it), as a
    descriptor that the processes gunicorn forks inherit."""
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    fd, name = tempfile.mkstemp(prefix="defkg-budgets-", dir=folder)
    os.unlink(name)
    os.set_inheritable(fd, True)
    return fd


def _key(client: str) -> bytes:
    return hashlib.blake2b(client.encode("utf-8", "replace"), digest_size=_KEY_SIZE).digest()


class ClientBudgets:
    """Admit and charge queries per client, server-wide (thread- and process-safe).

    ``fd`` is the table's file, shared by every web process (see the module's docstring); by
    default a new file of this process's own.
    """

    #: entries in the table: clients with a query running or a bucket not yet empty
    SLOTS = 16_384
    #: entries looked at for one client (open addressing from the hash of its address)
    PROBES = 32
    #: web processes that can share one table
    MAX_PROCESSES = 64

    def __init__(
        self,
        max_concurrent: int,
        seconds_per_minute: float,
        crash_charge: float,
        fd: int | None = None,
    ) -> None:
        if not OFD_LOCKS:
            raise OSError("per-client budgets need Linux (open-file-description locks)")
        self.max_concurrent = max(1, max_concurrent)
        self.seconds_per_minute = seconds_per_minute  #: 0: no time budget
        self.crash_charge = crash_charge
        # an entry: key, the bucket's level, when it was last drained, then the queries the
        # client has running, one count per web process (each writes only its own column)
        self._entry_size = _HEAD.size + 4 * self.MAX_PROCESSES
        self._fd = new_table_file() if fd is None else fd
        size = _TABLE_OFFSET + self.SLOTS * self._entry_size
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)  # sparse: a page takes memory once written
        self._table = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
        # the table as 4-byte counts, for summing a client's columns without unpacking them
        self._counts = memoryview(self._table)[_TABLE_OFFSET:].cast("i")
        self._thread_lock = threading.Lock()
        #: (pid, descriptor, column) of the process using the table, claimed on its first
        #: query: a table made before gunicorn forks belongs to no process yet
        self._own: tuple[int, int, int] | None = None

    # --- locking --------------------------------------------------------------------------
    def _lock(self) -> tuple[int, int]:
        """Lock the table for this thread and this process (undone by :meth:`_unlock`);
        returns this process's descriptor of the table and its column. (Two plain methods,
        not a context manager: this runs twice per query.)"""
        self._thread_lock.acquire()
        try:
            fd, column = self._claim()
            lock_byte(fd, self.MAX_PROCESSES, wait=True)
        except BaseException:
            self._thread_lock.release()
            raise
        return fd, column

    def _unlock(self, fd: int) -> None:
        try:
            unlock_byte(fd, self.MAX_PROCESSES)
        finally:
            self._thread_lock.release()

    def _claim(self) -> tuple[int, int]:
        """This process's descriptor of the table and its column, claimed on first use.

        The column is a lock on one byte that the kernel drops when the process dies; the new
        owner clears the column, whose counts a dead process can never release.
        """
        pid = _pid
        if self._own is not None and self._own[0] == pid:
            return self._own[1], self._own[2]
        fd = os.open(f"/proc/self/fd/{self._fd}", os.O_RDWR | os.O_CLOEXEC)
        column = next((c for c in range(self.MAX_PROCESSES) if lock_byte(fd, c, wait=False)), None)
        if column is None:
            os.close(fd)
            raise OSError(f"more than {self.MAX_PROCESSES} web processes share one budget table")
        lock_byte(fd, self.MAX_PROCESSES, wait=True)
        try:
            for slot in range(self.SLOTS):
                self._counts[self._count_index(slot, column)] = 0
        finally:
            unlock_byte(fd, self.MAX_PROCESSES)
        self._own = (pid, fd, column)
        return fd, column

    # --- entries --------------------------------------------------------------------------
    def _count_index(self, slot: int, column: int) -> int:
        """Where a column's count of ``slot`` is in :attr:`_counts`."""
        return (slot * self._entry_size + _HEAD.size) // 4 + column

    def _running(self, slot: int) -> int:
        """Queries of the client in ``slot`` running now, in every web process."""
        first = self._count_index(slot, 0)
        return sum(self._counts[first : first + self.MAX_PROCESSES])

    def _bucket(self, slot: int) -> tuple[float, float]:
        """(level, when it was last drained) of the client in ``slot``."""
        _, level, updated = _HEAD.unpack_from(self._table, _TABLE_OFFSET + slot * self._entry_size)
        return level, updated

    def _set_bucket(self, slot: int, key: bytes, level: float, now: float) -> None:
        _HEAD.pack_into(self._table, _TABLE_OFFSET + slot * self._entry_size, key, level, now)

    def _drained(self, level: float, updated: float, now: float) -> float:
        return max(0.0, level - (now - updated) * self.seconds_per_minute / 60.0)

    def _find(self, key: bytes, now: float, *, create: bool) -> int | None:
        """The slot of ``key``, or None; with ``create`` a free slot is taken for a newcomer
        (None when none of the slots it may use is free)."""
        start = int.from_bytes(key[:8], "little") % self.SLOTS
        free: int | None = None
        table, size = self._table, self._entry_size
        for step in range(self.PROBES):
            slot = (start + step) % self.SLOTS
            at = _TABLE_OFFSET + slot * size
            # The key alone first: the rest of the entry only for a slot that may be free.
            held = table[at : at + _KEY_SIZE]
            if held == key:
                return slot
            if held == _EMPTY:
                # Keys are never erased, so none lies past an empty slot of its probes.
                if free is None:
                    free = slot
                break
            if (
                free is None
                and not self._running(slot)
                and self._drained(*self._bucket(slot), now) == 0
            ):
                free = slot  # a client with nothing running and an empty bucket
        if not create or free is None:
            return None
        # A free slot counts nothing running in any column: only its key and bucket change.
        self._set_bucket(free, key, 0.0, now)
        return free

    # --- the budgets ----------------------------------------------------------------------
    def admit(self, client: str) -> None:
        """Count a query of ``client`` as running, or raise :class:`OverBudget`."""
        key = _key(client)
        fd, column = self._lock()
        try:
            now = time.monotonic()
            slot = self._find(key, now, create=True)
            if slot is None:
                raise OverBudget(
                    "the server is keeping count of too many clients at once; retry in a moment",
                    1,
                )
            level = self._drained(*self._bucket(slot), now)
            running = self._running(slot)
            if running >= self.max_concurrent:
                raise OverBudget(
                    f"too many queries from {client} at once: {running} running, the "
                    f"limit per client is {self.max_concurrent}; retry when one has ended",
                    1,
                )
            budget = self.seconds_per_minute
            if budget and level >= budget:
                wait = (level - budget) / (budget / 60.0) + 1
                raise OverBudget(
                    f"{client} has used its query time: {level:.0f} s in the last minute, "
                    f"the limit per client is {budget:g} s per minute; retry in {wait:.0f} s",
                    math.ceil(wait),
                )
            self._counts[self._count_index(slot, column)] += 1
            self._set_bucket(slot, key, level, now)
        finally:
            self._unlock(fd)

    def release(self, client: str, seconds: float, *, crashed: bool = False) -> None:
        """The query of ``client`` admitted before has ended after ``seconds`` in a worker."""
        key = _key(client)
        fd, column = self._lock()
        try:
            now = time.monotonic()
            slot = self._find(key, now, create=False)
            if slot is None:
                return
            level = self._drained(*self._bucket(slot), now)
            index = self._count_index(slot, column)
            self._counts[index] = max(0, self._counts[index] - 1)
            level += seconds + (self.crash_charge if crashed else 0.0)
            self._set_bucket(slot, key, level, now)
        finally:
            self._unlock(fd)

    def running(self, client: str) -> int:
        """Queries of ``client`` running now, in every web process of the server."""
        key = _key(client)
        fd, _ = self._lock()
        try:
            slot = self._find(key, time.monotonic(), create=False)
            return 0 if slot is None else self._running(slot)
        finally:
            self._unlock(fd)


#: an entry's head: the client's key, its bucket's level and when that was last drained (the
#: counts of queries running, one 4-byte column per web process, follow)
_HEAD = struct.Struct("=16sdd")
#: ``os.getpid()`` without a system call per query: kept up to date across forks
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)
