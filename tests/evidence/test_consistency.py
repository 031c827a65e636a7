"""Contradictions between evidence: printed claims against the measured model, and flags for a TA."""

from __future__ import annotations

import numpy as np
import pytest

from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.evidence.consistency import (
    above_chance,
    chance_bar,
    claim_findings,
    contradicted,
    measured_test_accuracy,
    measured_val_accuracy,
    outcome_findings,
)
from grader.execute.evaluation import ModelEvaluation
from grader.execute.inkernel.fresh_model import NORMALIZED
from grader.records import CheckOutcome
from grader.rubric import load_rubric, resolve_rubric
from grader.static import StoredOutputs

VAL = np.arange(200) % 10


def evidence(right: int, preprocessing: str = "transform_val", printed: float | None = None) -> Evidence:
    """The F20 rubric's evidence, its Lab 1 model measured right on RIGHT of the 200 validation images and
    having printed PRINTED during the grader's run."""
    rubric = load_rubric(resolve_rubric("ece590-hw2-f20"))
    predicted = np.where(np.arange(200) < right, VAL, (VAL + 1) % 10)
    nb = NotebookEvidence(
        rubric.notebook("lenet5"),
        evaluation=ModelEvaluation(True, "rebuilt", preprocessing=preprocessing, val=predicted),
    )
    if printed is not None:
        nb.run_stored = StoredOutputs(
            executed=True, val_accuracies=[printed], claimed_best_val_accuracy=printed
        )
    return Evidence(rubric, "quick", {"lenet5": nb}, Labels(val=VAL))


def test_the_chance_bar_is_three_standard_errors_above_guessing() -> None:
    assert chance_bar(100) == pytest.approx(0.19)
    assert above_chance(0.19, 100) and not above_chance(0.18, 100)
    assert chance_bar(10_000) == pytest.approx(0.109)
    assert not above_chance(1.0, 0)  # no images, no evidence of learning


def test_accuracy_is_measured_over_the_images_both_sides_cover() -> None:
    ev = evidence(150)
    nb = ev.notebooks["lenet5"]
    assert measured_val_accuracy(ev, nb) == pytest.approx(0.75)
    nb.evaluation.val = nb.evaluation.val[:100]  # predictions for the first 100 images only
    assert measured_val_accuracy(ev, nb) == pytest.approx(1.0)
    assert measured_test_accuracy(ev, nb) is None  # no hidden labels of the images the run saw
    ev.labels.run_test, nb.evaluation.test = VAL[:50], VAL[:50]
    assert measured_test_accuracy(ev, nb) == pytest.approx(1.0)
    nb.evaluation = None
    assert measured_val_accuracy(ev, nb) is None


def test_a_printed_accuracy_the_model_does_not_reach_is_an_error_on_the_notebook() -> None:
    ev = evidence(20, printed=0.99)  # measured 10%
    (finding,) = claim_findings(ev)
    nb = ev.notebooks["lenet5"]
    assert finding.kind == "claim-contradicted" and finding.severity == "error"
    assert finding.notebook == "lenet5-cifar10.ipynb" and nb.findings == [finding]
    assert "printed a best validation accuracy of 99.00%" in finding.detail
    assert "measured 10.00%" in finding.detail and "more than 5% apart" in finding.detail
    assert contradicted(nb) is finding


def test_a_claim_within_the_tolerance_or_without_a_measurement_is_no_finding() -> None:
    assert claim_findings(evidence(150, printed=0.79)) == []  # 75% measured, 4 points off
    assert claim_findings(evidence(150)) == []  # the run printed nothing
    unmeasured = evidence(150, printed=0.99)
    unmeasured.notebooks["lenet5"].evaluation = None
    assert claim_findings(unmeasured) == []


def test_under_a_guessed_preprocessing_a_model_above_chance_is_only_a_warning() -> None:
    ev = evidence(100, preprocessing=NORMALIZED, printed=0.99)  # 50%: maybe the guess is wrong
    (finding,) = claim_findings(ev)
    assert finding.severity == "warning" and "had to guess the preprocessing" in finding.detail
    assert contradicted(ev.notebooks["lenet5"]) is None
    (at_chance,) = claim_findings(evidence(20, preprocessing=NORMALIZED, printed=0.99))
    assert at_chance.severity == "error"


def test_implausible_and_memorised_outcomes_are_flagged_once_per_notebook_and_kind() -> None:
    ev = evidence(200)
    implausible = CheckOutcome(status="pass", message="99%", evidence={"value": 0.99, "implausible": True})
    memorised = CheckOutcome(status="fail", message="held-out not counted", evidence={"memorised": True})
    outcomes = {"lab1.f.accuracy": implausible, "lab1.f.learns": memorised}
    found = {f.kind: f for f in outcome_findings(ev, outcomes)}
    assert set(found) == {"implausible-accuracy", "memorised-labels"}
    flag = found["implausible-accuracy"]
    assert flag.severity == "warning" and flag.notebook == "lenet5-cifar10.ipynb"
    assert flag.detail.startswith("lab1.f.accuracy: 99.00% is above the 80% this model reaches in practice")
    assert found["memorised-labels"].severity == "error"
    assert found["memorised-labels"].detail == "lenet5-cifar10.ipynb: held-out not counted"
    twice = {"lab1.f.accuracy": memorised, "lab1.f.learns": memorised}
    assert [f.kind for f in outcome_findings(ev, twice)] == ["memorised-labels"]
    assert outcome_findings(ev, {"lab1.f.accuracy": CheckOutcome(status="pass", message="fine")}) == []


def test_the_measured_model_may_be_any_printed_epochs_state_of_a_dev_notebooks_runs() -> None:
    """A dev notebook prints a sweep's best (36%) and ends on a weaker model whose epochs printed 19-27%:
    the exported weights are one of those states, so the run is consistent; a figure no epoch printed near
    the measurement is still contradicted."""
    ev = evidence(56)  # 28% measured on 200 images
    runs = [0.30, 0.362, 0.33, 0.194, 0.27]
    ev.notebooks["lenet5"].run_stored = StoredOutputs(
        executed=True,
        val_accuracies=runs,
        claimed_best_val_accuracy=0.362,
        best_runs=[(17, 0.362), (19, 0.27)],
    )
    assert claim_findings(ev) == []
    ev.notebooks["lenet5"].run_stored.val_accuracies = [0.80, 0.95, 0.99]
    ev.notebooks["lenet5"].run_stored.claimed_best_val_accuracy = 0.99
    ev.notebooks["lenet5"].run_stored.best_runs = [(17, 0.99)]
    (finding,) = claim_findings(ev)
    assert "printed a best validation accuracy of 99.00% (last 99.00%)" in finding.detail
