"""A plain command in the sandbox returns its capped output, and its whole tree dies on a timeout."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from grader.execute.oneshot import run_sandboxed
from tests.execute.helpers import make_spec
from tests.polling import poll_until

pytestmark = pytest.mark.usefixtures("needs_sandbox")

# A daemon in a session of its own, which outlives its parent; the parent sleeps on
ORPHAN = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(120)
"""


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def sleepers() -> list[psutil.Process]:
    """The processes that run ORPHAN's sleeping daemon, whoever started them."""
    return [
        p
        for p in psutil.process_iter(["cmdline"])
        if p.info["cmdline"] and "time.sleep(120)" in " ".join(p.info["cmdline"])
    ]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_stdout_comes_back_and_stdin_goes_in(work_dir: Path) -> None:
    code = "import os, sys; data = sys.stdin.read(); print(os.getuid(), os.getcwd(), data)"
    result = run_sandboxed(make_spec(work_dir, None), python(code), timeout_s=30, stdin=b"the images")
    assert result.returncode == 0 and not result.timed_out and result.breach is None
    assert result.stdout == b"1000 /home/student/work the images\n" and not result.stdout_truncated


def test_a_flood_of_output_is_capped_and_does_not_block(work_dir: Path) -> None:
    code = "import sys; sys.stdout.write('x' * 20_000_000); sys.stderr.write('e' * 100_000 + 'END')"
    result = run_sandboxed(make_spec(work_dir, None), python(code), timeout_s=30, max_stdout_bytes=1000)
    assert result.returncode == 0 and result.stdout == b"x" * 1000 and result.stdout_truncated
    assert result.stderr_tail.endswith("END") and len(result.stderr_tail) < 10_000


def test_the_timeout_kills_the_whole_tree(work_dir: Path) -> None:
    start = time.monotonic()
    result = run_sandboxed(make_spec(work_dir, None), python(ORPHAN), timeout_s=3)
    assert result.timed_out and result.returncode is not None and result.returncode < 0
    assert time.monotonic() - start < 15
    assert result.stdout.strip().isdigit(), "the daemon had started"
    poll_until(
        lambda: not any(alive(p) for p in sleepers()), timeout_s=10, what="every sandboxed process to die"
    )


def test_a_passed_fd_reaches_the_command(work_dir: Path) -> None:
    read, write = os.pipe()
    try:
        code = f"import os; os.write({write}, b'predictions')"
        result = run_sandboxed(make_spec(work_dir, None), python(code), timeout_s=30, pass_fds=(write,))
        os.close(write)
        assert result.returncode == 0, result.stderr_tail
        assert os.read(read, 100) == b"predictions"
    finally:
        os.close(read)


def test_a_memory_hog_is_a_breach(work_dir: Path) -> None:
    code = "import time; block = bytearray(b'x') * (600 * 1024 * 1024); time.sleep(30)"
    result = run_sandboxed(
        make_spec(work_dir, None, memory_mb=200, max_disk_mb=16), python(code), timeout_s=30
    )
    assert result.breach is not None and result.breach.kind == "out-of-memory"
    assert not result.timed_out and result.returncode != 0


def test_input_that_comes_later_starts_the_clock_only_when_it_comes(work_dir: Path) -> None:
    """The fresh process starts as the notebook runs and waits for its program: the wait is not its time."""
    code = (
        "import sys, time; started = time.time(); data = sys.stdin.read(); print(data, time.time() - started)"
    )

    def later() -> bytes:
        time.sleep(3)
        return b"the program"

    result = run_sandboxed(make_spec(work_dir, None), python(code), timeout_s=2, stdin=later, wait_limit_s=30)
    assert not result.timed_out and result.returncode == 0, result.stderr_tail
    *_, word, waited = result.stdout.decode().split()
    assert word == "program" and float(waited) >= 2.5


def test_input_that_never_comes_ends_in_a_timeout(work_dir: Path) -> None:
    never = threading.Event()
    result = run_sandboxed(
        make_spec(work_dir, None),
        python("import sys; sys.stdin.read()"),
        timeout_s=30,
        stdin=lambda: never.wait(60) and b"",
        wait_limit_s=1,
    )
    never.set()
    assert result.timed_out
