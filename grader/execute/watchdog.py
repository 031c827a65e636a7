"""Process-count, memory and disk limits for a kernel's process tree, enforced from outside by polling.

We run as root, for whom Linux ignores RLIMIT_NPROC, and CUDA needs more address space than any sensible
RLIMIT_AS: so a thread watches the tree and kills all of it when it grows past the limits, saying why.
RLIMIT_FSIZE caps one file, not how many: the watchdog also sums what the run wrote to its host folders (the
work folder and the kernel's runtime folder). Where the kernel has cgroups, it counts tasks from the pids
cgroup and reports the memory cgroup's OOM kills, which also stop what fills the sandbox's tmpfs mounts.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from grader.execute.cgroups import KernelCaps

MIB = 1024 * 1024


@dataclass(frozen=True)
class Breach:
    """Why the tree was killed: ``kind`` is the report status, ``message`` the sentence shown to people."""

    kind: str
    message: str


class Watchdog:
    """Poll the tree under ``root_pid``; on a breach kill it whole and keep the :class:`Breach`.

    ``helpers`` is how many of the tree's topmost processes belong to the launcher rather than the student
    (bwrap's monitor and the pid namespace's init), so that ``max_processes`` counts the student's alone.
    Resident memory is summed per process, then confirmed as proportional set size before killing, so that
    forked data-loader workers sharing their parent's pages are not counted twice. ``disk_dirs`` are the
    run's writable host folders: what they hold beyond their size at the start counts against ``max_disk_mb``.
    """

    def __init__(
        self,
        root_pid: int,
        *,
        memory_mb: int,
        max_processes: int,
        helpers: int = 0,
        interval_s: float = 0.5,
        caps: KernelCaps | None = None,
        disk_dirs: Sequence[Path] = (),
        max_disk_mb: int | None = None,
    ) -> None:
        self.caps = caps
        self.disk_dirs = tuple(disk_dirs)
        self.max_disk_mb = max_disk_mb
        self._disk_baseline = self._disk_used()
        self.peak_disk_mb = 0.0
        self.memory_mb = memory_mb
        self.max_processes = max_processes
        self.helpers = helpers
        self.interval_s = interval_s
        self.breach: Breach | None = None
        self.peak_memory_mb = 0.0
        self.peak_processes = 0
        self._seen: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"watchdog-{root_pid}", daemon=True)
        try:
            self._root: psutil.Process | None = psutil.Process(root_pid)
        except psutil.Error:
            self._root = None

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self.breach is None:  # an OOM kill may have ended the tree between two polls
            self.breach = self._oom_check()

    def _tree(self) -> list[psutil.Process]:
        if self._root is None:
            return []
        try:
            tree = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []
        for process in tree:
            self._seen.setdefault(process.pid, process)
        return tree

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            breach = self._cgroup_check()
            if breach is None:
                tree = self._tree()
                if not tree and not self._root_alive():  # an OOM kill may have ended the tree
                    self.breach = self._oom_check()
                    return
                breach = self._check(tree)
            if breach is None:
                breach = self._disk_check()
            if breach is not None:
                self.breach = breach
                self.kill_tree()
                return

    def _root_alive(self) -> bool:
        """False once the kernel is gone; a walk of a fork bomb's tree can fail while it is still there."""
        try:
            return self._root is not None and self._root.is_running()
        except psutil.Error:
            return False

    def recount(self) -> int:
        """The processes running now, kept in the peak: a bomb that forks slowly can outgrow the last poll
        before its cell times out, and the verdict should name the crowd."""
        count = self._cgroup_count()
        if count is None:
            count = len(self._tree()) - self.helpers
        self.peak_processes = max(self.peak_processes, count)
        return count

    def _cgroup_count(self) -> int | None:
        """The student's processes in the pids cgroup (one read), or None without one."""
        if self.caps is None or self.caps.pids is None:
            return None
        return len(self.caps.pids.processes()) - self.helpers

    def _cgroup_check(self) -> Breach | None:
        """Look at the cgroups first: tasks are counted from the pids cgroup in one read, where walking a fork
        bomb's tree takes seconds."""
        breach = self._oom_check()
        count = None if breach is not None else self._cgroup_count()
        return breach if count is None else self._count_check(count)

    def _oom_check(self) -> Breach | None:
        memory = None if self.caps is None else self.caps.memory
        if memory is None or memory.oom_kills() == 0:
            return None
        return Breach(
            "out-of-memory",
            f"out of memory: the kernel's memory cgroup reached its {memory.limit_mb} MB limit "
            f"({self.memory_mb} MB of memory plus what the tmpfs folders may hold), and Linux killed it",
        )

    def _count_check(self, count: int) -> Breach | None:
        self.peak_processes = max(self.peak_processes, count)
        if count > self.max_processes:
            return Breach("too-many-processes", f"too many processes: {count} > {self.max_processes}")
        return None

    def _check(self, tree: list[psutil.Process]) -> Breach | None:
        breach = self._count_check(len(tree) - self.helpers)
        if breach is not None:
            return breach
        rss = _sum_memory(tree, "rss")
        if rss <= self.memory_mb * MIB:
            self.peak_memory_mb = max(self.peak_memory_mb, rss / MIB)
            return None
        pss = _sum_memory(tree, "pss")
        self.peak_memory_mb = max(self.peak_memory_mb, pss / MIB)
        if pss > self.memory_mb * MIB:
            return Breach("out-of-memory", f"out of memory: {pss / MIB:.0f} MB > {self.memory_mb} MB")
        return None

    def _disk_used(self) -> int:
        return sum(disk_usage(folder) for folder in self.disk_dirs)

    def _disk_check(self) -> Breach | None:
        if not self.disk_dirs or self.max_disk_mb is None:
            return None
        written_mb = (self._disk_used() - self._disk_baseline) / MIB
        self.peak_disk_mb = max(self.peak_disk_mb, written_mb)
        if written_mb > self.max_disk_mb:
            return Breach(
                "disk-quota", f"too much written to disk: {written_mb:.0f} MB > {self.max_disk_mb} MB"
            )
        return None

    def kill_tree(self) -> None:
        """SIGKILL every process of the tree (the whole cgroup, when there is one), including any seen earlier
        that a double fork detached."""
        if self.caps is not None:
            self.caps.kill()
        for process in [*self._tree(), *self._seen.values()]:
            with contextlib.suppress(psutil.Error):
                process.kill()  # psutil checks the process is still the one it saw (no pid reuse)


def _sum_memory(tree: list[psutil.Process], field: str) -> int:
    total = 0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            info = process.memory_full_info() if field == "pss" else process.memory_info()
            total += getattr(info, field)
    return total


def disk_usage(folder: Path) -> int:
    """Bytes the files under FOLDER occupy on disk (a sparse file counts what it really holds); links are not
    followed."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total
