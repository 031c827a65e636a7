"""The per-student report: ``OUT/<submission-id>/report.html``, one self-contained page a TA can hand out.

It shows the score and how it came about (every rubric item with its evidence), what the integrity scan
found, the claimed training curve against the grader's run and the hidden-test accuracy, the end of each
kernel log, and links to the notebooks rendered as HTML beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grader.errors import GraderError
from grader.records import RESULT_FILE, CheckResult, Result, read_result, write_json_atomically
from grader.report.artifacts import Curves, NotebookFiles, log_tails, notebook_files, read_curves
from grader.report.causes import Grouped, group_failures
from grader.report.nbhtml import RAN, SUBMITTED, write_notebook_html
from grader.report.plots import curves_png
from grader.report.render import link, render_template
from grader.rubric.model import Rubric

REPORT_FILE = "report.html"
_STATUSES = ("pass", "fail", "error", "skipped", "manual", "inconclusive")


@dataclass
class AccuracyRow:
    """One notebook's accuracies as fractions; None where this mode or this submission gives none."""

    filename: str
    claimed: float | None = None  # best validation accuracy in the submitted outputs
    printed_in_run: float | None = None  # best validation accuracy the grader's run printed
    measured: float | None = None  # computed by the grader from the run's predictions
    measured_on: str = ""
    hidden_test: float | None = None

    @property
    def empty(self) -> bool:
        values = (self.claimed, self.printed_in_run, self.measured, self.hidden_test)
        return all(value is None for value in values)


def render_student_report(result_dir: Path, rubric: Rubric, *, answer_keys: bool = False) -> Path:
    """Write ``RESULT_DIR/report.html`` (and the notebooks as HTML beside it); return the report's path.

    Answer keys of manual items stay out unless ANSWER_KEYS: the report may reach students before the
    deadline.
    """
    result_dir = Path(result_dir)
    result = _read(result_dir / RESULT_FILE)
    files = notebook_files(result_dir, rubric)
    curves = read_curves(files)
    accuracy = accuracy_rows(result, rubric, curves)
    hidden = {spec.key: row.hidden_test for spec, row in zip(rubric.notebooks, accuracy, strict=True)}
    grouped = group_failures(result)
    page = render_template(
        "student.html.j2",
        result=result,
        rubric=rubric,
        checks=[_check_row(check, answer_keys, grouped) for check in result.checks],
        causes=grouped.causes,
        counts={status: sum(c.status == status for c in result.checks) for status in _STATUSES},
        manual_points=sum(c.max_points for c in result.checks if c.awaits_ta),
        ta_points=sum(c.points for c in result.checks if c.graded_by_ta),
        rejections=[f.detail for f in result.findings if f.kind == "intake-rejected"],
        findings=[f for f in result.findings if f.kind != "intake-rejected"],
        accuracy=[row for row in accuracy if not row.empty],
        audits=_audit_lines(result, rubric),
        curves_png=curves_png(curves, {k: v for k, v in hidden.items() if v is not None}, result.audits),
        notebooks=_notebook_pages(result_dir, files),
        logs=log_tails(result_dir),
    )
    path = result_dir / REPORT_FILE
    write_json_atomically(path, page)
    return path


def _read(path: Path) -> Result:
    try:
        return read_result(path)
    except FileNotFoundError:
        raise GraderError(f"{path} does not exist: grade the submission first") from None
    except (ValidationError, OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path} is not a readable result record: {exc}") from None


def _check_row(check: CheckResult, answer_keys: bool, grouped: Grouped) -> dict[str, Any]:
    evidence = {k: v for k, v in check.evidence.items() if answer_keys or k != "answer_key"}
    cause = grouped.cause_of(check.id)
    return {"check": check, "evidence": evidence, "follows_from": cause.what if cause else None}


def accuracy_rows(result: Result, rubric: Rubric, curves: list[Curves]) -> list[AccuracyRow]:
    """Per rubric notebook: claimed vs reproduced vs hidden-test accuracy, from the checks' evidence."""
    items = {item.id: item for item in rubric.items}
    rows = {
        curve.spec.key: AccuracyRow(curve.spec.filename, curve.claimed_best, curve.reproduced_best)
        for curve in curves
    }
    for check in result.checks:
        item = items.get(check.id)
        value = _number(check.evidence.get("value"))
        if item is None:
            continue
        if item.check == "holdout_accuracy" and rubric.predictions is not None:
            rows[rubric.predictions.produced_by].hidden_test = value
        elif item.check == "val_accuracy" and item.notebook in rows:
            row = rows[item.notebook]
            claimed = _number(check.evidence.get("claimed"))
            row.claimed = claimed if claimed is not None else row.claimed
            if str(check.evidence.get("source", "")).startswith("computed"):
                row.measured, row.measured_on = value, "validation set"
        elif item.check == "learns" and item.notebook in rows and rows[item.notebook].measured is None:
            images = check.evidence.get("images")
            rows[item.notebook].measured = value
            rows[item.notebook].measured_on = f"{result.mode} run" + (f", {images} images" if images else "")
    return [rows[spec.key] for spec in rubric.notebooks]


def _audit_lines(result: Result, rubric: Rubric) -> list[dict[str, str]]:
    """Audit mode's verdict per notebook, in the rubric's order."""
    return [
        {"filename": spec.filename, "verdict": audit.verdict, "message": audit.message}
        for spec in rubric.notebooks
        if (audit := result.audits.get(spec.key)) is not None
    ]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _notebook_pages(result_dir: Path, files: list[NotebookFiles]) -> list[dict[str, Any]]:
    """The grader's executed copy if there is one, else the submitted notebook, as HTML beside the report."""
    pages = []
    for nb in files:
        source, kind = (nb.executed, "run by the grader") if nb.executed else (nb.submitted, "as submitted")
        entry: dict[str, Any] = {"filename": nb.spec.filename, "lab": nb.spec.lab, "kind": kind}
        if source is None:
            entry["problem"] = "not run by the grader and not found in the kept submission files"
        else:
            suffix = "" if nb.executed else ".submitted"
            name = Path(nb.spec.filename).stem + suffix + ".html"
            problem = write_notebook_html(
                source,
                result_dir / "notebooks" / name,
                nb.spec.filename,
                f"{nb.spec.lab}, {kind}",
                copy=RAN if nb.executed else SUBMITTED,
            )
            entry["problem"] = problem
            entry["href"] = None if problem else link("notebooks", name)
        pages.append(entry)
    return pages
