"""The pids cgroup caps a tree's tasks where the host allows one; elsewhere the watchdog alone counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.execute.pidcap import TASKS_PER_PROCESS, PidCap

FORKER = """
import os, time
forked = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            os.close(1), os.close(2)  # so that the parent's pipe closes when the parent exits
            time.sleep(60)
            os._exit(0)
        forked += 1
except OSError as exc:
    print(forked, type(exc).__name__, flush=True)
"""


@pytest.fixture
def cap() -> PidCap:
    made = PidCap.create(max_processes=2)
    if made is None:
        pytest.skip("no pids cgroup can be created here (not root, or no pids controller)")
    yield made
    made.remove()


def test_forks_beyond_the_cap_fail_and_removal_kills_the_rest(cap: PidCap) -> None:
    assert cap.max_tasks == 2 * TASKS_PER_PROCESS
    out = subprocess.run(
        [sys.executable, "-c", FORKER], preexec_fn=cap.join, capture_output=True, text=True, timeout=60
    ).stdout.split()
    assert out[1] == "BlockingIOError" and int(out[0]) < cap.max_tasks
    assert cap.tasks() == int(out[0]), "the sleeping children stay in the cgroup after their parent exits"
    cap.remove()
    assert not cap.path.exists()


def test_no_cgroup_root_means_no_cap(tmp_path: Path) -> None:
    assert PidCap.create(4, roots=(tmp_path / "absent",)) is None
