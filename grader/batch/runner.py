"""Grade a class: every submission of an LMS download, in parallel worker processes, resumable.

- **Workers** (``grader.batch.pool``): a crash, a kill or a hang fails only the submission being graded.
- **Resumable** (``grader.batch.resume``): what is already graded for the same content, rubric and mode is
  skipped, so a batch killed at any moment and started again grades only what was unfinished.
- **Nothing is lost**: a submission the grader refuses (a ``GraderError``) or crashes on still gets a
  ``result.json`` whose checks are errors with the reason, so the gradebook shows it.
- Ids are unique (``discover_submissions``), so no two workers ever write the same ``OUT/<id>``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader import __version__
from grader.batch.gpus import GpuPlacer
from grader.batch.layouts import Submission, discover_submissions, stage_submission
from grader.batch.pool import Job, WorkerPool
from grader.batch.resume import BATCH_DIR, BATCH_ERROR, exclusive, finished_result, overlaps
from grader.batch.summary import SUMMARY_FILE, BatchEntry, BatchSummary, make_entry, summarise
from grader.batch.worker import DEFAULT_GRADE_FN
from grader.checks import uniform_outcomes
from grader.errors import GraderError
from grader.intake import content_sha256, submission_id
from grader.pipeline import GradeOptions, build_result
from grader.records import (
    RESULT_FILE,
    CheckOutcome,
    Finding,
    Mode,
    Result,
    write_json_atomically,
    write_result,
)
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.model import Rubric
from grader.template import check_template_dir

STATIC_TIMEOUT_S = 600.0
TIMEOUT_MARGIN_S = 600.0


def grade_batch(
    input_dir: Path,
    options: GradeOptions,
    *,
    workers: int = 1,
    gpus: list[str] | None = None,
    per_gpu: int | None = None,
    grade_fn: str = DEFAULT_GRADE_FN,
    submission_timeout_s: float | None = None,
    similarity_threshold: float | None = 0.6,
    template: Path | None = None,
    reports: bool = True,
    progress: bool = True,
) -> BatchSummary:
    """Grade every submission under INPUT_DIR into ``options.out_dir`` and write ``batch-summary.json``.

    GPUS pins each worker to one GPU (``CUDA_VISIBLE_DEVICES``); PER_GPU caps the workers on each GPU and
    makes WORKERS that many per GPU, each new one placed on the GPU with the most free memory (default:
    WORKERS spread evenly). GRADE_FN (``module:function``, called as ``function(src, options)``) is what each
    worker runs, the pipeline by default. SUBMISSION_TIMEOUT_S bounds one submission (default: the rubric's
    notebook limits of the mode, summed, plus ten minutes; ten minutes in static mode). SIMILARITY_THRESHOLD:
    pairs of notebooks at least that similar go to ``similarity.json`` at the end (None: no similarity pass),
    the code of TEMPLATE (a folder of notebooks; default: the rubric's ``template``) not counting. REPORTS:
    write the class dashboard and the gradebook at the end, when ``grader.report`` is installed.
    """
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    if workers < 1:
        raise GraderError(f"--workers must be at least 1, not {workers}")
    if per_gpu is not None:
        if not gpus:
            raise GraderError("--per-gpu needs --gpus: the GPUs the workers are placed on, e.g. --gpus 0,1")
        if per_gpu < 1:
            raise GraderError(f"--per-gpu must be at least 1, not {per_gpu}")
        workers = per_gpu * len(gpus)
    rubric = load_rubric(resolve_rubric(options.rubric))
    options.check()
    if similarity_threshold is not None:  # before the class is graded, not after
        if template is not None:
            check_template_dir(template)
        elif rubric.template_dir is not None:
            check_template_dir(rubric.template_dir, f"the rubric's template ({rubric.template!r}):")
    out_dir = Path(options.out_dir)
    work = out_dir / BATCH_DIR
    notes: list[str] = []
    with exclusive(work):
        subs, entries, todo = staged_class(Path(input_dir), work, rubric, options, notes)
        timeout_s = submission_timeout_s or default_timeout_s(rubric, options.mode)
        interrupted = False
        try:
            run_jobs(
                todo,
                entries,
                rubric,
                options,
                workers,
                gpus or [],
                grade_fn,
                timeout_s,
                progress,
                per_gpu=per_gpu,
                notes=notes,
            )
        except KeyboardInterrupt:
            interrupted = True
        summary = finish_batch(
            input_dir,
            options,
            rubric,
            subs,
            entries,
            notes,
            workers=workers,
            gpus=gpus or [],
            started_at=started_at,
            clock=clock,
            similarity_threshold=similarity_threshold,
            template=template,
            reports=reports,
            interrupted=interrupted,
        )
    if interrupted:
        raise KeyboardInterrupt
    return summary


def finish_batch(
    input_dir: Path,
    options: GradeOptions,
    rubric: Rubric,
    subs: list[Submission],
    entries: dict[str, BatchEntry],
    notes: list[str],
    *,
    workers: int,
    gpus: list[str],
    started_at: datetime,
    clock: float,
    similarity_threshold: float | None,
    reports: bool,
    interrupted: bool = False,
    template: Path | None = None,
) -> BatchSummary:
    """The end of a batch, wherever it was graded: similarity and the class reports (not for an
    interrupted batch), then ``batch-summary.json``."""
    out_dir = Path(options.out_dir)
    similar = None
    if similarity_threshold is not None and not interrupted:
        similar = _similarity(out_dir, options.rubric, similarity_threshold, template, notes)
    if reports and not interrupted:
        _class_reports(out_dir, rubric, notes)
    summary = summarise(
        input_dir,
        options.out_dir,
        rubric.name,
        options.mode,
        workers,
        gpus,
        started_at,
        clock,
        subs,
        entries,
        notes,
        similar,
    )
    summary.interrupted = interrupted
    write_json_atomically(out_dir / SUMMARY_FILE, summary.model_dump_json(indent=2) + "\n")
    return summary


def error_result(rubric: Rubric, mode: Mode, sub_id: str, sha256: str, message: str) -> Result:
    """The record of a submission the batch could not grade: every automatic check an error, with why."""
    outcomes = uniform_outcomes(
        rubric.items, mode, CheckOutcome(status="error", message=f"not graded: {message}")
    )
    return build_result(
        rubric,
        mode,
        outcomes,
        sub_id=sub_id,
        sha256=sha256,
        format_ok=True,
        findings=[Finding(kind=BATCH_ERROR, severity="error", detail=message)],
        environment={"grader": __version__},
    )


def staged_class(
    input_dir: Path, work: Path, rubric: Rubric, options: GradeOptions, notes: list[str]
) -> tuple[list[Submission], dict[str, BatchEntry], list[Job]]:
    """The class under INPUT_DIR, each submission staged into WORK: all of them, the entries of those not to
    grade (already graded, unreadable), and the jobs left to grade. What discovery noticed goes to NOTES."""
    out_dir = Path(options.out_dir)
    subs = [sub for sub in discover_submissions(input_dir, notes=notes) if not overlaps(sub, out_dir)]
    entries: dict[str, BatchEntry] = {}
    return subs, entries, _unfinished(subs, work, entries, rubric, options)


def _unfinished(
    subs: list[Submission],
    work: Path,
    entries: dict[str, BatchEntry],
    rubric: Rubric,
    options: GradeOptions,
) -> list[Job]:
    """Stages each submission into WORK and returns the jobs left to grade; the others get their entries
    here."""
    todo: list[Job] = []
    for sub in subs:
        try:
            src = stage_submission(sub, work)
            sha = content_sha256(src)
        except OSError as exc:
            why = {"status": "failed", "error": f"{sub.path.name} could not be read: {exc}"}
            entries[sub.student_id] = record_answer(Job(sub, sub.path, ""), why, rubric, options)
            continue
        if submission_id(src) != sub.student_id:  # would let two workers share an output folder
            why = {"status": "error", "error": f"{src} would be graded as {submission_id(src)!r}"}
            entries[sub.student_id] = record_answer(Job(sub, src, sha), why, rubric, options)
            continue
        out = Path(options.out_dir) / sub.student_id / RESULT_FILE
        done = finished_result(out, sha, rubric.name, options.mode)
        if done is not None:
            entries[sub.student_id] = make_entry(sub, "skipped", score=done.score, max_score=done.max_score)
        else:
            todo.append(Job(sub, src, sha))
    return todo


def default_timeout_s(rubric: Rubric, mode: Mode) -> float:
    if mode == "static":
        return STATIC_TIMEOUT_S
    return rubric.limits_for(mode).notebook_timeout_s * len(rubric.notebooks) + TIMEOUT_MARGIN_S


def run_jobs(
    todo: list[Job],
    entries: dict[str, BatchEntry],
    rubric: Rubric,
    options: GradeOptions,
    workers: int,
    gpus: list[str],
    grade_fn: str,
    timeout_s: float,
    progress: bool,
    *,
    log_dir: Path | None = None,
    on_entry: Callable[[BatchEntry], None] | None = None,
    per_gpu: int | None = None,
    notes: list[str] | None = None,
) -> None:
    """Grades TODO in a worker pool, recording each answer in ENTRIES (and passing it to ON_ENTRY) as it
    comes; LOG_DIR holds the workers' logs (default ``OUT/.batch``). With GPUS, at most PER_GPU workers
    share each (default: WORKERS spread evenly); how they were placed goes to NOTES."""
    if not todo:
        return
    placer = None
    if gpus:
        per = per_gpu or math.ceil(workers / len(gpus))
        placer = GpuPlacer.with_nvml(gpus, per, notes if notes is not None else [])
    pool = WorkerPool(
        todo,
        options,
        workers=workers,
        placer=placer,
        grade_fn=grade_fn,
        timeout_s=timeout_s,
        log_dir=log_dir or Path(options.out_dir) / BATCH_DIR,
    )
    bar = tqdm(total=len(todo), desc="grading", unit="sub", file=sys.stderr, disable=not progress)
    try:
        with pool:
            for job, answer in pool.answers():
                entries[job.sub.student_id] = record_answer(job, answer, rubric, options)
                if on_entry is not None:
                    on_entry(entries[job.sub.student_id])
                if answer["status"] != "graded":
                    bar.set_postfix(problems=sum(e.status in ("failed", "error") for e in entries.values()))
                bar.update(1)
            for job in pool.unanswered():  # only if every feeding thread died, which is a grader bug
                entries[job.sub.student_id] = record_answer(
                    job, {"status": "error", "error": "the batch stopped feeding workers"}, rubric, options
                )
    finally:
        bar.close()


def record_answer(job: Job, answer: dict[str, Any], rubric: Rubric, options: GradeOptions) -> BatchEntry:
    """The summary entry; a submission that was not graded gets its error result.json here."""
    seconds = answer.get("seconds") or (time.perf_counter() - job.started if job.started else None)
    if answer["status"] == "graded":
        return make_entry(
            job.sub, "graded", score=answer["score"], max_score=answer["max_score"], seconds=seconds
        )
    message = answer.get("error") or "unknown error"
    result = error_result(rubric, options.mode, job.sub.student_id, job.sha256, message)
    write_result(result, Path(options.out_dir) / job.sub.student_id / RESULT_FILE)
    return make_entry(
        job.sub,
        answer["status"],
        score=result.score,
        max_score=result.max_score,
        seconds=seconds,
        error=message,
    )


def _similarity(
    out_dir: Path, rubric: str | Path, threshold: float, template: Path | None, notes: list[str]
) -> int | None:
    from grader.batch.similarity import find_similar

    try:
        return len(find_similar(out_dir, rubric=rubric, threshold=threshold, template=template))
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
