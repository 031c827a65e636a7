"""An import the environment could not serve is a finding for a TA, not the student's failure; the rule of
who is at fault goes by the module the error names."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.evidence.environment import import_failure
from grader.execute.report import CellError, ExecutionReport
from grader.rubric.model import DEFAULT_PACKAGES


def stopped_at(name: str, value: str) -> ExecutionReport:
    return ExecutionReport(
        notebook="lab.ipynb",
        status="cell-error",
        message=f"cell 2 raised {name}: {value}",
        sandboxed=True,
        failed_cell=2,
        error=CellError(name=name, value=value),
    )


def test_a_package_outside_the_environment_is_an_environment_finding(tmp_path: Path) -> None:
    failure = import_failure(
        stopped_at("ModuleNotFoundError", "No module named 'some_unknown_pkg'"), DEFAULT_PACKAGES, tmp_path
    )
    assert failure is not None and (failure.module, failure.cause, failure.cell) == (
        "some_unknown_pkg",
        "environment",
        2,
    )
    assert "cell 2 imports some_unknown_pkg, which the course environment does not provide" in failure.message
    assert "torchsummary" in failure.message


def test_a_package_of_the_environment_is_named_as_pip_knows_it(tmp_path: Path) -> None:
    report = stopped_at("ModuleNotFoundError", "No module named 'sklearn.not_in_this_version'")
    failure = import_failure(report, DEFAULT_PACKAGES, tmp_path)
    assert failure is not None and failure.cause == "environment"
    assert "of the course environment's scikit-learn" in failure.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ModuleNotFoundError", "No module named 'tomllib.nothing'"),  # the standard library
        ("ModuleNotFoundError", "No module named 'models'"),  # the submission's own models.py
        ("ModuleNotFoundError", "No module named 'tools.mine'"),  # not a course module, not submitted
        ("NameError", "name 'sns' is not defined"),
        ("ImportError", "attempted relative import with no known parent package"),
    ],
)
def test_the_students_own_mistakes_stay_theirs(tmp_path: Path, name: str, value: str) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "models.py").write_text("import torch\n")
    assert import_failure(stopped_at(name, value), DEFAULT_PACKAGES, tmp_path) is None


def test_a_students_tools_module_the_course_tools_hide_is_the_harnesss(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "helpers.py").write_text("X = 1\n")
    report = stopped_at("ModuleNotFoundError", "No module named 'tools.helpers'")
    failure = import_failure(report, DEFAULT_PACKAGES, tmp_path)
    assert failure is not None and failure.cause == "harness"
    assert "tools/helpers is hidden by the course's tools package" in failure.message


def test_a_run_that_stopped_otherwise_has_no_import_failure(tmp_path: Path) -> None:
    report = ExecutionReport(notebook="lab.ipynb", status="cell-timeout", message="late", sandboxed=True)
    assert import_failure(report, DEFAULT_PACKAGES, tmp_path) is None


def test_colab_stand_ins_and_cuda_on_the_cpu_are_noted_for_a_ta(tmp_path: Path) -> None:
    from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
    from grader.evidence.environment import environment_findings
    from grader.rubric import load_rubric, resolve_rubric

    rubric = load_rubric(resolve_rubric("ece661-hw2"))
    run = ExecutionReport(notebook="resnet20-cifar10.ipynb", status="ok", message="ran", sandboxed=True)
    run.guard_events = [
        {
            "kind": "colab",
            "action": "stood-in",
            "detail": "drive.mount('/content/drive'): not mounted",
            "cell": 3,
        },
        {"kind": "cuda-on-cpu", "action": "mapped", "detail": ".cuda()", "cell": 7},
    ]
    nb = NotebookEvidence(rubric.notebook("resnet"), run=run)
    findings = environment_findings(Evidence(rubric, "quick", {"resnet": nb}, Labels()), tmp_path)
    by_kind = {f.kind: f for f in findings}
    assert set(by_kind) == {"colab", "cuda-on-cpu"} and nb.import_failure is None
    assert by_kind["colab"].severity == "info" and by_kind["colab"].cell == 3
    assert "drive.mount('/content/drive')" in by_kind["colab"].detail and "Drive" in by_kind["colab"].detail
