"""The shares of a cluster batch: the staged submissions left to grade, dealt out to the array's tasks.

A share is a JSON file on the shared filesystem naming each submission's staged path and content hash, so a
task (or its requeued run) needs nothing from the submitting machine but that file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.layouts import Submission
from grader.batch.pool import Job
from grader.batch.worker import options_from_json, options_to_json
from grader.pipeline import GradeOptions
from grader.records import write_json_atomically


@dataclass
class Share:
    """What one task grades, and how: the same options and limits as a local batch's workers get."""

    index: int
    jobs: list[Job]
    options: GradeOptions
    workers: int
    grade_fn: str
    timeout_s: float
    per_gpu: int


def deal(todo: list[Job], tasks: int) -> list[list[Job]]:
    """TODO dealt round-robin into at most TASKS non-empty shares, so that each task gets a like mix."""
    count = max(1, min(tasks, len(todo)))
    return [todo[i::count] for i in range(count)]


def write_share(share: Share, path: Path) -> Path:
    data = {
        "index": share.index,
        "options": options_to_json(share.options),
        "workers": share.workers,
        "grade_fn": share.grade_fn,
        "timeout_s": share.timeout_s,
        "per_gpu": share.per_gpu,
        "jobs": [_job_json(job) for job in share.jobs],
    }
    write_json_atomically(path, json.dumps(data, indent=1) + "\n")
    return path


def read_share(path: Path) -> Share:
    data = json.loads(Path(path).read_text())
    return Share(
        index=data["index"],
        jobs=[_job_from_json(job) for job in data["jobs"]],
        options=options_from_json(data["options"]),
        workers=data["workers"],
        grade_fn=data["grade_fn"],
        timeout_s=data["timeout_s"],
        per_gpu=data["per_gpu"],
    )


def _job_json(job: Job) -> dict[str, Any]:
    sub = job.sub
    return {
        "id": sub.student_id,
        "path": str(sub.path),
        "layout": sub.layout,
        "name": sub.name,
        "late": sub.late,
        "members": list(sub.members),
        "src": str(job.src),
        "sha256": job.sha256,
    }


def _job_from_json(data: dict[str, Any]) -> Job:
    sub = Submission(
        student_id=data["id"],
        path=Path(data["path"]),
        layout=data["layout"],
        name=data["name"],
        late=data["late"],
        members=tuple(data["members"]),
    )
    return Job(sub, Path(data["src"]), data["sha256"])
