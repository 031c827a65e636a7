"""What a batch run did: one entry per submission, the counts, and the few lines printed at the end."""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from grader.batch.layouts import Submission
from grader.records import Mode

SUMMARY_FILE = "batch-summary.json"
SLOWEST_SHOWN = 5

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


def make_entry(sub: Submission, status: EntryStatus, **values: Any) -> BatchEntry:
    """The entry of SUB, with what the LMS download said about it (name, lateness, group members)."""
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


def summarise(
    input_dir: Path,
    out_dir: Path,
    rubric: str,
    mode: Mode,
    workers: int,
    gpus: list[str],
    started_at: datetime,
    clock: float,
    subs: list[Submission],
    entries: dict[str, BatchEntry],
    notes: list[str],
    similar: int | None,
) -> BatchSummary:
    """The summary of a run, its entries in the order the submissions were found; CLOCK: when it began."""
    ordered = [entries[sub.student_id] for sub in subs if sub.student_id in entries]
    counts = {status: sum(e.status == status for e in ordered) for status in ("graded", "skipped", "failed")}
    scores = [e.score for e in ordered if e.status in ("graded", "skipped") and e.score is not None]
    timed = sorted((e for e in ordered if e.status != "skipped" and e.seconds), key=lambda e: -e.seconds)
    return BatchSummary(
        input_dir=str(input_dir),
        out_dir=str(out_dir),
        rubric=rubric,
        mode=mode,
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
