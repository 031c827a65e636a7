"""The watchdog kills a whole process tree that grows past its process, memory or disk limit, and says why."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

from grader.execute.watchdog import Watchdog
from tests.polling import poll_until

FORKER = """
import os, time
for _ in range(12):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"""
HOG = "import time; block = bytearray(400 * 1024 * 1024); time.sleep(60)"
MIB = 1024 * 1024


def writer(folder: Path, megabytes: int, then_sleep_s: float = 60) -> str:
    """Code that writes MEGABYTES one-MiB files into FOLDER, then sleeps."""
    return f"""
import time
for i in range({megabytes}):
    with open({str(folder / "out")!r} + str(i), "wb") as handle:
        handle.write(b"x" * {MIB})
time.sleep({then_sleep_s})
"""


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def watch(code: str, **limits: object) -> tuple[Watchdog, subprocess.Popen[bytes], list[psutil.Process]]:
    process = subprocess.Popen([sys.executable, "-c", code])
    watchdog = Watchdog(process.pid, interval_s=0.05, **limits).start()  # type: ignore[arg-type]
    deadline = time.monotonic() + 20
    tree: list[psutil.Process] = []
    while watchdog.breach is None and time.monotonic() < deadline:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        time.sleep(0.05)
    process.wait(timeout=10)
    watchdog.stop()
    return watchdog, process, tree


def test_too_many_processes_kills_the_tree() -> None:
    watchdog, process, tree = watch(FORKER, memory_mb=10_000, max_processes=5)
    assert watchdog.breach is not None and watchdog.breach.kind == "too-many-processes"
    assert watchdog.breach.message.startswith("too many processes: ") and watchdog.breach.message.endswith(
        "> 5"
    )
    assert process.returncode == -9
    poll_until(lambda: not any(alive(p) for p in tree), timeout_s=10, what="every process of the tree to die")


def test_memory_over_the_limit_is_out_of_memory() -> None:
    watchdog, process, _ = watch(HOG, memory_mb=200, max_processes=10)
    assert watchdog.breach is not None and watchdog.breach.kind == "out-of-memory"
    assert watchdog.breach.message.endswith("> 200 MB")
    assert process.returncode == -9


def test_a_tree_within_its_limits_is_left_alone() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.6)"])
    watchdog = Watchdog(process.pid, memory_mb=1000, max_processes=5, interval_s=0.05).start()
    assert process.wait(timeout=10) == 0
    watchdog.stop()
    assert watchdog.breach is None and watchdog.peak_processes == 1 and watchdog.peak_memory_mb > 1


def test_writing_past_the_disk_limit_stops_the_tree(tmp_path: Path) -> None:
    watchdog, process, _ = watch(
        writer(tmp_path, 40), memory_mb=10_000, max_processes=5, disk_dirs=[tmp_path], max_disk_mb=8
    )
    assert watchdog.breach is not None and watchdog.breach.kind == "disk-quota"
    assert watchdog.breach.message.startswith("too much written to disk: ")
    assert watchdog.breach.message.endswith("> 8 MB")
    assert process.returncode == -9


def test_only_what_the_run_writes_counts_against_the_disk_limit(tmp_path: Path) -> None:
    """The submission's own files were there before the run: 20 MB of them do not count against 8 MB."""
    (tmp_path / "checkpoint.pt").write_bytes(b"x" * 20 * MIB)
    process = subprocess.Popen([sys.executable, "-c", writer(tmp_path, 3, then_sleep_s=2)])
    watchdog = Watchdog(
        process.pid, memory_mb=1000, max_processes=5, interval_s=0.05, disk_dirs=[tmp_path], max_disk_mb=8
    ).start()
    assert process.wait(timeout=20) == 0
    watchdog.stop()
    assert watchdog.breach is None and 2 < watchdog.peak_disk_mb < 8


def test_what_lands_in_any_watched_folder_counts(tmp_path: Path) -> None:
    """The kernel's runtime folder is on host disk too: 6 MB there and 6 MB in the work dir pass 8 MB."""
    work, runtime = tmp_path / "work", tmp_path / "runtime"
    work.mkdir(), runtime.mkdir()
    code = writer(work, 6, then_sleep_s=0) + writer(runtime, 6)
    watchdog, process, _ = watch(
        code, memory_mb=10_000, max_processes=5, disk_dirs=[work, runtime], max_disk_mb=8
    )
    assert watchdog.breach is not None and watchdog.breach.kind == "disk-quota"
    assert process.returncode == -9


def test_a_recount_sees_processes_started_since_the_last_poll() -> None:
    """A slow fork bomb can grow between two polls; the count taken when its cell times out names it."""
    process = subprocess.Popen([sys.executable, "-c", FORKER])
    watchdog = Watchdog(process.pid, memory_mb=10_000, max_processes=100, interval_s=3600).start()
    try:
        poll_until(
            lambda: len(psutil.Process(process.pid).children()) == 12, timeout_s=20, what="12 children"
        )
        assert watchdog.peak_processes == 0, "no poll has run yet"
        assert watchdog.recount() == 13 and watchdog.peak_processes == 13
    finally:
        watchdog.kill_tree()
        process.wait(timeout=10)
        watchdog.stop()
