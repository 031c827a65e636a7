"""Process-count, memory and disk limits for a kernel's process tree, enforced from outside by polling.

We run as root, for whom Linux ignores RLIMIT_NPROC, and CUDA needs more address space than any sensible
RLIMIT_AS: so a thread watches the tree and kills all of it when it grows past the limits, saying why.
RLIMIT_FSIZE caps one file, not how many: the watchdog also sums what the run wrote to its work folder.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil

from grader.execute.pidcap import PidCap

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
    forked data-loader workers sharing their parent's pages are not counted twice. ``disk_dir`` is the run's
    writable folder: what it holds beyond its size at the start counts against ``max_disk_mb``.
    """

    def __init__(
        self,
        root_pid: int,
        *,
        memory_mb: int,
        max_processes: int,
        helpers: int = 0,
        interval_s: float = 0.5,
        pid_cap: PidCap | None = None,
        disk_dir: Path | None = None,
        max_disk_mb: int | None = None,
    ) -> None:
        self.pid_cap = pid_cap
        self.disk_dir = disk_dir
        self.max_disk_mb = max_disk_mb
        self._disk_baseline = disk_usage(disk_dir) if disk_dir is not None else 0
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
                if not tree:
                    return
                breach = self._check(tree)
            if breach is None:
                breach = self._disk_check()
            if breach is not None:
                self.breach = breach
                self.kill_tree()
                return

    def _cgroup_check(self) -> Breach | None:
        """Count from the pids cgroup first: one read, where walking a fork bomb's tree takes seconds."""
        if self.pid_cap is None:
            return None
        return self._count_check(len(self.pid_cap.processes()) - self.helpers)

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

    def _disk_check(self) -> Breach | None:
        if self.disk_dir is None or self.max_disk_mb is None:
            return None
        written_mb = (disk_usage(self.disk_dir) - self._disk_baseline) / MIB
        self.peak_disk_mb = max(self.peak_disk_mb, written_mb)
        if written_mb > self.max_disk_mb:
            return Breach(
                "disk-quota", f"too much written to disk: {written_mb:.0f} MB > {self.max_disk_mb} MB"
            )
        return None

    def kill_tree(self) -> None:
        """SIGKILL every process of the tree (the whole cgroup, when there is one), including any seen earlier
        that a double fork detached."""
        if self.pid_cap is not None:
            self.pid_cap.kill()
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
