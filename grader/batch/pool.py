"""The worker pool of a batch: long-lived grading processes, each fed one submission at a time.

Each worker (``grader.batch.worker``) is fed by a thread of this process. A worker that crashes, is killed
or outlives the submission's time limit fails only that submission: its answer is an error with the reason,
and a fresh worker takes the next one. Each worker is pinned to one of the GPUs given, through
``CUDA_VISIBLE_DEVICES``, by the batch's ``GpuPlacer`` (at most ``per_gpu`` on each, the most free memory
first).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from grader.batch.gpus import GpuPlacer
from grader.batch.layouts import Submission
from grader.batch.worker import options_to_json
from grader.pipeline import GradeOptions

_CLOSE_TIMEOUT_S = 10.0
_POLL_S = 0.5


@dataclass
class Job:
    sub: Submission
    src: Path
    sha256: str
    started: float = 0.0


@dataclass
class _Shared:
    """What the feeding threads share with the main thread."""

    jobs: queue.Queue[Job]
    answers: queue.Queue[tuple[Job, dict[str, Any]]]
    grade_fn: str
    options: dict[str, Any]
    timeout_s: float
    log_dir: Path
    placer: GpuPlacer | None
    stop: threading.Event = field(default_factory=threading.Event)
    workers: list[_Worker] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class WorkerPool:
    """Grades JOBS in up to WORKERS processes; leaving the ``with`` block kills every worker still running,
    so an interrupted batch leaves no process behind."""

    def __init__(
        self,
        jobs: list[Job],
        options: GradeOptions,
        *,
        workers: int,
        placer: GpuPlacer | None,
        grade_fn: str,
        timeout_s: float,
        log_dir: Path,
    ) -> None:
        self._shared = _Shared(
            jobs=queue.Queue(),
            answers=queue.Queue(),
            grade_fn=grade_fn,
            options=options_to_json(options),
            timeout_s=timeout_s,
            log_dir=log_dir,
            placer=placer,
        )
        for job in jobs:
            self._shared.jobs.put(job)
        self._threads = [
            threading.Thread(
                target=_feed, args=(slot, self._shared), name=f"batch-worker-{slot}", daemon=True
            )
            for slot in range(min(workers, len(jobs), placer.capacity if placer else workers))
        ]
        self._pending = {job.sub.student_id: job for job in jobs}

    def __enter__(self) -> WorkerPool:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._shared.stop.set()
        with self._shared.lock:
            for worker in self._shared.workers:
                worker.kill()

    def answers(self) -> Iterator[tuple[Job, dict[str, Any]]]:
        """Each job with its worker's answer, as they come; ends early only if every feeding thread died."""
        while self._pending:
            try:
                job, answer = self._shared.answers.get(timeout=_POLL_S)
            except queue.Empty:
                if not any(thread.is_alive() for thread in self._threads):
                    return
                continue
            self._pending.pop(job.sub.student_id, None)
            yield job, answer

    def unanswered(self) -> list[Job]:
        return list(self._pending.values())


class _Worker:
    """One ``grader.batch.worker`` process and the pipes to it."""

    def __init__(self, shared: _Shared, slot: int) -> None:
        env = dict(os.environ, GRADER_BATCH_PARENT_PID=str(os.getpid()))
        self.placer = shared.placer
        self.gpu = shared.placer.take() if shared.placer else None
        if self.gpu is not None:
            # the order NVML numbers GPUs by, so that an index means the same GPU to NVML and to CUDA
            env.update(CUDA_VISIBLE_DEVICES=self.gpu, CUDA_DEVICE_ORDER="PCI_BUS_ID")
        self.log_path = shared.log_dir / f"worker-{slot}.log"
        try:
            self.proc = self._start(shared, env)
        except BaseException:
            self._give_back_gpu()
            raise
        self.timed_out = False

    def _start(self, shared: _Shared, env: dict[str, str]) -> subprocess.Popen[str]:
        with open(self.log_path, "a", encoding="utf-8") as log:
            # The worker dies with the thread that started it (PR_SET_PDEATHSIG), so each feeding thread
            # starts its own worker and closes it before it ends.
            return subprocess.Popen(
                [sys.executable, "-m", "grader.batch.worker", shared.grade_fn],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def grade(self, task: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        """The worker's answer, or None when it died (or was stopped for taking too long)."""
        timer = threading.Timer(timeout_s, self._time_out)
        timer.daemon = True
        timer.start()
        try:
            self.proc.stdin.write(json.dumps(task) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError:
            line = ""
        finally:
            timer.cancel()
        return json.loads(line) if line else None

    def death(self, timeout_s: float) -> str:
        code = self.proc.wait()
        self._give_back_gpu()
        if self.timed_out:
            why = f"grading took longer than {timeout_s:g} s and was stopped"
        elif code < 0:
            name = signal.Signals(-code).name
            why = f"the grading process was killed by {name}" + (
                " (out of memory?)" if -code == signal.SIGKILL else ""
            )
        else:
            why = f"the grading process exited with status {code}"
        return f"{why}; its log is {self.log_path}"

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self._give_back_gpu()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=_CLOSE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._give_back_gpu()

    def _give_back_gpu(self) -> None:
        """The worker's place on its GPU, for the next worker; once, however the worker ended."""
        if self.placer is not None and self.gpu is not None:
            self.placer.release(self.gpu)
            self.gpu = None

    def _time_out(self) -> None:
        self.timed_out = True
        self.proc.kill()


def _feed(slot: int, shared: _Shared) -> None:
    """One worker's loop: take a job, have the worker grade it, pass the answer on; restart dead workers."""
    worker: _Worker | None = None
    try:
        while not shared.stop.is_set():
            try:
                job = shared.jobs.get_nowait()
            except queue.Empty:
                return
            job.started = time.perf_counter()
            try:
                if worker is None or not worker.alive():
                    if worker is not None:  # died between two jobs: its place on its GPU is free again
                        worker.kill()
                    worker = _Worker(shared, slot)
                    with shared.lock:
                        shared.workers.append(worker)
                task = {"src": str(job.src), "options": shared.options}
                answer = worker.grade(task, shared.timeout_s)
                if answer is None:
                    answer = {"status": "error", "error": worker.death(shared.timeout_s)}
                    worker = None
            except Exception as exc:  # e.g. a worker that cannot start: this job errs, the next one retries
                answer = {"status": "error", "error": f"could not run a grading worker: {exc}"}
            shared.answers.put((job, answer))
    finally:
        if worker is not None:
            worker.close()
