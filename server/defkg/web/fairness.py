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

The bookkeeping is per web process and bounded: clients with nothing running and an empty
bucket are forgotten.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

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


@dataclass
class _Usage:
    running: int = 0
    level: float = 0.0  #: seconds in the bucket
    updated: float = field(default_factory=time.monotonic)


class ClientBudgets:
    """Admit and charge queries per client (thread-safe)."""

    #: beyond this many known clients, the idle ones are forgotten at once
    MAX_CLIENTS = 100_000

    def __init__(self, max_concurrent: int, seconds_per_minute: float, crash_charge: float) -> None:
        self.max_concurrent = max(1, max_concurrent)
        self.seconds_per_minute = seconds_per_minute  #: 0: no time budget
        self.crash_charge = crash_charge
        self._clients: dict[str, _Usage] = {}
        self._lock = threading.Lock()

    def _drain(self, usage: _Usage, now: float) -> None:
        rate = self.seconds_per_minute / 60.0
        usage.level = max(0.0, usage.level - (now - usage.updated) * rate)
        usage.updated = now

    def admit(self, client: str) -> None:
        """Count a query of ``client`` as running, or raise :class:`OverBudget`."""
        now = time.monotonic()
        with self._lock:
            usage = self._clients.get(client)
            if usage is None:
                if len(self._clients) >= self.MAX_CLIENTS:
                    self._forget_idle(now)
                usage = self._clients[client] = _Usage(updated=now)
            self._drain(usage, now)
            if usage.running >= self.max_concurrent:
                raise OverBudget(
                    f"too many queries from {client} at once: {usage.running} running, the "
                    f"limit per client is {self.max_concurrent}; retry when one has ended",
                    1,
                )
            budget = self.seconds_per_minute
            if budget and usage.level >= budget:
                wait = (usage.level - budget) / (budget / 60.0) + 1
                raise OverBudget(
                    f"{client} has used its query time: {usage.level:.0f} s in the last minute, "
                    f"the limit per client is {budget:g} s per minute; retry in {wait:.0f} s",
                    math.ceil(wait),
                )
            usage.running += 1

    def release(self, client: str, seconds: float, *, crashed: bool = False) -> None:
        """The query of ``client`` admitted before has ended after ``seconds`` in a worker."""
        now = time.monotonic()
        with self._lock:
            usage = self._clients.get(client)
            if usage is None:
                return
            self._drain(usage, now)
            usage.running = max(0, usage.running - 1)
            usage.level += seconds + (self.crash_charge if crashed else 0.0)

    def _forget_idle(self, now: float) -> None:
        for name, usage in list(self._clients.items()):
            self._drain(usage, now)
            if usage.running == 0 and usage.level == 0.0:
                del self._clients[name]

    def __len__(self) -> int:
        return len(self._clients)
