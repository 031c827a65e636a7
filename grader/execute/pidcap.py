"""A hard cap on the number of tasks (processes and threads) of one kernel, from the kernel's pids cgroup.

The watchdog polls the process tree twice a second; a fork bomb doubles far faster than that and can take
every pid of the host before the first poll. RLIMIT_NPROC cannot help: it never applies to uid 0, and graders
often run as root in containers. A pids cgroup (v1 ``/sys/fs/cgroup/pids`` or a delegated v2 hierarchy) makes
``fork`` fail inside the tree once the cap is reached; the watchdog then ends the run with a clear verdict.
Where no cgroup can be created (an unprivileged TA laptop) the watchdog alone applies, and the report says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
# torch keeps a pool of threads per process and each counts as a task, so the cap is per process of the rubric
TASKS_PER_PROCESS = 16
# An empty cgroup this old lost its grader (a batch worker killed before its cleanup); a new one is joined
# within seconds of its creation, so sweeping only old empty ones never takes a live kernel's cgroup.
STALE_AFTER_S = 600


class PidCap:
    """One cgroup for one kernel: created before launch, joined by the launched process, removed after."""

    def __init__(self, path: Path, max_tasks: int) -> None:
        self.path = path
        self.max_tasks = max_tasks

    @classmethod
    def create(cls, max_processes: int, roots: tuple[Path, ...] = CGROUP_ROOTS) -> PidCap | None:
        """A new capped cgroup under the first root that allows it, or None where none does."""
        max_tasks = max_processes * TASKS_PER_PROCESS
        for root in roots:
            sweep_stale(root)
            path = root / f"grader-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(max_tasks))  # absent where pids is not enabled here
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path, max_tasks)
        return None

    def join(self) -> None:
        """Move the calling process into the cgroup; its children follow. Runs in the launched child."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def processes(self) -> list[int]:
        """The pids in the cgroup: one read, where walking a fork bomb's tree with psutil takes seconds."""
        return [int(p) for p in _read(self.path / "cgroup.procs").split() if p.isdigit()]

    def kill(self) -> None:
        for pid in self.processes():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        """Kill whatever is left in the cgroup (a double-forked escapee) and delete it once it is empty."""
        for _ in range(100):
            self.kill()
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # busy until the killed tasks are reaped
                time.sleep(0.05)


def sweep_stale(root: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete the empty ``grader-*`` cgroups under ROOT left by killed graders; return what was deleted."""
    swept = []
    for path in root.glob("grader-*"):
        try:
            stale = time.time() - path.stat().st_mtime > older_than_s
        except OSError:
            continue
        if stale and not _read(path / "cgroup.procs").strip():
            with contextlib.suppress(OSError):  # busy again, or another grader swept it first
                path.rmdir()
                swept.append(path)
    return swept


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
