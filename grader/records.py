"""The record of one graded submission: what each check found, the points the rubric gave, and why.

Plain pydantic models so that ``result.json`` is validated when written and when read back (for resuming a
batch and rendering reports).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

# "inconclusive": the check could not be decided for a reason that is not the student's (the harness, the
# course environment, a quick-mode shortcut); like a manual item, a TA decides and no points are lost to it.
CheckStatus = Literal["pass", "fail", "error", "skipped", "manual", "inconclusive"]
Severity = Literal["info", "warning", "error"]
# audit: the notebooks run as submitted until they have printed a few epochs; the model is measured there and
# compared with the claimed curve at the same epoch
Mode = Literal["static", "quick", "full", "audit"]
GPU_MODES: tuple[Mode, ...] = ("full", "audit")  # the modes that train on the full data, on a GPU if any

# What OUT/<submission-id>/ holds: the result, and the unpacked submission kept for reports and similarity;
# the runs' private copies are deleted once graded
RESULT_FILE = "result.json"
SUBMISSION_DIR = Path("work") / "submission"
RUNS_DIR = Path("work") / "runs"


class Finding(BaseModel):
    """An integrity or format observation, located as precisely as the evidence allows."""

    kind: str
    severity: Severity
    detail: str
    notebook: str | None = None
    cell: int | None = None
    line: int | None = None


class CheckOutcome(BaseModel):
    """A verdict with evidence; ``fraction`` in [0, 1] lets a rubric give partial credit."""

    status: CheckStatus
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    fraction: float | None = None


class TAGrade(BaseModel):
    """Points a TA gave an item by hand (grader.manual), as merged into the result.

    ``stale``: given to an earlier version of the submission (its content hash has changed since), so the
    points are shown for the TA to check again but not counted."""

    points: float
    comment: str = ""
    grader: str = ""
    graded_at: str = ""
    stale: bool = False


# The statuses a TA decides by hand: items graded from the report, and checks the grader could not decide
TA_STATUSES: tuple[CheckStatus, ...] = ("manual", "inconclusive")


class CheckResult(BaseModel):
    """A check's outcome after the rubric turned it into points."""

    id: str
    title: str
    status: CheckStatus
    points: float
    max_points: float
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    bonus: bool = False
    # the notebook (rubric key) whose grader run this check reads: when that run stopped early, a failure
    # here may follow from the stop (grader.report.causes)
    reads_run: str | None = None
    ta_grade: TAGrade | None = None  # only on an item in TA_STATUSES

    @property
    def awaits_ta(self) -> bool:
        """A TA still has to grade it: its points are not in the score yet."""
        return self.status in TA_STATUSES and (self.ta_grade is None or self.ta_grade.stale)

    @property
    def graded_by_ta(self) -> bool:
        """A TA's points are in the score (a grade given to this version of the submission)."""
        return self.status in TA_STATUSES and self.ta_grade is not None and not self.ta_grade.stale


class RunOutcome(BaseModel):
    """How the grader's run of one notebook ended: ``cell`` and ``error`` say where and what stopped it."""

    notebook: str
    status: str
    message: str
    cell: int | None = None
    error: str | None = None


class AuditRecord(BaseModel):
    """One notebook's audit as result.json keeps it (and the report plots it)."""

    verdict: Literal["consistent", "inconsistent", "inconclusive"]
    message: str
    cause: str | None = None  # for an inconclusive audit: what stood in the way
    epoch: int | None = None
    claimed: float | None = None  # the submitted outputs' validation accuracy at ``epoch``
    reproduced: float | None = None  # the fresh process's, of the model stopped at ``epoch``
    band: float | None = None
    claimed_curve: list[float] = Field(default_factory=list)


class Result(BaseModel):
    submission_id: str
    input_sha256: str
    rubric: str
    mode: Mode
    score: float
    max_score: float
    bonus: float = 0.0
    deductions: list[str] = Field(default_factory=list)
    # what re-scoring with a TA's grades needs besides the checks: the files' layout and intake's verdict
    format_ok: bool | None = None  # None: a record written before it was kept (its deductions tell)
    rejection: str | None = None
    checks: list[CheckResult] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    runs: dict[str, RunOutcome] = Field(default_factory=dict)  # by rubric notebook key, in the rubric's order
    sandboxed: bool | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    environment: dict[str, Any] = Field(default_factory=dict)
    audits: dict[str, AuditRecord] = Field(default_factory=dict)  # audit mode, per notebook key


# How a result's deductions say that intake refused the submission (the reason follows)
REJECTION_NOTE = "rejected at intake: "


def rejection_notes(rejection: str | None) -> list[str]:
    """The deduction line of an intake rejection, or none."""
    return [REJECTION_NOTE + rejection] if rejection else []


def write_json_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_result(result: Result, path: Path) -> None:
    write_json_atomically(path, result.model_dump_json(indent=2) + "\n")


def read_result(path: Path) -> Result:
    return Result.model_validate_json(path.read_text(encoding="utf-8"))
