"""Waits that let other requests run: blocking in a thread, cooperative in the HTTP front.

``defkg serve`` answers every request of a web process on one event loop (:mod:`defkg.front`):
each request runs in a greenlet of its own, and when it has to wait (for a query worker's
answer, for a free worker, for a client to read) it hands the loop back until what it waits
for happens. The few places that wait go through this module, so that the same code also
runs unchanged in a plain thread (``defkg query``, the tests, a remote store under waitress),
where these calls simply block.

Only waits written here cooperate: anything else a request does holds the loop, so a request
must not block on the network or sleep except through this module.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import pickle
import struct
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

import greenlet


class RequestGreenlet(greenlet.greenlet):
    """A greenlet that answers requests of ``loop`` one after another.

    Started from a callback of the loop (its parent is the loop's greenlet) by
    :class:`RequestGreenlets`, which parks it between requests: switching into a parked
    greenlet costs about a third of making a new one (4 against 13 µs here).
    """

    def __init__(self, pool: RequestGreenlets) -> None:
        super().__init__(self._answer_requests)
        self._pool = pool

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop this greenlet answers on (what :func:`current_loop` reads)."""
        return self._pool.loop

    def _answer_requests(self, task: Callable[[Any], None], argument: Any) -> None:
        while True:
            task(argument)
            del task, argument  # drop the finished request before parking
            if not self._pool.park(self):
                return
            task, argument = self.parent.switch()


class RequestGreenlets:
    """The request greenlets of one event loop: a new request takes a parked one, or a new one.

    At most ``max_idle`` are parked; a greenlet that finds the pool full ends instead. Each
    request starts in a fresh :mod:`contextvars` context, as in a new greenlet, so that nothing
    a request sets in one is seen by the next.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, max_idle: int = 64) -> None:
        self.loop = loop
        self.max_idle = max_idle
        self._idle: list[RequestGreenlet] = []

    def start(self, task: Callable[[Any], None], argument: Any) -> None:
        """Run ``task(argument)`` in a request greenlet until it first waits or ends; call
        from the loop's own greenlet. ``task`` must handle its own exceptions."""
        if self._idle:
            worker = self._idle.pop()
            worker.gr_context = contextvars.Context()
            worker.switch(task, argument)
        else:
            RequestGreenlet(self).switch(task, argument)

    def park(self, worker: RequestGreenlet) -> bool:
        """Keep ``worker`` for a later request; False when enough are parked already."""
        if len(self._idle) >= self.max_idle:
            return False
        self._idle.append(worker)
        return True

    @property
    def idle(self) -> int:
        """How many greenlets are parked."""
        return len(self._idle)


def current_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop the calling request runs on, or None outside the front (a thread)."""
    return getattr(greenlet.getcurrent(), "loop", None)


def _suspend(loop: asyncio.AbstractEventLoop, done: asyncio.Future, timeout: float | None) -> Any:
    """Give the loop back until ``done`` completes or ``timeout`` passes; its result (None on
    timeout)."""
    me = greenlet.getcurrent()
    timer = None
    if timeout is not None:
        timer = loop.call_later(max(0.0, timeout), _settle, done, None)
    done.add_done_callback(lambda _: me.switch())
    try:
        me.parent.switch()
    finally:
        if timer is not None:
            timer.cancel()
    return done.result() if not done.cancelled() else None


def _settle(done: asyncio.Future, value: Any) -> None:
    if not done.done():
        done.set_result(value)


class Watched:
    """A query worker's end of its pipe, watched by the loop for as long as it is open.

    Registered once, not per query: waiting for an answer then costs no system call to add
    or remove the descriptor. The loop makes a watched descriptor non-blocking, so messages
    are read and written here, by multiprocessing's framing (a 4-byte length, or -1 and an
    8-byte one, then the pickle), with the loop given back whenever the pipe has nothing yet.
    Outside the front, every call is the ``Connection``'s own.

    A watched pipe that becomes readable while nobody waits on it has hung up (a worker sends
    only answers): :attr:`hung_up` says so, without a system call.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.fd = conn.fileno()
        self.hung_up = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future | None = None
        self._buffer = bytearray()

    @property
    def watched(self) -> bool:
        """Whether the loop watches the pipe (it has been waited on in the front)."""
        return self._loop is not None or self.hung_up

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is None and not self.hung_up:
            loop.add_reader(self.fd, self._on_readable)
            self._loop = loop

    def _on_readable(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            _settle(waiter, True)
        else:  # readable with no answer awaited: the other end closed (or broke protocol)
            self.hung_up = True
            self.close()

    def close(self) -> None:
        """Stop watching (from any thread)."""
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        if _running_loop() is loop:
            loop.remove_reader(self.fd)
        else:
            loop.call_soon_threadsafe(loop.remove_reader, self.fd)

    def readable(self, timeout: float) -> bool:
        """Whether a message (or the end of the pipe) arrives within ``timeout`` seconds."""
        loop = current_loop()
        if loop is None:
            return self.conn.poll(timeout)
        if self._buffer:
            return True
        self._watch(loop)
        self._waiter = loop.create_future()
        try:
            return bool(_suspend(loop, self._waiter, timeout))
        finally:
            self._waiter = None

    def send(self, message: object) -> None:
        """Send ``message`` whole (raises OSError when the pipe is broken)."""
        if current_loop() is None:
            self.conn.send(message)
            return
        payload = ForkingPickler.dumps(message)
        size = len(payload)
        header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
        data = memoryview(header + bytes(payload))
        while data:
            try:
                data = data[os.write(self.fd, data) :]
            except BlockingIOError:
                sleep(0.001)  # the pipe is full: only for a message larger than its buffer

    def receive(self) -> Any:
        """The next message (raises EOFError when the pipe has closed)."""
        if current_loop() is None:
            return self.conn.recv()
        buffer = self._buffer
        size, start = self._frame(buffer)
        while size is None or len(buffer) < start + size:
            try:
                chunk = os.read(self.fd, max(65536, (size or 0) + start - len(buffer)))
            except BlockingIOError:
                if not self.readable(_PATIENCE):
                    raise EOFError("no whole message from the worker") from None
                continue
            if not chunk:
                raise EOFError("the worker's pipe closed")
            buffer += chunk
            if size is None:
                size, start = self._frame(buffer)
        message = pickle.loads(memoryview(buffer)[start : start + size])
        del buffer[: start + size]
        return message

    @staticmethod
    def _frame(buffer: bytearray) -> tuple[int | None, int]:
        """The payload's size and where it starts, or (None, 0) while the header is short."""
        if len(buffer) < 4:
            return None, 0
        (size,) = struct.unpack_from("!i", buffer)
        if size != -1:
            return size, 4
        if len(buffer) < 12:
            return None, 0
        return struct.unpack_from("!Q", buffer, 4)[0], 12


#: how long the rest of a message may take once its first bytes have arrived (seconds)
_PATIENCE = 30.0


def sleep(seconds: float) -> None:
    """``time.sleep``, giving the loop back meanwhile."""
    loop = current_loop()
    if loop is None:
        import time

        time.sleep(seconds)
        return
    _suspend(loop, loop.create_future(), seconds)


class Signal:
    """Something request greenlets wait for, one waiter woken per :meth:`notify` (a free
    query worker). :meth:`notify` may be called from any thread. A waiter that wakes must
    check again for what it waited for: another request may have taken it first.
    """

    def __init__(self) -> None:
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = deque()

    def wait(self, timeout: float) -> None:
        """Give the loop back until notified or ``timeout`` passes (only in the front)."""
        loop = current_loop()
        if loop is None:
            raise RuntimeError("Signal.wait is for requests running in the front")
        done = loop.create_future()
        self._waiting.append((loop, done))
        _suspend(loop, done, timeout)

    def notify(self) -> None:
        while self._waiting:
            loop, done = self._waiting.popleft()
            if done.done():  # timed out already
                continue
            if _running_loop() is loop:
                _settle(done, True)
            else:
                loop.call_soon_threadsafe(_settle, done, True)
            return


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
