"""What one array task runs on its node: the batch runner's worker pool over the task's share.

Resume is what makes a task safe to requeue: a submission whose ``result.json`` is finished is skipped, so a
preempted, timed-out or requeued task grades only what it had not finished, and a task killed at any moment
loses at most the submissions it was grading. Each entry is appended to the share's ``entries`` file as it
comes, for the submitting process's summary.
"""

from __future__ import annotations

import os
from pathlib import Path

import submitit

from grader.batch.resume import BATCH_DIR, finished_result, shared
from grader.batch.runner import run_jobs
from grader.batch.summary import BatchEntry
from grader.cluster.shards import read_share
from grader.records import GPU_MODES, RESULT_FILE
from grader.rubric import load_rubric, resolve_rubric


def entries_file(share_file: Path) -> Path:
    return share_file.with_suffix(".entries.jsonl")


def visible_gpus() -> list[str]:
    """The GPUs Slurm gave this task, as the ids its processes see them by."""
    text = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return [gpu.strip() for gpu in text.split(",") if gpu.strip() and gpu.strip() != "-1"]


class ShareTask(submitit.helpers.Checkpointable):
    """submitit's callable for one task; on preemption or its time limit submitit requeues it with the same
    share file (``Checkpointable``), and the new run skips what is already graded."""

    def __call__(self, share_file: str) -> dict[str, int]:
        share = read_share(Path(share_file))
        options = share.options
        out = Path(options.out_dir)
        rubric = load_rubric(resolve_rubric(options.rubric))
        with shared(out / BATCH_DIR):
            todo = [
                job
                for job in share.jobs
                if finished_result(
                    out / job.sub.student_id / RESULT_FILE, job.sha256, rubric.name, options.mode
                )
                is None
            ]
            gpus = visible_gpus() if options.mode in GPU_MODES else []
            workers = len(gpus) * share.per_gpu if gpus else share.workers
            log_dir = Path(share_file).parent / f"task-{share.index}"
            log_dir.mkdir(parents=True, exist_ok=True)
            entries: dict[str, BatchEntry] = {}
            with open(entries_file(Path(share_file)), "a", encoding="utf-8") as log:

                def note(entry: BatchEntry) -> None:
                    log.write(entry.model_dump_json() + "\n")
                    log.flush()

                run_jobs(
                    todo,
                    entries,
                    rubric,
                    options,
                    workers,
                    gpus,
                    share.grade_fn,
                    share.timeout_s,
                    progress=False,
                    log_dir=log_dir,
                    on_entry=note,
                    per_gpu=share.per_gpu if gpus else None,
                )
        return {"share": share.index, "graded": len(todo), "skipped": len(share.jobs) - len(todo)}
