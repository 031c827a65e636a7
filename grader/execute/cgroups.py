"""Hard caps from cgroups on one kernel's tree: the number of its tasks, and its memory with tmpfs pages.

The watchdog polls the process tree twice a second; a fork bomb doubles far faster than that and can take
every pid of the host before the first poll. RLIMIT_NPROC cannot help: it never applies to uid 0, and graders
often run as root in containers. A pids cgroup makes ``fork`` fail inside the tree once the cap is reached.
Pages of a tmpfs (/tmp, $HOME, /dev/shm in the sandbox) belong to no process, so no resident size shows them;
the memory cgroup of the writer is charged for them, and its limit makes the kernel OOM-kill the tree.
Where no cgroup can be created (an unprivileged TA laptop) the watchdog alone applies, and the report says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CGROUP_MOUNT = Path("/sys/fs/cgroup")
PREFIX = "grader-"
# torch keeps a pool of threads per process and each counts as a task, so the cap is per process of the rubric
TASKS_PER_PROCESS = 16
# An empty cgroup this old lost its grader (a batch worker killed before its cleanup); a new one is joined
# within seconds of its creation, so sweeping only old empty ones never takes a live kernel's cgroup.
STALE_AFTER_S = 600
MIB = 1024 * 1024
# a Slurm job's cgroup: v1 ``/slurm_node0/uid_0/job_7/...``, v2 ``/system.slice/slurmstepd.scope/job_7/...``
_SLURM_CGROUP = re.compile(r"slurm[^:\n]*/job_\d+")


class Cgroup:
    """One cgroup directory: created before launch, joined by the launched process, removed after."""

    def __init__(self, path: Path) -> None:
        self.path = path

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


class PidCap(Cgroup):
    """A pids cgroup whose ``pids.max`` makes ``fork`` fail beyond ``max_tasks``."""

    def __init__(self, path: Path, max_tasks: int) -> None:
        super().__init__(path)
        self.max_tasks = max_tasks

    @classmethod
    def create(cls, max_processes: int, roots: tuple[Path, ...] | None = None) -> PidCap | None:
        """A new capped cgroup under the first root that allows it, or None where none does."""
        max_tasks = max_processes * TASKS_PER_PROCESS
        made = _make(controller_roots("pids") if roots is None else roots, ("pids.max",), str(max_tasks))
        return None if made is None else cls(made[0], max_tasks)


class MemoryCap(Cgroup):
    """A memory cgroup (v1 ``memory.limit_in_bytes`` or v2 ``memory.max``) that counts tmpfs pages too."""

    def __init__(self, path: Path, limit_mb: int, version: int) -> None:
        super().__init__(path)
        self.limit_mb = limit_mb
        self.version = version

    @classmethod
    def create(cls, limit_mb: int, roots: tuple[Path, ...] | None = None) -> MemoryCap | None:
        roots = controller_roots("memory") if roots is None else roots
        made = _make(roots, ("memory.limit_in_bytes", "memory.max"), str(limit_mb * MIB))
        if made is None:
            return None
        path, limit_file = made
        return cls(path, limit_mb, 1 if limit_file == "memory.limit_in_bytes" else 2)

    def oom_kills(self) -> int:
        """How many tasks the kernel's OOM killer took in this cgroup since it was made."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in _read(self.path / name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def peak_mb(self) -> float:
        """The most memory the cgroup ever held, tmpfs and page cache included (0 where none is recorded)."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        text = _read(self.path / name).strip()
        return int(text) / MIB if text.isdigit() else 0.0


@dataclass
class KernelCaps:
    """The cgroups of one kernel, each None where the host allows none; the launched child joins them all."""

    pids: PidCap | None
    memory: MemoryCap | None

    @classmethod
    def create(cls, max_processes: int, memory_limit_mb: int) -> KernelCaps:
        return cls(PidCap.create(max_processes), MemoryCap.create(memory_limit_mb))

    def _groups(self) -> list[Cgroup]:
        return [group for group in (self.pids, self.memory) if group is not None]

    def join(self) -> None:
        for group in self._groups():
            group.join()

    def kill(self) -> None:
        for group in self._groups():
            group.kill()

    def remove(self) -> None:
        for group in self._groups():
            group.remove()

    def missing(self) -> list[str]:
        """Notes for the report on the caps this host did not allow, and what limits the run instead."""
        notes = []
        if self.pids is None:
            notes.append("no pids cgroup: only the watchdog's twice-a-second count limits processes")
        if self.memory is None:
            notes.append(
                "no memory cgroup: only the watchdog's twice-a-second look at resident memory limits memory; "
                "what is written to /tmp, $HOME and /dev/shm is capped in size but not counted as memory"
            )
        return notes


def controller_roots(
    controller: str,
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    mount: Path = CGROUP_MOUNT,
    environ: Mapping[str, str] = os.environ,
) -> tuple[Path, ...]:
    """Where a cgroup of CONTROLLER may go, best first: under the grader's own cgroup (so that the kernel
    stays within what the host allows the grader), then the root of the v1 hierarchy or of the v2 one.

    Inside a Slurm job only the job's own cgroup qualifies: a kernel at the root of the hierarchy would
    escape the job's memory and device limits, so where the job has no cgroup of CONTROLLER there is none.
    """
    v1 = mount / controller
    v2 = mount if (mount / "cgroup.controllers").exists() else None
    text = _read(proc_cgroup)
    roots: list[Path] = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, own = parts
        below = own.strip("/")
        if controller in controllers.split(","):
            roots.append(v1 / below)
        elif controllers == "" and v2 is not None:
            roots.append(v2 / below)
    if in_slurm_job(text, environ):
        return tuple(dict.fromkeys(root for root in roots if root not in (v1, v2)))
    roots += [v1] + ([v2] if v2 is not None else [])
    return tuple(dict.fromkeys(roots))


def in_slurm_job(proc_cgroup_text: str, environ: Mapping[str, str] = os.environ) -> bool:
    """True in a process Slurm started for a job: its variables, or a ``slurm.../job_N`` cgroup."""
    return "SLURM_JOB_ID" in environ or _SLURM_CGROUP.search(proc_cgroup_text) is not None


def _make(roots: tuple[Path, ...], limit_files: tuple[str, ...], value: str) -> tuple[Path, str] | None:
    """A new ``grader-*`` cgroup with its limit set, under the first root that allows it, and its limit file.

    The limit file must be there already: the kernel creates it where the controller is enabled, and a plain
    folder (a tmpfs mounted at /sys/fs/cgroup) has none, so writing it cannot pass for a cap.
    """
    for root in roots:
        sweep_stale(root)
        path = root / f"{PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
        except OSError:
            continue
        for name in limit_files:
            with contextlib.suppress(OSError):
                if (path / name).is_file():
                    (path / name).write_text(value)
                    return path, name
        with contextlib.suppress(OSError):
            path.rmdir()
    return None


def sweep_stale(root: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete the empty ``grader-*`` cgroups under ROOT left by killed graders; return what was deleted."""
    swept = []
    for path in root.glob(f"{PREFIX}*"):
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
