"""What a graded submission left beside its result.json, read for the report: notebooks, curves and logs.

Every artifact may be missing (static mode runs nothing, a batch may have deleted ``work/``) or broken (the
student's notebook is hostile input); each reader returns what it could find and never raises for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.intake import ExpectedFile, IntakeRejected, locate_files
from grader.records import SUBMISSION_DIR
from grader.rubric.model import NotebookSpec, Rubric
from grader.static import load_notebook, parse_stored_outputs

EXECUTED_DIR = "notebooks"
LOGS_DIR = "logs"
LOG_TAIL_LINES = 200
LOG_TAIL_BYTES = 1024 * 1024  # a runaway cell can print gigabytes; only the end is read


@dataclass
class NotebookFiles:
    """One expected notebook: the submitted copy (as located at intake) and the grader's executed copy."""

    spec: NotebookSpec
    submitted: Path | None = None
    executed: Path | None = None


@dataclass
class Curves:
    """Validation accuracy per epoch as printed in the submitted outputs and in the grader's run."""

    spec: NotebookSpec
    claimed: list[float] = field(default_factory=list)
    reproduced: list[float] = field(default_factory=list)
    claimed_best: float | None = None
    reproduced_best: float | None = None


@dataclass
class LogTail:
    name: str
    text: str
    note: str  # how much was left out


def notebook_files(result_dir: Path, rubric: Rubric) -> list[NotebookFiles]:
    """Locate the submitted notebooks with the intake's own tolerant matching, so misnamed files are found."""
    files = [NotebookFiles(spec) for spec in rubric.notebooks]
    root = result_dir / SUBMISSION_DIR
    if root.is_dir():
        expected = [ExpectedFile(spec.key, spec.filename) for spec in rubric.notebooks]
        try:
            located = locate_files(root, expected, None).paths
        except (IntakeRejected, OSError, ValueError):  # the report is still worth writing without them
            located = {}
        for nb in files:
            nb.submitted = located.get(nb.spec.key)
    for nb in files:
        executed = result_dir / EXECUTED_DIR / nb.spec.filename
        nb.executed = executed if executed.is_file() else None
    return files


def read_curves(files: list[NotebookFiles]) -> list[Curves]:
    curves = []
    for nb in files:
        claimed = _stored(nb.submitted, nb.spec.filename)
        reproduced = _stored(nb.executed, nb.spec.filename)
        curves.append(
            Curves(
                spec=nb.spec,
                claimed=claimed.val_accuracies if claimed else [],
                reproduced=reproduced.val_accuracies if reproduced else [],
                claimed_best=claimed.claimed_best_val_accuracy if claimed else None,
                reproduced_best=reproduced.claimed_best_val_accuracy if reproduced else None,
            )
        )
    return curves


def _stored(path: Path | None, name: str):
    if path is None:
        return None
    loaded = load_notebook(path, name)
    return parse_stored_outputs(loaded.nb) if loaded.nb is not None else None


def log_tails(result_dir: Path, lines: int = LOG_TAIL_LINES) -> list[LogTail]:
    """The last LINES lines of each kernel log: the end is where a crash or a timeout shows."""
    tails = []
    for path in sorted((result_dir / LOGS_DIR).glob("*.log")):
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                handle.seek(max(0, size - LOG_TAIL_BYTES))
                data = handle.read()
        except OSError as exc:
            tails.append(LogTail(path.stem, "", f"cannot be read: {exc.strerror}"))
            continue
        all_lines = data.decode("utf-8", errors="replace").splitlines()
        if size > LOG_TAIL_BYTES:
            all_lines = all_lines[1:]  # the first line read is cut
        kept = all_lines[-lines:]
        if size > LOG_TAIL_BYTES:
            note = f"the last {len(kept)} lines of a {size / 2**20:.1f} MB log"
        elif len(kept) < len(all_lines):
            note = f"the last {len(kept)} of {len(all_lines):,} lines"
        else:
            note = f"all {len(kept)} lines"
        tails.append(LogTail(path.stem, "\n".join(kept), note))
    return tails
