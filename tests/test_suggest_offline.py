"""`defkg suggest` is rule-based and offline: run on the real project in a fresh interpreter
where every network connection fails, it still finds the seed's figures and known entities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Makes any attempt to open a network connection fail loudly, then runs the real CLI.
OFFLINE_CLI = """
import socket, sys

def refuse(*args, **kwargs):
    raise OSError("network access attempted by defkg suggest")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from defkg.cli import main
main()
"""


def test_suggest_runs_with_no_network() -> None:
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_CLI, "suggest", "kz-mod-2023-12-27", "--root", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "network access attempted" not in done.stdout + done.stderr
    # the figures of shared/competency-questions.md and an entity of the graph, as the
    # connected run reports them (tests/test_suggest.py)
    assert '"over 500 military personnel" → value 500, bound defkg:moreThan' in done.stdout
    assert "kg:kazakhstan  owl:sameAs wd:Q232" in done.stdout
