"""A timed-out run that was making progress is run again alone, once, and both attempts are evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader import pipeline
from grader.execute import ExecutionReport
from grader.pipeline import GradeOptions, grade_submission
from tests.crafted import code_notebook, submission_folder


class IdleFresh:
    """The fresh process, never started: these runs export no weights."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def cancel(self) -> None:
        pass


def fake_runs(monkeypatch: pytest.MonkeyPatch, outcomes: dict[str, list[tuple[str, bool]]]) -> list[str]:
    """run_notebook replaced by one that ends each notebook's runs as OUTCOMES lists (status, progressing)."""
    calls: list[str] = []

    def run_notebook(path: Path, spec: Any, **kwargs: Any) -> ExecutionReport:
        calls.append(path.name)
        status, progressing = outcomes[path.name].pop(0)
        message = "cell 3 exceeded its 300 s limit" if status == "cell-timeout" else "ran to the end"
        return ExecutionReport(
            notebook=str(path),
            status=status,
            message=message,
            sandboxed=False,
            failed_cell=3 if status == "cell-timeout" else None,
            progressing=progressing,
        )

    monkeypatch.setattr(pipeline, "run_notebook", run_notebook)
    monkeypatch.setattr(pipeline, "FreshProcess", IdleFresh)
    return calls


def grade(tmp_path: Path, rubric: Path, course: Path) -> dict[str, Any]:
    notebooks = {
        "lenet5-cifar10.ipynb": code_notebook("EPOCHS = 30"),
        "resnet-cifar10.ipynb": code_notebook("EPOCHS = 30"),
    }
    src = submission_folder(tmp_path / "alice", notebooks, None)
    options = GradeOptions(
        rubric=rubric, out_dir=tmp_path / "out", data_dir=course, mode="quick", sandbox=False
    )
    return {check.id: check for check in grade_submission(src, options).checks}


def test_a_progressing_timeout_is_retried_alone_and_the_second_attempt_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_rubric: Path, synthetic_course: Path
) -> None:
    calls = fake_runs(
        monkeypatch,
        {
            "lenet5-cifar10.ipynb": [("cell-timeout", True), ("ok", None)],  # slow on a loaded machine
            "resnet-cifar10.ipynb": [("cell-timeout", False), ("ok", None)],  # silent: a hang, not retried
        },
    )
    checks = grade(tmp_path, small_rubric, synthetic_course)
    assert calls == ["lenet5-cifar10.ipynb", "lenet5-cifar10.ipynb", "resnet-cifar10.ipynb"]
    runs = checks["lab1.c"]
    assert runs.status == "pass"
    assert [a["status"] for a in runs.evidence["attempts"]] == ["cell-timeout", "ok"]
    assert checks["lab3.a.params"].status == "fail" and "cell-timeout" in checks["lab3.a.params"].message


def test_a_second_timeout_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_rubric: Path, synthetic_course: Path
) -> None:
    fake_runs(
        monkeypatch,
        {
            "lenet5-cifar10.ipynb": [("cell-timeout", True), ("cell-timeout", True)],
            "resnet-cifar10.ipynb": [("ok", None)],
        },
    )
    checks = grade(tmp_path, small_rubric, synthetic_course)
    assert checks["lab1.c"].status == "fail" and "cell-timeout" in checks["lab1.c"].message
