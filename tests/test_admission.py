"""The admission limit shared by several web processes (``defkg.store.executor.SharedAdmission``).

Real processes and real locks: the tickets of one process count against another's, and the
kernel gives back the tickets of a process that dies holding them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest

from defkg.store.executor import LocalAdmission, SharedAdmission


@pytest.fixture
def admission_fd() -> Iterator[int]:
    fd, name = tempfile.mkstemp(prefix="defkg-admission-test-")
    os.unlink(name)  # as serve() does: only the open descriptor keeps the file
    yield fd
    os.close(fd)


def test_tickets_are_limited_and_come_back(admission_fd: int) -> None:
    # Two instances stand for two web processes: they lock the same file.
    first, second = SharedAdmission(admission_fd, 3), SharedAdmission(admission_fd, 3)
    tickets = [first.acquire(), second.acquire(), first.acquire()]
    assert None not in tickets
    assert first.acquire() is None and second.acquire() is None
    second.release(tickets[0])
    again = second.acquire()
    assert again is not None
    assert first.acquire() is None
    for ticket in (again, *tickets[1:]):
        first.release(ticket)
    assert [first.acquire() for _ in range(4)].count(None) == 1


def test_a_dead_process_gives_its_tickets_back(admission_fd: int) -> None:
    admission = SharedAdmission(admission_fd, 2)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from defkg.store.executor import SharedAdmission\n"
            f"a = SharedAdmission({admission_fd}, 2)\n"
            "held = [a.acquire(), a.acquire()]\n"
            "print('held' if None not in held else 'refused', flush=True)\n"
            "time.sleep(60)\n",
        ],
        pass_fds=(admission_fd,),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert admission.acquire() is None  # both tickets are the other process's
        holder.kill()  # no chance to release anything
        holder.wait(10)
        deadline = time.monotonic() + 5
        ticket = admission.acquire()
        while ticket is None and time.monotonic() < deadline:
            time.sleep(0.05)
            ticket = admission.acquire()
        assert ticket is not None
        assert admission.acquire() is not None
    finally:
        holder.kill()
        holder.wait(10)


def test_local_admission_counts_within_the_process() -> None:
    admission = LocalAdmission(2)
    tickets = [admission.acquire(), admission.acquire()]
    assert None not in tickets and admission.acquire() is None
    admission.release(tickets[0])
    assert admission.acquire() is not None


def test_a_process_holding_one_ticket_at_a_time_is_never_refused(admission_fd: int) -> None:
    # As many processes as tickets, each taking one ticket and giving it back as fast as it
    # can (as the benchmark's 8 clients do against a limit of 8): at every instant a ticket
    # is free for each of them, so none may ever be refused. A scan of the slots that others
    # take and free while it looks can miss the free one: that was a 503 to a full-speed load.
    processes = 4
    script = (
        "import sys, time\n"
        "from defkg.store.executor import SharedAdmission\n"
        f"a = SharedAdmission({admission_fd}, {processes})\n"
        "refused, stop = 0, time.monotonic() + 3\n"
        "while time.monotonic() < stop:\n"
        "    ticket = a.acquire()\n"
        "    if ticket is None:\n"
        "        refused += 1\n"
        "    else:\n"
        "        a.release(ticket)\n"
        "print(refused)\n"
    )
    runners = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            pass_fds=(admission_fd,),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    refusals = [int(runner.communicate(timeout=60)[0]) for runner in runners]
    assert refusals == [0] * processes
