"""Failures grouped under the stopped run they follow from, in the pre-check, the report and the dashboard."""

from __future__ import annotations

from pathlib import Path

from grader.records import RunOutcome
from grader.report import render_dashboard, render_student_report
from grader.report.causes import group_failures
from tests.report.helpers import F20, make_result, write_batch

LENET_STOPPED = RunOutcome(
    notebook="lenet5-cifar10.ipynb",
    status="cell-error",
    message="cell 4 raised NotImplementedError: your code",
    cell=4,
    error="NotImplementedError: your code",
)
RESNET_TIMED_OUT = RunOutcome(
    notebook="resnet-cifar10.ipynb",
    status="notebook-timeout",
    message="the notebook exceeded its 600 s limit while running cell 12",
    cell=12,
)
FINE = RunOutcome(notebook="lenet5-cifar10-dev.ipynb", status="ok", message="ran to the end")
LENET_RUN_CHECKS = ("lab1.c", "lab1.e.criterion", "lab1.e.optimizer", "lab1.f.params")


def test_one_stopped_run_leads_and_its_failures_sit_under_it() -> None:
    # integrity.lenet5 reads the notebook, not its run: it stands alone even though the run stopped
    result = make_result(
        "blank",
        failing=(*LENET_RUN_CHECKS, "integrity.lenet5"),
        runs={"lenet5": LENET_STOPPED, "lenet5_dev": FINE},
    )
    grouped = group_failures(result)
    assert len(grouped.causes) == 1
    (cause,) = grouped.causes
    assert [c.id for c in cause.checks] == list(LENET_RUN_CHECKS)
    assert cause.headline == (
        "Fix this first: lenet5-cifar10.ipynb cell 4 raised NotImplementedError: your code — "
        "4 checks below depend on it"
    )
    assert [c.id for c in grouped.independent] == ["integrity.lenet5"]


def test_two_independent_stops_are_two_causes_and_a_run_that_finished_is_none() -> None:
    result = make_result(
        "two",
        failing=("lab1.e.optimizer", "lab2.a.augmentation", "lab3.a.params"),
        runs={"lenet5": LENET_STOPPED, "lenet5_dev": FINE, "resnet": RESNET_TIMED_OUT},
    )
    grouped = group_failures(result)
    assert [(c.key, [check.id for check in c.checks]) for c in grouped.causes] == [
        ("lenet5", ["lab1.e.optimizer"]),
        ("resnet", ["lab3.a.params"]),
    ]
    assert grouped.causes[1].what == f"resnet-cifar10.ipynb: {RESNET_TIMED_OUT.message}"
    assert grouped.causes[0].headline.endswith("— 1 check below depends on it")
    # the dev notebook ran to the end: its failure is its own
    assert [c.id for c in grouped.independent] == ["lab2.a.augmentation"]


def test_the_report_and_the_dashboard_lead_with_the_cause(tmp_path: Path) -> None:
    stopped = make_result("stopped", failing=LENET_RUN_CHECKS, runs={"lenet5": LENET_STOPPED})
    clean = make_result("clean", runs={"lenet5": FINE})
    out = write_batch(tmp_path / "out", stopped, clean)
    page = render_student_report(out / "stopped", F20).read_text(encoding="utf-8")
    first = page.split("<h2>Fix first</h2>")[1].split("</section>")[0]
    assert "Fix this first: lenet5-cifar10.ipynb cell 4 raised NotImplementedError: your code" in first
    assert all(check in first for check in LENET_RUN_CHECKS)
    assert page.index("<h2>Fix first</h2>") < page.index("<h2>Rubric</h2>")
    assert page.count("follows from: lenet5-cifar10.ipynb cell 4") == len(LENET_RUN_CHECKS)
    assert "<h2>Fix first</h2>" not in render_student_report(out / "clean", F20).read_text(encoding="utf-8")

    rows = render_dashboard(out, F20).read_text(encoding="utf-8").split("<h2>Submissions</h2>")[1]
    stopped_row = next(row for row in rows.split("<tr>") if ">stopped<" in row)
    assert "lenet5-cifar10.ipynb cell 4 raised NotImplementedError: your code (4 of the failed" in stopped_row
    clean_row = next(row for row in rows.split("<tr>") if ">clean<" in row)
    assert "raised" not in clean_row
