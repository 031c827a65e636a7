"""Grade a class: every submission of an LMS download, in parallel worker processes, resumable.

- **Workers** are long-lived processes (``grader.batch.worker``), each fed one submission at a time by a
  thread of this process. A worker that crashes, is killed or outlives the submission's time limit fails
  only that submission: it is recorded as an error and a fresh worker takes the next one. Workers are pinned
  round-robin to the GPUs given, through ``CUDA_VISIBLE_DEVICES``, several per GPU if asked.
- **Resumable**: a submission whose ``OUT/<id>/result.json`` is readable and has the same content hash,
  rubric and mode is skipped. Results are written atomically, so a batch killed at any moment and started
  again grades only what was unfinished. Error results written by the batch are retried on the next run.
- **Nothing is lost**: a submission the grader refuses (a ``GraderError``) or crashes on still gets a
  ``result.json`` whose checks are errors with the reason, so the gradebook shows it.
- Ids are unique (``discover_submissions``), so no two workers ever write the same ``OUT/<id>``; a lock on
  ``OUT/.batch/lock`` keeps a second batch from writing into the same OUT at the same time.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from tqdm import tqdm

from grader import __version__
from grader.batch.layouts import Submission, discover_submissions, stage_submission
from grader.batch.worker import DEFAULT_GRADE_FN, options_to_json
from grader.checks import uniform_outcomes
from grader.errors import GraderError
from grader.execute import sandbox_available
from grader.intake import content_sha256, submission_id
from grader.pipeline import GradeOptions
from grader.records import (
    RESULT_FILE,
    CheckOutcome,
    Finding,
    Mode,
    Result,
    read_result,
    write_json_atomically,
    write_result,
)
from grader.rubric import apply_rubric, load_rubric, resolve_rubric
from grader.rubric.model import Rubric

BATCH_DIR = ".batch"
SUMMARY_FILE = "batch-summary.json"
# The finding kind of a result the batch wrote for a submission it could not grade.
BATCH_ERROR = "batch-error"
STATIC_TIMEOUT_S = 600.0
TIMEOUT_MARGIN_S = 600.0
SLOWEST_SHOWN = 5
_CLOSE_TIMEOUT_S = 10.0
_POLL_S = 0.5

EntryStatus = Literal["graded", "skipped", "failed", "error"]


class BatchEntry(BaseModel):
    """One submission's fate in this run. ``failed``: the grader refused it with a reason (a GraderError);
    ``error``: the grader crashed, was killed or timed out on it."""

    id: str
    status: EntryStatus
    layout: str
    source: str
    score: float | None = None
    max_score: float | None = None
    seconds: float | None = None
    error: str | None = None
    name: str | None = None
    late: bool | None = None
    members: list[str] = Field(default_factory=list)


class BatchSummary(BaseModel):
    input_dir: str
    out_dir: str
    rubric: str
    mode: Mode
    workers: int
    gpus: list[str]
    started_at: str
    seconds: float
    total: int
    graded: int
    skipped: int
    failed: int
    errored: int
    mean_score: float | None
    max_score: float | None
    slowest: list[dict[str, Any]]
    similar_pairs: int | None = None
    interrupted: bool = False
    warnings: list[str] = Field(default_factory=list)
    entries: list[BatchEntry] = Field(default_factory=list)


@dataclass
class _Job:
    sub: Submission
    src: Path
    sha256: str
    started: float = 0.0


@dataclass
class _Shared:
    """What the feeding threads share with the main thread."""

    jobs: queue.Queue[_Job]
    answers: queue.Queue[tuple[_Job, dict[str, Any]]]
    grade_fn: str
    options: dict[str, Any]
    timeout_s: float
    log_dir: Path
    gpus: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    workers: list[_Worker] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def grade_batch(
    input_dir: Path,
    options: GradeOptions,
    workers: int = 1,
    gpus: list[str] | None = None,
    *,
    grade_fn: str = DEFAULT_GRADE_FN,
    submission_timeout_s: float | None = None,
    similarity_threshold: float | None = 0.6,
    reports: bool = True,
    progress: bool = True,
) -> BatchSummary:
    """Grade every submission under INPUT_DIR into ``options.out_dir`` and write ``batch-summary.json``.

    GRADE_FN (``module:function``, called as ``function(src, options)``) is what each worker runs, the
    pipeline by default. SUBMISSION_TIMEOUT_S bounds one submission (default: the rubric's notebook limits
    of the mode, summed, plus ten minutes; ten minutes in static mode). SIMILARITY_THRESHOLD: pairs of
    notebooks at least that similar go to ``similarity.json`` at the end (None: no similarity pass).
    REPORTS: write the class dashboard and the gradebook at the end, when ``grader.report`` is installed.
    """
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    if workers < 1:
        raise GraderError(f"--workers must be at least 1, not {workers}")
    rubric = load_rubric(resolve_rubric(options.rubric))
    _check_options(options)
    out_dir = Path(options.out_dir)
    work = out_dir / BATCH_DIR
    notes: list[str] = []
    with _exclusive(work):
        subs = [
            sub for sub in discover_submissions(Path(input_dir), notes=notes) if not _overlaps(sub, out_dir)
        ]
        entries: dict[str, BatchEntry] = {}
        todo: list[_Job] = []
        for sub in subs:
            try:
                src = stage_submission(sub, work)
                sha = content_sha256(src)
            except OSError as exc:
                why = {"status": "failed", "error": f"{sub.path.name} could not be read: {exc}"}
                entries[sub.student_id] = _record(_Job(sub, sub.path, ""), why, rubric, options)
                continue
            if submission_id(src) != sub.student_id:  # would let two workers share an output folder
                why = {"status": "error", "error": f"{src} would be graded as {submission_id(src)!r}"}
                entries[sub.student_id] = _record(_Job(sub, src, sha), why, rubric, options)
                continue
            done = _finished_result(out_dir / sub.student_id / RESULT_FILE, sha, rubric.name, options.mode)
            if done is not None:
                entries[sub.student_id] = _entry(sub, "skipped", score=done.score, max_score=done.max_score)
            else:
                todo.append(_Job(sub, src, sha))
        timeout_s = submission_timeout_s or _default_timeout_s(rubric, options.mode)
        interrupted = False
        try:
            _run_jobs(todo, entries, rubric, options, workers, gpus or [], grade_fn, timeout_s, progress)
        except KeyboardInterrupt:
            interrupted = True
        similar = None
        if similarity_threshold is not None and not interrupted:
            similar = _similarity(out_dir, options.rubric, similarity_threshold, notes)
        if reports and not interrupted:
            _class_reports(out_dir, rubric, notes)
        summary = _summary(
            input_dir, options, rubric, workers, gpus or [], started_at, clock, subs, entries, notes, similar
        )
        summary.interrupted = interrupted
        write_json_atomically(out_dir / SUMMARY_FILE, summary.model_dump_json(indent=2) + "\n")
    if interrupted:
        raise KeyboardInterrupt
    return summary


def format_summary(summary: BatchSummary) -> str:
    """A few lines for the terminal; the whole record is in batch-summary.json."""
    lines = [
        f"{summary.total} submissions in {summary.seconds:.1f} s: {summary.graded} graded, "
        f"{summary.skipped} skipped (already graded), {summary.failed} failed, {summary.errored} errors"
    ]
    if summary.mean_score is not None:
        lines.append(f"mean score {summary.mean_score:.2f} / {summary.max_score:g}")
    if summary.slowest:
        lines.append("slowest: " + ", ".join(f"{s['id']} {s['seconds']:.1f} s" for s in summary.slowest))
    for entry in summary.entries:
        if entry.status in ("failed", "error"):
            lines.append(f"  {entry.status:6} {entry.id}: {entry.error}")
    lines += [f"  note: {note}" for note in summary.warnings]
    if summary.similar_pairs:
        lines.append(f"{summary.similar_pairs} similar notebook pairs: see similarity.json")
    if summary.interrupted:
        lines.append("interrupted: run the same command again to grade the rest")
    return "\n".join(lines)


def error_result(rubric: Rubric, mode: Mode, sub_id: str, sha256: str, message: str) -> Result:
    """The record of a submission the batch could not grade: every automatic check an error, with why."""
    outcomes = uniform_outcomes(
        rubric.items, mode, CheckOutcome(status="error", message=f"not graded: {message}")
    )
    scored = apply_rubric(rubric, outcomes, mode, format_ok=True)
    return Result(
        submission_id=sub_id,
        input_sha256=sha256,
        rubric=rubric.name,
        mode=mode,
        score=scored.total,
        max_score=scored.max_score,
        bonus=scored.bonus,
        deductions=scored.deductions,
        checks=scored.checks,
        findings=[Finding(kind=BATCH_ERROR, severity="error", detail=message)],
        environment={"grader": __version__},
    )


def _check_options(options: GradeOptions) -> None:
    """Problems that would fail every submission are reported once, before any worker starts."""
    if options.mode != "static" and options.data_dir is None:
        raise GraderError(f"--data is required in {options.mode} mode: the notebooks run on the course data")
    if options.data_dir is not None and not Path(options.data_dir).is_dir():
        raise GraderError(f"the course data folder {options.data_dir} does not exist")
    if options.mode != "static" and options.sandbox and not sandbox_available():
        raise GraderError(
            "bubblewrap (bwrap) is not available, so student code cannot be sandboxed: install it or pass "
            "--no-sandbox"
        )


@contextmanager
def _exclusive(work: Path) -> Iterator[None]:
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GraderError(f"another batch is grading into {work.parent}; wait for it to end") from None
        yield


def _overlaps(sub: Submission, out_dir: Path) -> bool:
    """True for the output folder itself when OUT lies inside the input (``grader batch . --out out``)."""
    path, out = sub.path.resolve(), out_dir.resolve()
    return path == out or out.is_relative_to(path) or path.is_relative_to(out)


def _finished_result(path: Path, sha256: str, rubric: str, mode: Mode) -> Result | None:
    """The existing result when it is for this content, rubric and mode and was not a batch error."""
    try:
        result = read_result(path)
    except (OSError, ValueError):
        return None
    same = result.input_sha256 == sha256 and result.rubric == rubric and result.mode == mode
    return result if same and not any(f.kind == BATCH_ERROR for f in result.findings) else None


def _default_timeout_s(rubric: Rubric, mode: Mode) -> float:
    if mode == "static":
        return STATIC_TIMEOUT_S
    return rubric.limits_for(mode).notebook_timeout_s * len(rubric.notebooks) + TIMEOUT_MARGIN_S


def _entry(sub: Submission, status: EntryStatus, **values: Any) -> BatchEntry:
    return BatchEntry(
        id=sub.student_id,
        status=status,
        layout=sub.layout,
        source=sub.path.name,
        name=sub.name,
        late=sub.late,
        members=list(sub.members),
        **values,
    )


def _run_jobs(
    todo: list[_Job],
    entries: dict[str, BatchEntry],
    rubric: Rubric,
    options: GradeOptions,
    workers: int,
    gpus: list[str],
    grade_fn: str,
    timeout_s: float,
    progress: bool,
) -> None:
    if not todo:
        return
    shared = _Shared(
        jobs=queue.Queue(),
        answers=queue.Queue(),
        grade_fn=grade_fn,
        options=options_to_json(options),
        timeout_s=timeout_s,
        log_dir=Path(options.out_dir) / BATCH_DIR,
        gpus=gpus,
    )
    for job in todo:
        shared.jobs.put(job)
    threads = [
        threading.Thread(target=_feed, args=(slot, shared), name=f"batch-worker-{slot}", daemon=True)
        for slot in range(min(workers, len(todo)))
    ]
    for thread in threads:
        thread.start()
    pending = {job.sub.student_id: job for job in todo}
    bar = tqdm(total=len(todo), desc="grading", unit="sub", file=sys.stderr, disable=not progress)
    try:
        while pending:
            try:
                job, answer = shared.answers.get(timeout=_POLL_S)
            except queue.Empty:
                if not any(thread.is_alive() for thread in threads):
                    break
                continue
            pending.pop(job.sub.student_id, None)
            entries[job.sub.student_id] = _record(job, answer, rubric, options)
            if answer["status"] != "graded":
                bar.set_postfix(problems=sum(e.status in ("failed", "error") for e in entries.values()))
            bar.update(1)
        for job in pending.values():  # only if every feeding thread died, which is a grader bug
            entries[job.sub.student_id] = _record(
                job, {"status": "error", "error": "the batch stopped feeding workers"}, rubric, options
            )
    finally:
        bar.close()
        shared.stop.set()
        with shared.lock:
            for worker in shared.workers:
                worker.kill()


def _record(job: _Job, answer: dict[str, Any], rubric: Rubric, options: GradeOptions) -> BatchEntry:
    """The summary entry; a submission that was not graded gets its error result.json here."""
    seconds = answer.get("seconds") or (time.perf_counter() - job.started if job.started else None)
    if answer["status"] == "graded":
        return _entry(
            job.sub, "graded", score=answer["score"], max_score=answer["max_score"], seconds=seconds
        )
    message = answer.get("error") or "unknown error"
    result = error_result(rubric, options.mode, job.sub.student_id, job.sha256, message)
    write_result(result, Path(options.out_dir) / job.sub.student_id / RESULT_FILE)
    return _entry(
        job.sub,
        answer["status"],
        score=result.score,
        max_score=result.max_score,
        seconds=seconds,
        error=message,
    )


class _Worker:
    """One ``grader.batch.worker`` process and the pipes to it."""

    def __init__(self, shared: _Shared, slot: int) -> None:
        env = dict(os.environ, GRADER_BATCH_PARENT_PID=str(os.getpid()))
        if shared.gpus:
            env["CUDA_VISIBLE_DEVICES"] = shared.gpus[slot % len(shared.gpus)]
        self.log_path = shared.log_dir / f"worker-{slot}.log"
        with open(self.log_path, "a", encoding="utf-8") as log:
            # The worker dies with the thread that started it (PR_SET_PDEATHSIG), so each feeding thread
            # starts its own worker and closes it before it ends.
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grader.batch.worker", shared.grade_fn],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        self.timed_out = False

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

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=_CLOSE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

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


def _similarity(out_dir: Path, rubric: str | Path, threshold: float, notes: list[str]) -> int | None:
    from grader.batch.similarity import find_similar

    try:
        return len(find_similar(out_dir, rubric=rubric, threshold=threshold))
    except (GraderError, OSError, ValueError) as exc:
        notes.append(f"similarity check failed: {exc}")
        return None


def _class_reports(out_dir: Path, rubric: Rubric, notes: list[str]) -> None:
    """The dashboard and the gradebook, where the report package is there; a failure is a note."""
    try:
        from grader.report import render_dashboard, write_gradebook
    except ImportError:
        return
    try:
        render_dashboard(out_dir, rubric)
        write_gradebook(out_dir, rubric)
    except (GraderError, OSError, ValueError) as exc:
        notes.append(f"dashboard or gradebook not written: {exc}")


def _summary(
    input_dir: Path,
    options: GradeOptions,
    rubric: Rubric,
    workers: int,
    gpus: list[str],
    started_at: datetime,
    clock: float,
    subs: list[Submission],
    entries: dict[str, BatchEntry],
    notes: list[str],
    similar: int | None,
) -> BatchSummary:
    ordered = [entries[sub.student_id] for sub in subs if sub.student_id in entries]
    counts = {status: sum(e.status == status for e in ordered) for status in ("graded", "skipped", "failed")}
    scores = [e.score for e in ordered if e.status in ("graded", "skipped") and e.score is not None]
    timed = sorted((e for e in ordered if e.status != "skipped" and e.seconds), key=lambda e: -e.seconds)
    return BatchSummary(
        input_dir=str(input_dir),
        out_dir=str(options.out_dir),
        rubric=rubric.name,
        mode=options.mode,
        workers=workers,
        gpus=gpus,
        started_at=started_at.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - clock, 3),
        total=len(subs),
        errored=sum(e.status == "error" for e in ordered),
        mean_score=round(statistics.fmean(scores), 3) if scores else None,
        max_score=next((e.max_score for e in ordered if e.max_score is not None), None),
        slowest=[{"id": e.id, "seconds": round(e.seconds, 3)} for e in timed[:SLOWEST_SHOWN]],
        similar_pairs=similar,
        warnings=notes,
        entries=ordered,
        **counts,
    )
