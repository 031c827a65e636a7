"""``grader batch --cluster slurm``: stage the class here, grade it in one job array, summarise it here.

The submitting process discovers and stages the submissions exactly as a local batch does, deals those left
to grade into shares, submits one array task per share and follows the results as they appear. Every task
runs the local batch's worker pool over its share and writes ``OUT/<id>/result.json`` on the shared
filesystem, which stays the source of truth: a task that is requeued skips its finished results, and one
that is cancelled or lost leaves error results for what it had not graded, retried by the next run. The
batch ends as a local one does: similarity, dashboard, gradebook and ``batch-summary.json``.

The submitting process holds OUT's batch lock exclusively while it stages and submits, then shares it with
the tasks; a local batch into the same OUT is refused while any of them runs.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import submitit
from submitit.core.utils import FailedJobError, UncompletedJobError

from grader.batch.pool import Job
from grader.batch.resume import BATCH_DIR, exclusive, finished_result
from grader.batch.runner import default_timeout_s, finish_batch, record_answer, staged_class
from grader.batch.summary import BatchEntry, BatchSummary, make_entry
from grader.batch.worker import DEFAULT_GRADE_FN
from grader.cluster import control, slurm
from grader.cluster.progress import follow
from grader.cluster.shards import Share, deal, write_share
from grader.cluster.slurm import SlurmOptions
from grader.cluster.task import ShareTask, entries_file
from grader.errors import GraderError
from grader.execute.host import fcntl
from grader.pipeline import GradeOptions
from grader.records import GPU_MODES, RESULT_FILE
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.model import Rubric


def grade_on_slurm(
    input_dir: Path,
    options: GradeOptions,
    cluster: SlurmOptions | None = None,
    *,
    workers: int = 1,
    grade_fn: str = DEFAULT_GRADE_FN,
    submission_timeout_s: float | None = None,
    similarity_threshold: float | None = 0.6,
    template: Path | None = None,
    reports: bool = True,
    progress: bool = True,
) -> BatchSummary:
    """Grade INPUT_DIR into ``options.out_dir`` with a Slurm job array, as ``grade_batch`` does locally.

    WORKERS: grading processes per task in static and quick mode (each task asks for as many CPUs); in full
    mode each task runs ``per_gpu`` workers on each of its ``gpus_per_task`` GPUs. The other arguments are
    ``grade_batch``'s. Interrupting it leaves the tasks running (``grader batch --status/--cancel OUT``).
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    cluster = cluster or SlurmOptions()
    cluster.check()
    if workers < 1:
        raise GraderError(f"--workers must be at least 1, not {workers}")
    slurm.require_slurm()
    options = _absolute(options)
    rubric = load_rubric(resolve_rubric(options.rubric))
    options.check()
    out_dir = Path(options.out_dir)
    previous = control.load(out_dir)
    if previous is not None and control.running(previous):
        raise GraderError(
            f"Slurm array {previous.array} is still grading into {out_dir}: see it with "
            f"'grader batch --status {out_dir}', stop it with 'grader batch --cancel {out_dir}'"
        )
    work = out_dir / BATCH_DIR
    notes: list[str] = []
    with exclusive(work) as lock:
        subs, entries, todo = staged_class(Path(input_dir), work, rubric, options, notes)
        tasks = 0
        if todo:
            timeout_s = submission_timeout_s or default_timeout_s(rubric, options.mode)
            shares = deal(todo, cluster.tasks)
            tasks = len(shares)
            assert fcntl is not None  # exclusive() refuses a system without it
            fcntl.flock(lock, fcntl.LOCK_SH)  # shared with the tasks from before the first can start
            batch, jobs, files = _submit(shares, options, cluster, rubric, workers, grade_fn, timeout_s)
            notes.append(f"graded on Slurm: array {batch.array}, {tasks} tasks")
            follow(batch, jobs, progress=progress, poll_s=cluster.poll_s)
            notes += _collect(shares, jobs, files, entries, rubric, options)
        per_task = cluster.gpus_per_task * cluster.per_gpu if options.mode in GPU_MODES else workers
        return finish_batch(
            input_dir,
            options,
            rubric,
            subs,
            entries,
            notes,
            workers=per_task * tasks,
            gpus=[],
            started_at=started_at,
            clock=clock,
            similarity_threshold=similarity_threshold,
            template=template,
            reports=reports,
        )


