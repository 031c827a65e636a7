"""Grading in quick mode, end to end: notebooks run in the sandbox, the probes report, the grader scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute import sandbox_available
from grader.execute.runner import RUN_SEED
from grader.pipeline import GradeOptions, grade_submission
from grader.samples.submissions import broken_submission, pretrained_submission, template_submission

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox_available(), reason="bubblewrap (bwrap) is not installed"),
]


def quick(tmp_path: Path, rubric: Path, course: Path) -> GradeOptions:
    return GradeOptions(rubric=rubric, out_dir=tmp_path / "out", data_dir=course, mode="quick")


def by_id(result) -> dict:
    return {check.id: check for check in result.checks}


def test_reference_gets_every_automatic_point(tmp_path, reference_sample, e2e_rubric, e2e_course) -> None:
    result = grade_submission(reference_sample, quick(tmp_path, e2e_rubric, e2e_course))
    automatic = [c for c in result.checks if c.status not in ("manual", "skipped")]
    not_passed = {c.id: c.message for c in automatic if c.status != "pass"}
    assert not not_passed
    assert result.score == sum(c.max_points for c in automatic if not c.bonus)
    assert result.sandboxed is True and not result.deductions
    assert result.environment["seed"] == RUN_SEED, "every notebook ran seeded"
    checks = by_id(result)
    assert checks["lab3.a.params"].evidence["value"] == 269_722
    assert checks["lab1.f.params"].evidence["value"] == 62_006
    assert checks["lab3.b"].evidence["value"] >= 0.90
    assert (tmp_path / "out" / "reference" / "notebooks" / "resnet-cifar10.ipynb").is_file()


def test_unfilled_template_fails_clearly(tmp_path, e2e_rubric, e2e_course) -> None:
    result = grade_submission(
        template_submission(tmp_path / "template"), quick(tmp_path, e2e_rubric, e2e_course)
    )
    checks = by_id(result)
    assert checks["lab1.c"].status == "fail" and "NotImplementedError" in checks["lab1.c"].message
    assert checks["lab1.f.params"].status == "fail"
    assert checks["lab3.b"].status == "fail"
    assert result.score == 0


def test_broken_submission(tmp_path, reference_sample, e2e_rubric, e2e_course) -> None:
    broken = broken_submission(reference_sample, tmp_path / "broken")
    result = grade_submission(broken, quick(tmp_path, e2e_rubric, e2e_course))
    checks = by_id(result)
    assert checks["lab1.c"].status == "fail" and "undefined_helper" in checks["lab1.c"].message
    assert checks["lab2.b.batchnorm"].status == "pass", "the misnamed Lab 2 notebook is still graded"
    assert checks["format.predictions"].status == "fail" and "comma" in checks["format.predictions"].message
    assert result.deductions and result.deductions[0].startswith("format:")


def test_pretrained_weights_are_blocked_and_voided(
    tmp_path, reference_sample, e2e_rubric, e2e_course
) -> None:
    cheat = pretrained_submission(reference_sample, tmp_path / "cheat")
    result = grade_submission(cheat, quick(tmp_path, e2e_rubric, e2e_course))
    checks = by_id(result)
    assert checks["integrity.resnet"].status == "fail"
    assert checks["lab3.b"].status == "fail" and "pretrained" in checks["lab3.b"].message
    assert "blocked at run time: torchvision.weights" in checks["integrity.resnet"].message
