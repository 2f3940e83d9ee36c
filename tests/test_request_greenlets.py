"""The front's request greenlets: parked between requests and reused, each request in a fresh
context, never more parked than the pool holds, waits handing the loop back as before.
"""

from __future__ import annotations

import asyncio
import contextvars

import greenlet

from defkg.waiting import RequestGreenlets, _suspend, current_loop

SEEN_BY_REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")


def test_a_finished_request_greenlet_is_reused_in_a_fresh_context() -> None:
    loop = asyncio.new_event_loop()
    try:
        pool = RequestGreenlets(loop, max_idle=4)
        # the greenlets themselves, not their ids: an id may be reused once its greenlet ends
        runs: list[tuple[greenlet.greenlet, str, object]] = []

        def answer(number: int) -> None:
            runs.append((greenlet.getcurrent(), SEEN_BY_REQUEST.get(), current_loop()))
            SEEN_BY_REQUEST.set(f"request {number}")

        pool.start(answer, 1)
        pool.start(answer, 2)
        assert pool.idle == 1
        first, second = runs
        assert first[0] is second[0], "the parked greenlet was not reused"
        assert first[1] == second[1] == "unset", "a request saw what the one before it set"
        assert first[2] is loop and second[2] is loop
    finally:
        loop.close()


def test_requests_waiting_at_once_each_hold_a_greenlet_and_at_most_max_idle_are_kept() -> None:
    loop = asyncio.new_event_loop()
    try:
        pool = RequestGreenlets(loop, max_idle=3)
        futures = [loop.create_future() for _ in range(5)]
        answers: list[object] = []
        # held, so that no greenlet ends and lends its id to a new one
        greenlets: list[greenlet.greenlet] = []

        def answer(index: int) -> None:
            if not any(g is greenlet.getcurrent() for g in greenlets):
                greenlets.append(greenlet.getcurrent())
            answers.append(_suspend(loop, futures[index], None))  # the front's own wait

        for index in range(5):
            pool.start(answer, index)
        assert answers == [] and pool.idle == 0 and len(greenlets) == 5
        for index, future in enumerate(futures):
            loop.call_soon(future.set_result, index)
        loop.run_until_complete(asyncio.sleep(0.01))
        assert sorted(answers) == [0, 1, 2, 3, 4]  # type: ignore[type-var]
        assert pool.idle == 3, "the pool kept more greenlets than it may"
        pool.start(answer, 0)
        loop.run_until_complete(asyncio.sleep(0.01))
        assert answers[-1] == 0 and len(answers) == 6
        assert len(greenlets) == 5, "a new greenlet was made while parked ones were idle"
    finally:
        loop.close()
