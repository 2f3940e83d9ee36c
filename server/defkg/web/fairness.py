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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

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
        self._entry = struct.Struct(f"=16sdd{self.MAX_PROCESSES}i")
        self._fd = new_table_file() if fd is None else fd
        size = _TABLE_OFFSET + self.SLOTS * self._entry.size
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)  # sparse: a page takes memory once written
        self._table = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
        self._thread_lock = threading.Lock()
        #: (pid, descriptor, column) of the process using the table, claimed on its first
        #: query: a table made before gunicorn forks belongs to no process yet
        self._own: tuple[int, int, int] | None = None

    # --- locking --------------------------------------------------------------------------
    @contextmanager
    def _books(self) -> Iterator[int]:
        """The table locked for this thread and this process; yields this process's column."""
        with self._thread_lock:
            fd, column = self._claim()
            lock_byte(fd, self.MAX_PROCESSES, wait=True)
            try:
                yield column
            finally:
                unlock_byte(fd, self.MAX_PROCESSES)

    def _claim(self) -> tuple[int, int]:
        """This process's descriptor of the table and its column, claimed on first use.

        The column is a lock on one byte that the kernel drops when the process dies; the new
        owner clears the column, whose counts a dead process can never release.
        """
        pid = os.getpid()
        if self._own is not None and self._own[0] == pid:
            return self._own[1], self._own[2]
        fd = os.open(f"/proc/self/fd/{self._fd}", os.O_RDWR | os.O_CLOEXEC)
        column = next((c for c in range(self.MAX_PROCESSES) if lock_byte(fd, c, wait=False)), None)
        if column is None:
            os.close(fd)
            raise OSError(f"more than {self.MAX_PROCESSES} web processes share one budget table")
        lock_byte(fd, self.MAX_PROCESSES, wait=True)
        try:
            at = _TABLE_OFFSET + struct.calcsize("=16sdd") + 4 * column
            for slot in range(self.SLOTS):
                struct.pack_into("=i", self._table, at + slot * self._entry.size, 0)
        finally:
            unlock_byte(fd, self.MAX_PROCESSES)
        self._own = (pid, fd, column)
        return fd, column

    # --- entries --------------------------------------------------------------------------
    def _read(self, slot: int) -> tuple[bytes, float, float, list[int]]:
        key, level, updated, *running = self._entry.unpack_from(
            self._table, _TABLE_OFFSET + slot * self._entry.size
        )
        return key, level, updated, running

    def _write(self, slot: int, key: bytes, level: float, now: float, running: list[int]) -> None:
        at = _TABLE_OFFSET + slot * self._entry.size
        self._entry.pack_into(self._table, at, key, level, now, *running)

    def _drained(self, level: float, updated: float, now: float) -> float:
        return max(0.0, level - (now - updated) * self.seconds_per_minute / 60.0)

    def _find(self, key: bytes, now: float, *, create: bool) -> int | None:
        """The slot of ``key``, or None; with ``create`` a free slot is taken for a newcomer
        (None when none of the slots it may use is free)."""
        start = int.from_bytes(key[:8], "little") % self.SLOTS
        free: int | None = None
        table, size = self._table, self._entry.size
        for step in range(self.PROBES):
            slot = (start + step) % self.SLOTS
            at = _TABLE_OFFSET + slot * size
            # The key alone first: the whole entry (67 fields) only for a slot that may be free.
            held = table[at : at + _KEY_SIZE]
            if held == key:
                return slot
            if held == _EMPTY:
                # Keys are never erased, so none lies past an empty slot of its probes.
                if free is None:
                    free = slot
                break
            if free is None:
                _, level, updated, running = self._read(slot)
                if not any(running) and self._drained(level, updated, now) == 0:
                    free = slot  # a client with nothing running and an empty bucket
        if not create or free is None:
            return None
        self._write(free, key, 0.0, now, [0] * self.MAX_PROCESSES)
        return free

    # --- the budgets ----------------------------------------------------------------------
    def admit(self, client: str) -> None:
        """Count a query of ``client`` as running, or raise :class:`OverBudget`."""
        key = _key(client)
        with self._books() as column:
            now = time.monotonic()
            slot = self._find(key, now, create=True)
            if slot is None:
                raise OverBudget(
                    "the server is keeping count of too many clients at once; retry in a moment",
                    1,
                )
            _, level, updated, running = self._read(slot)
            level = self._drained(level, updated, now)
            if sum(running) >= self.max_concurrent:
                raise OverBudget(
                    f"too many queries from {client} at once: {sum(running)} running, the "
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
            running[column] += 1
            self._write(slot, key, level, now, running)

    def release(self, client: str, seconds: float, *, crashed: bool = False) -> None:
        """The query of ``client`` admitted before has ended after ``seconds`` in a worker."""
        key = _key(client)
        with self._books() as column:
            now = time.monotonic()
            slot = self._find(key, now, create=False)
            if slot is None:
                return
            _, level, updated, running = self._read(slot)
            level = self._drained(level, updated, now)
            running[column] = max(0, running[column] - 1)
            level += seconds + (self.crash_charge if crashed else 0.0)
            self._write(slot, key, level, now, running)

    def running(self, client: str) -> int:
        """Queries of ``client`` running now, in every web process of the server."""
        key = _key(client)
        with self._books():
            slot = self._find(key, time.monotonic(), create=False)
            return 0 if slot is None else sum(self._read(slot)[3])
