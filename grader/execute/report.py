"""What one execution of a notebook is: the mutable record the run fills in as it goes, and the report it ends
in, which the rest of the grader reads."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from pydantic import BaseModel, Field

from grader.execute.channels import Channel
from grader.execute.sandbox import SandboxSpec
from grader.execute.watchdog import Watchdog

Status = t.Literal[
    "ok",
    "cell-error",
    "cell-timeout",
    "notebook-timeout",
    "kernel-died",
    "out-of-memory",
    "too-many-processes",
    "disk-quota",
    "sandbox-unavailable",
    "invalid-notebook",
    "grader-error",
]


class CellError(BaseModel):
    """The exception a cell raised, as the kernel named it: the grader tells an import the environment could
    not serve from a student's mistake by it."""

    name: str
    value: str


class ExecutionReport(BaseModel):
    """What happened to one notebook; paths are absolute, prediction arrays are loaded by the caller."""

    notebook: str
    status: Status
    message: str
    sandboxed: bool
    seed: int | None = None  # the kernel's random generators were seeded with it before the first cell
    failed_cell: int | None = None
    error: CellError | None = None  # what the failed cell raised (status cell-error)
    cells_executed: int = 0  # code cells sent to the kernel, the one that failed included
    executed_notebook: str | None = None  # in artifacts_dir, written by the grader
    guard_events: list[dict[str, t.Any]] = Field(default_factory=list)
    probe: dict[str, t.Any] | None = None  # the kernel's claims, section by section, with "errors"
    probe_error: str | None = None
    state_dict: str | None = None  # the exported weights, in artifacts_dir, written by the grader
    trained_state_dicts: str | None = None  # the other trained models' weights (the probes' "trained")
    overrides_applied: list[dict[str, t.Any]] = Field(default_factory=list)
    # what an earlier notebook's run wrote, copied into this run's work folder by the grader: path -> notebook
    inherited: dict[str, str] = Field(default_factory=dict)
    # cell errors that trace to a quick-mode change (grader.execute.quick_faults): the run went on past them
    quick_mode_errors: list[dict[str, t.Any]] = Field(default_factory=list)
    # the timed-out cell had printed something: a run making progress, not a hang (a retry may be due)
    progressing: bool | None = None
    attempts: list[dict[str, t.Any]] = Field(default_factory=list)  # earlier attempts of this run, in order
    epochs_seen: int = 0  # validation-accuracy lines the run printed (counted as they streamed)
    # audit mode: the grader stopped the run (an interrupt) once it had printed this many epochs
    stopped_after_epochs: int | None = None
    notes: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    kernel_start_s: float | None = None
    peak_memory_mb: float | None = None
    peak_processes: int | None = None
    log_path: str | None = None
    stdout_tail: str = ""


@dataclasses.dataclass
class RunRecord:
    """Mutable state of one execution, filled in as it goes and turned into the report at the end."""

    notebook: Path
    spec: SandboxSpec
    sandboxed: bool
    work: Path  # spec.work_dir, links resolved
    artifacts: Path  # the grader's own folder for this run, outside every mount
    events: Channel
    reports: Channel
    nonce: str
    seed: int | None = None
    status: Status = "ok"
    message: str = ""
    failed_cell: int | None = None
    error: CellError | None = None
    cells_executed: int = 0
    probe_error: str | None = None
    kernel_start_s: float | None = None
    overrides_applied: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    inherited: dict[str, str] = dataclasses.field(default_factory=dict)
    quick_mode_errors: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    progressing: bool | None = None
    epochs_seen: int = 0
    stopped_after_epochs: int | None = None
    executed_notebook: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    cell_starts: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    probes_start: float | None = None
    watchdog: Watchdog | None = None

    def __post_init__(self) -> None:
        # the numbers the kernel inherits the pipes' write ends under (the grader closes its own copies)
        self.events_fd, self.reports_fd = self.events.write_fd, self.reports.write_fd

    def fail(self, status: Status, message: str, cell: int | None = None) -> None:
        self.status, self.message, self.failed_cell = status, message, cell


def one_line(exc: BaseException) -> str:
    """An exception as the one short line a report's message quotes."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:300] if lines else ""
