"""The pids cgroup caps a tree's tasks where the host allows one; elsewhere the watchdog alone counts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.execute.pidcap import STALE_AFTER_S, TASKS_PER_PROCESS, PidCap, sweep_stale
from grader.execute.watchdog import Watchdog

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
    assert len(cap.processes()) == int(out[0]), (
        "the sleeping children stay in the cgroup after their parent exits"
    )
    cap.remove()
    assert not cap.path.exists()


def test_no_cgroup_root_means_no_cap(tmp_path: Path) -> None:
    assert PidCap.create(4, roots=(tmp_path / "absent",)) is None


def test_the_watchdog_counts_from_the_cgroup_and_kills_it_whole(cap: PidCap) -> None:
    sleepers = "import os, time\nfor _ in range(20):\n    os.fork() or time.sleep(60)\ntime.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", sleepers], preexec_fn=cap.join)
    watchdog = Watchdog(parent.pid, memory_mb=4096, max_processes=8, interval_s=0.1, pid_cap=cap).start()
    parent.wait(timeout=30)
    watchdog.stop()
    assert watchdog.breach is not None and watchdog.breach.kind == "too-many-processes"
    assert watchdog.breach.message.startswith("too many processes: ")
    cap.remove()
    assert not cap.path.exists()


def test_only_old_empty_cgroups_are_swept(cap: PidCap) -> None:
    """A killed worker's empty cgroup goes; a fresh one not yet joined and an old one still in use stay."""
    old = time.time() - 2 * STALE_AFTER_S
    abandoned, in_use = PidCap.create(max_processes=1), PidCap.create(max_processes=1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=in_use.join)
    try:
        for made in (abandoned, in_use):
            os.utime(made.path, (old, old))
        assert sweep_stale(cap.path.parent) == [abandoned.path]
        assert cap.path.is_dir() and in_use.path.is_dir() and not abandoned.path.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
        in_use.remove()
