"""Run a plain command, not a kernel, in the sandbox under the same limits and cgroup caps as a kernel.

The grader uses it to start a fresh process that rebuilds the student's model from its exported state and
predicts the validation and test images, away from whatever the notebook left in its kernel. The command's
whole tree is killed on a timeout or a breach, and its output is read in threads, kept only up to a cap, so
that neither a flood of output nor a full pipe can stall the grader.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from grader.execute.cgroups import KernelCaps
from grader.execute.sandbox import (
    SandboxSpec,
    limits_preexec,
    memory_limit_mb,
    sandbox_launch,
)
from grader.execute.watchdog import Breach, Watchdog

MAX_STDOUT_BYTES = 64 * 1024 * 1024
STDERR_TAIL_BYTES = 8000
BWRAP_HELPERS = 2  # bwrap's monitor and the pid namespace's init sit above the command
READ_CHUNK = 64 * 1024
DRAIN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxedResult:
    """What one sandboxed command did. bwrap reports a command killed by signal N as ``128 + N``; ``-9`` means
    bwrap itself was killed, on a timeout or a breach."""

    returncode: int | None
    stdout: bytes
    stdout_truncated: bool
    stderr_tail: str
    timed_out: bool
    breach: Breach | None
    notes: list[str] = field(default_factory=list)


class _Reader:
    """Reads a pipe to its end in a thread, keeping its first (or last) ``limit`` bytes."""

    def __init__(self, stream: t.IO[bytes], limit: int, *, tail: bool = False) -> None:
        self.data = bytearray()
        self.dropped = 0
        self._limit, self._tail = limit, tail
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: t.IO[bytes]) -> None:
        with stream:
            while chunk := stream.read1(READ_CHUNK):  # type: ignore[attr-defined]
                self.data += chunk
                excess = len(self.data) - self._limit
                if excess > 0:
                    self.dropped += excess
                    del self.data[slice(0, excess) if self._tail else slice(self._limit, None)]

    def join(self) -> None:
        self._thread.join(DRAIN_TIMEOUT_S)


def _feed(stream: t.IO[bytes], data: bytes | t.Callable[[], bytes], fed: threading.Event) -> None:
    with contextlib.suppress(OSError), stream:  # the command may exit without reading it all
        payload = data() if callable(data) else data
        fed.set()
        stream.write(payload)


def run_sandboxed(
    spec: SandboxSpec,
    command: list[str],
    *,
    timeout_s: float,
    pass_fds: tuple[int, ...] = (),
    stdin: bytes | t.Callable[[], bytes] | None = None,
    max_stdout_bytes: int = MAX_STDOUT_BYTES,
    wait_limit_s: float = 0.0,
) -> SandboxedResult:
    """Run ``command`` in the sandbox of ``spec`` with ``SANDBOX_WORK_DIR`` as its cwd, feeding it ``stdin``.

    ``stdin`` may be a callable that blocks until the input exists: the command starts (and loads what it
    needs) meanwhile, and ``timeout_s`` counts from the moment the input is there, which may take up to
    ``wait_limit_s``. ``pass_fds`` are fds the command inherits at the same numbers. Past the time limits, or
    on a breach of the spec's limits, the whole tree (the cgroups, where there are any) is killed.
    """
    caps = KernelCaps.create(spec.max_processes, memory_limit_mb(spec))
    apply_limits = limits_preexec(spec)

    def preexec() -> None:
        if apply_limits is not None:
            apply_limits()
        caps.join()

    launch = sandbox_launch(spec, command, pass_fds)
    try:
        process = subprocess.Popen(
            launch.argv,
            pass_fds=launch.pass_fds,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=launch.env,
            cwd=Path(spec.work_dir).resolve(),
            preexec_fn=preexec,
        )
    except BaseException:
        caps.remove()
        raise
    finally:
        launch.close()
    folders = [Path(spec.work_dir)] + ([Path(spec.runtime_dir)] if spec.runtime_dir is not None else [])
    watchdog = Watchdog(
        process.pid,
        memory_mb=spec.memory_mb,
        max_processes=spec.max_processes,
        helpers=BWRAP_HELPERS,
        caps=caps,
        disk_dirs=folders,
        max_disk_mb=spec.max_disk_mb,
    ).start()
    try:
        assert process.stdout is not None and process.stderr is not None
        out = _Reader(process.stdout, max_stdout_bytes)
        err = _Reader(process.stderr, STDERR_TAIL_BYTES, tail=True)
        fed = threading.Event()
        if stdin is not None and process.stdin is not None:
            threading.Thread(target=_feed, args=(process.stdin, stdin, fed), daemon=True).start()
        else:
            fed.set()
        try:
            if not fed.wait(wait_limit_s) and process.poll() is None:
                raise subprocess.TimeoutExpired(command, wait_limit_s)
            process.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            watchdog.kill_tree()
        process.wait()
        out.join()
        err.join()
    finally:
        watchdog.stop()
        watchdog.kill_tree()
        caps.remove()
    return SandboxedResult(
        returncode=process.returncode,
        stdout=bytes(out.data),
        stdout_truncated=out.dropped > 0,
        stderr_tail=err.data.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        breach=watchdog.breach,
        notes=caps.missing(),
    )