def _absolute(options: GradeOptions) -> GradeOptions:
    """The options with absolute paths: the tasks start in whatever folder the cluster gives them."""
    rubric = options.rubric
    if Path(rubric).exists():
        rubric = Path(rubric).resolve()
    data = Path(options.data_dir).resolve() if options.data_dir is not None else None
    return replace(options, out_dir=Path(options.out_dir).resolve(), data_dir=data, rubric=rubric)


def _submit(
    shares: list[list[Job]],
    options: GradeOptions,
    cluster: SlurmOptions,
    rubric: Rubric,
    workers: int,
    grade_fn: str,
    timeout_s: float,
) -> tuple[control.ClusterBatch, list[submitit.Job], list[Path]]:
    out_dir = Path(options.out_dir)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}"
    batch_dir = out_dir / control.CLUSTER_DIR / stamp
    files = [
        write_share(
            Share(index, jobs, options, workers, grade_fn, timeout_s, cluster.per_gpu),
            batch_dir / f"share-{index}.json",
        )
        for index, jobs in enumerate(shares)
    ]
    paths = [out_dir / job.sub.student_id / RESULT_FILE for jobs in shares for job in jobs]
    results = {str(path): _mtime_ns(path) for path in paths}
    kernel_mb = 0 if options.mode == "static" else rubric.limits_for(options.mode).memory_mb
    folder = batch_dir / "submitit"
    ex = slurm.executor(folder, cluster, options.mode, workers, kernel_mb, len(files))
    jobs = slurm.submit(ex, ShareTask(), files)
    batch = control.ClusterBatch(
        folder=str(folder),
        array=jobs[0].job_id.split("_")[0],
        jobs=[one.job_id for one in jobs],
        submitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        results=results,
    )
    control.save(out_dir, batch)
    return batch, jobs, files


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _collect(
    shares: list[list[Job]],
    jobs: list[submitit.Job],
    files: list[Path],
    entries: dict[str, BatchEntry],
    rubric: Rubric,
    options: GradeOptions,
) -> list[str]:
    """Each submission's entry once every task has ended, and a note per task that did not end well; what
    a lost task had not graded gets an error result (retried by the next run), so nothing goes missing."""
    notes: list[str] = []
    out_dir = Path(options.out_dir)
    slurm.refresh(jobs)
    for share, one, file in zip(shares, jobs, files, strict=True):
        fate = _fate(one)
        logged = _logged(entries_file(file))
        lost = 0
        for job in share:
            sub_id = job.sub.student_id
            done = finished_result(out_dir / sub_id / RESULT_FILE, job.sha256, rubric.name, options.mode)
            if sub_id in logged:
                entries[sub_id] = logged[sub_id]
            elif done is not None:
                entries[sub_id] = make_entry(job.sub, "graded", score=done.score, max_score=done.max_score)
            else:
                lost += 1
                why = fate or f"Slurm task {one.job_id} ended without grading it"
                entries[sub_id] = record_answer(job, {"status": "error", "error": why}, rubric, options)
        if fate:
            notes.append(f"{fate}; {lost} of its {len(share)} submissions were not graded")
        if slurm.state(one).upper().startswith("OUT_OF_MEMORY"):
            notes.append(f"Slurm task {one.job_id} reached its memory limit (--mem-gb)")
    return notes


def _fate(one: submitit.Job) -> str | None:
    """Why a task gave no result: Slurm's end state, or the error the task raised; None when it ended well."""
    if not one.paths.result_pickle.exists():
        return f"Slurm task {one.job_id} ended {slurm.state(one)}"
    try:
        one.result()
    except (FailedJobError, UncompletedJobError) as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return f"Slurm task {one.job_id} failed: {lines[-1] if lines else exc}"
    return None


def _logged(path: Path) -> dict[str, BatchEntry]:
    """The entries a task wrote as it graded, the last per submission (a requeued task appends)."""
    found: dict[str, BatchEntry] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return found
    for line in lines:
        try:
            entry = BatchEntry(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut short by a killed task
        found[entry.id] = entry
    return found
