"""Grading without execution: claimed accuracy, held-out scoring, file layout, bans, rejected uploads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.pipeline import GradeOptions, grade_submission
from grader.records import read_result
from grader.rubric import resolve_rubric
from tests.crafted import (
    code_notebook,
    hidden_labels,
    submission_folder,
    training_log,
    zip_files,
)
from tests.paths import STUDENT_TEMPLATE
from tools.predictions import write_predictions

LAB1, LAB2, LAB3 = "lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb"


def executed_labs(best: float = 0.72) -> dict:
    return {
        name: code_notebook("import torch", "print('training')", outputs={1: training_log([0.4, best])})
        for name in (LAB1, LAB2, LAB3)
    }


def options(tmp_path: Path, rubric: Path, course: Path | None) -> GradeOptions:
    return GradeOptions(rubric=rubric, out_dir=tmp_path / "out", data_dir=course, mode="static")


def checks_of(result) -> dict:
    return {check.id: check for check in result.checks}


def test_good_static_submission_earns_the_static_points(tmp_path, small_rubric, synthetic_course) -> None:
    truth = hidden_labels(synthetic_course)
    sub = submission_folder(tmp_path / "alice", executed_labs(), write_predictions(truth, tmp_path / "p.csv"))
    result = grade_submission(sub, options(tmp_path, small_rubric, synthetic_course))
    checks = checks_of(result)
    assert checks["lab3.b"].status == "pass" and checks["lab3.b"].points == 12
    assert checks["lab1.f.accuracy"].status == "pass" and checks["lab1.f.accuracy"].evidence["value"] == 0.72
    assert checks["lab2.c.accuracy"].status == "pass"
    assert checks["integrity.resnet"].status == "pass" and checks["executed.lenet5"].status == "pass"
    assert checks["lab1.c"].status == "skipped", "running is not part of static mode"
    assert checks["tf.1.1"].status == "manual" and "answer_key" in checks["tf.1.1"].evidence
    assert result.score == 4 + 2 + 12 and not result.deductions
    assert result.environment["seed"] is None, "nothing ran, so nothing was seeded"
    on_disk = read_result(tmp_path / "out" / "alice" / "result.json")
    assert on_disk == result


def test_low_accuracy_and_partial_holdout_credit(tmp_path, small_rubric, synthetic_course) -> None:
    truth = hidden_labels(synthetic_course)
    guessed = truth.copy()
    guessed[: int(len(truth) * 0.18)] = (truth[: int(len(truth) * 0.18)] + 1) % 10  # 82% right
    sub = submission_folder(
        tmp_path / "bob", executed_labs(best=0.61), write_predictions(guessed, tmp_path / "p.csv")
    )
    checks = checks_of(grade_submission(sub, options(tmp_path, small_rubric, synthetic_course)))
    assert (
        checks["lab1.f.accuracy"].status == "fail"
        and "61.00%, below 63%" in checks["lab1.f.accuracy"].message
    )
    holdout = checks["lab3.b"]
    assert holdout.status == "fail" and holdout.evidence["value"] == pytest.approx(0.82)
    assert holdout.points == pytest.approx(12 * (0.82 - 0.75) / 0.15, abs=0.01)


def test_misnamed_and_missing_files(tmp_path, small_rubric, synthetic_course) -> None:
    labs = executed_labs()
    labs["Lenet5_cifar10 (1).ipynb"] = labs.pop(LAB1)
    del labs[LAB3]
    sub = submission_folder(
        tmp_path / "carol", labs, write_predictions(hidden_labels(synthetic_course), tmp_path / "p.csv")
    )
    result = grade_submission(sub, options(tmp_path, small_rubric, synthetic_course))
    checks = checks_of(result)
    assert checks["lab1.f.accuracy"].status == "pass", "a tolerant match is graded"
    assert (
        checks["executed.resnet"].status == "fail"
        and "resnet-cifar10.ipynb was not found" in checks["executed.resnet"].message
    )
    assert any(f.kind == "file-name" and "Lenet5_cifar10 (1).ipynb" in f.detail for f in result.findings)
    assert any(f.kind == "missing-file" for f in result.findings)
    assert result.deductions and result.deductions[0].startswith("format: -3.6 points (20%")
    assert result.score == pytest.approx((4 + 2 + 12) * 0.8)


def test_pretrained_weights_void_the_accuracy(tmp_path, small_rubric, synthetic_course) -> None:
    labs = executed_labs(best=0.95)
    labs[LAB3] = code_notebook(
        "import torchvision\nnet = torchvision.models.resnet18(weights='IMAGENET1K_V1')",
        "print('x')",
        outputs={1: training_log([0.95])},
    )
    sub = submission_folder(
        tmp_path / "dave", labs, write_predictions(hidden_labels(synthetic_course), tmp_path / "p.csv")
    )
    checks = checks_of(grade_submission(sub, options(tmp_path, small_rubric, synthetic_course)))
    assert checks["integrity.resnet"].status == "fail" and "pretrained" in checks["integrity.resnet"].message
    assert checks["lab3.b"].status == "fail" and checks["lab3.b"].points == 0
    assert "uses pretrained weights" in checks["lab3.b"].message
    assert checks["integrity.lenet5"].status == "pass"


def test_broken_predictions_name_the_line(tmp_path, small_rubric, synthetic_course) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("Id,Label\n0,3\n1,cat\n")
    sub = submission_folder(tmp_path / "erin", executed_labs(), bad)
    checks = checks_of(grade_submission(sub, options(tmp_path, small_rubric, synthetic_course)))
    assert checks["format.predictions"].status == "fail"
    assert "line 3" in checks["format.predictions"].message
    assert checks["lab3.b"].status == "fail" and "cannot score" in checks["lab3.b"].message


def test_hidden_labels_absent_means_holdout_skipped(tmp_path, small_rubric, synthetic_course) -> None:
    sub = submission_folder(
        tmp_path / "fay",
        executed_labs(),
        write_predictions(hidden_labels(synthetic_course), tmp_path / "p.csv"),
    )
    checks = checks_of(grade_submission(sub, options(tmp_path, small_rubric, None)))
    assert checks["lab3.b"].status == "skipped" and "stay with the TAs" in checks["lab3.b"].message


def test_rejected_zip_still_gets_a_result(tmp_path, small_rubric, synthetic_course) -> None:
    evil = zip_files(tmp_path / "mallory.zip", {"../../escape.ipynb": "{}"})
    result = grade_submission(evil, options(tmp_path, small_rubric, synthetic_course))
    assert result.score == 0
    assert any(f.kind == "intake-rejected" for f in result.findings)
    assert all(c.status in ("fail", "manual", "skipped") for c in result.checks)
    assert (tmp_path / "out" / "mallory" / "result.json").is_file()
    assert not (tmp_path.parent / "escape.ipynb").exists()


def test_quick_mode_requires_data(tmp_path, small_rubric) -> None:
    with pytest.raises(GraderError, match=r"--data is required in quick mode"):
        grade_submission(tmp_path, GradeOptions(rubric=small_rubric, out_dir=tmp_path / "o", mode="quick"))


@pytest.mark.parametrize("sample_as_predictions", [False, True])
def test_the_blank_ece661_template_earns_nothing_and_is_accused_of_nothing(
    tmp_path, synthetic_course, sample_as_predictions: bool
) -> None:
    """What a TA gives the handout as it was given out: no points, every notebook unexecuted, no predictions
    (the template's sample is not the student's), and nothing to accuse it of."""
    sub = tmp_path / "blank"
    shutil.copytree(STUDENT_TEMPLATE / "ece661", sub, ignore=shutil.ignore_patterns("tools"))
    if sample_as_predictions:
        shutil.copy(sub / "sample_predictions.csv", sub / "predictions.csv")
    result = grade_submission(sub, options(tmp_path, resolve_rubric("ece661-hw2"), synthetic_course))
    checks = checks_of(result)
    assert result.score == 0
    keys = ("simplenn", "simplenn_dev", "resnet", "save_predictions")
    assert {check.id for check in result.checks if check.status == "pass"} == {f"integrity.{k}" for k in keys}
    assert all(checks[f"executed.{key}"].status == "fail" for key in keys)
    assert checks["lab1.f.accuracy"].status == checks["lab2.c.accuracy"].status == "fail"
    assert checks["lab3.b.format"].status == checks["lab3.b.accuracy"].status == "fail"
    if sample_as_predictions:
        assert "sample" in checks["lab3.b.format"].message
