"""Each check kind on crafted evidence: the verdict and the sentence a student reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks import CHECKS, evaluate
from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.evidence.consistency import claim_findings, outcome_findings
from grader.execute import ExecutionReport
from grader.execute.evaluation import ModelEvaluation
from grader.rubric.item import Item
from grader.rubric.model import IntegritySpec, NotebookSpec, PredictionsSpec
from grader.static import LoadedNotebook, StoredOutputs
from grader.static.predictions import Predictions
from tests.crafted import code_notebook

LENET_BN = [
    {"name": "conv1", "type": "Conv2d", "batchnorm_after": True},
    {"name": "conv2", "type": "Conv2d", "batchnorm_after": True},
    {"name": "fc1", "type": "Linear", "batchnorm_after": True},
    {"name": "fc2", "type": "Linear", "batchnorm_after": True},
    {"name": "fc3", "type": "Linear", "batchnorm_after": False},
]
GOOD_PROBE: dict[str, Any] = {
    "errors": {},
    "model": {
        "class_name": "LeNet5",
        "output_shape": [2, 10],
        "trainable_parameters": 62006,
        "stages": [
            {"name": f"layer{i}", "blocks": 3, "out_channels": c} for i, c in ((1, 16), (2, 32), (3, 64))
        ],
        "batchnorm": LENET_BN,
        "activations": [{"type": "Swish", "max_abs_diff_swish": 0.0, "max_abs_diff_relu": 0.27}],
        "layers": [],
    },
    "optimizer": {"variable": "optimizer", "class_name": "SGD", "momentum": 0.9, "weight_decay": 1e-4},
    "criterion": {"variable": "criterion", "class_name": "CrossEntropyLoss"},
    "transforms": {
        "transform_train": [
            {"type": t} for t in ("RandomCrop", "RandomHorizontalFlip", "ToTensor", "Normalize")
        ],
        "transform_val": [{"type": t} for t in ("ToTensor", "Normalize")],
    },
}
ITEMS = {
    "model_shape": {"classes": 10},
    "model_params": {"expected": 62006, "tolerance": 0},
    "resnet_structure": {"stage_channels": [16, 32, 64], "blocks_per_stage": 3},
    "optimizer": {"type": "SGD", "momentum": 0.9, "require_weight_decay": True},
    "criterion": {"type": "CrossEntropyLoss"},
    "augmentation": {"variables": ["transform_train"], "requires": ["RandomCrop", "RandomHorizontalFlip"]},
    "batchnorm": {"min_layers": 4},
    "swish": {},
    "runs": {},
    "learns": {},
}


def item(check: str, **params: Any) -> Item:
    return Item(id=f"x.{check}", title=check, points=1, check=check, notebook="lab", params=params)


def evidence(probe: dict | None = None, status: str = "ok", mode: str = "quick", **extra: Any) -> Evidence:
    val = np.arange(300) % 10
    nb = NotebookEvidence(
        spec=NotebookSpec(key="lab", filename="lab.ipynb", lab="Lab"),
        path=Path("lab.ipynb"),
        loaded=LoadedNotebook(nb=code_notebook("x = 1")),
        stored=StoredOutputs(executed=True),
        run=ExecutionReport(
            notebook="lab.ipynb",
            status=status,
            message=f"the run ended: {status}",
            sandboxed=True,
            probe=probe,
        ),
        # the fresh process describes the model as the probe fixtures do, and predicts the val images
        evaluation=ModelEvaluation(
            True,
            "measured in a fresh process",
            model=(probe or {}).get("model"),
            val=extra.pop("val_predictions", val.copy()),
            test=extra.pop("test_predictions", None),
        ),
    )
    return Evidence(rubric=None, mode=mode, notebooks={"lab": nb}, labels=Labels(val=val), **extra)


def probe_with(section: str, **changes: Any) -> dict:
    probe = {key: (dict(value) if isinstance(value, dict) else value) for key, value in GOOD_PROBE.items()}
    probe[section] = {**probe[section], **changes}
    return probe


@pytest.mark.parametrize("check", sorted(ITEMS))
def test_good_evidence_passes(check: str) -> None:
    outcome = CHECKS[check](evidence(GOOD_PROBE), item(check, **ITEMS[check]))
    assert outcome.status == "pass", outcome.message


@pytest.mark.parametrize("check", sorted(ITEMS))
@pytest.mark.parametrize("status", ["cell-timeout", "kernel-died", "out-of-memory"])
def test_a_fatal_run_fails_every_run_check(check: str, status: str) -> None:
    outcome = CHECKS[check](evidence(GOOD_PROBE, status=status), item(check, **ITEMS[check]))
    assert outcome.status == "fail" and status in outcome.message


BAD = [
    (
        "model_shape",
        probe_with("model", output_shape=[2, 84]),
        "maps (2, 3, 32, 32) to [2, 84], expected [2, 10]",
    ),
    (
        "model_params",
        probe_with("model", trainable_parameters=61706),
        "61,706 trainable parameters; expected 62,006",
    ),
    (
        "resnet_structure",
        probe_with("model", stages=[{"name": "layer1", "blocks": 2, "out_channels": 16}]),
        "found 2 blocks at 16",
    ),
    ("optimizer", probe_with("optimizer", class_name="Adam", momentum=None), "it is Adam, expected SGD"),
    ("optimizer", probe_with("optimizer", weight_decay=0.0), "weight_decay is 0"),
    ("criterion", probe_with("criterion", class_name="NLLLoss"), "is NLLLoss, expected CrossEntropyLoss"),
    ("augmentation", probe_with("transforms", transform_train=[{"type": "ToTensor"}]), "lacks RandomCrop"),
    (
        "batchnorm",
        probe_with("model", batchnorm=[{**LENET_BN[0], "batchnorm_after": False}, *LENET_BN[1:]]),
        "conv1",
    ),
    (
        "swish",
        probe_with("model", activations=[{"type": "ReLU6", "max_abs_diff_swish": 0.4}]),
        "x*sigmoid(x)",
    ),
]


@pytest.mark.parametrize(("check", "probe", "says"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)])
def test_bad_evidence_fails_with_a_reason(check: str, probe: dict, says: str) -> None:
    outcome = CHECKS[check](evidence(probe), item(check, **ITEMS[check]))
    assert outcome.status == "fail" and says in outcome.message


def test_learns_needs_more_than_chance() -> None:
    chance = np.zeros(300, dtype=np.int64)  # always class 0: 10% on balanced labels
    outcome = CHECKS["learns"](evidence(GOOD_PROBE, val_predictions=chance), item("learns"))
    assert outcome.status == "fail" and "not above chance" in outcome.message
    assert outcome.evidence["value"] == pytest.approx(0.1)


def test_a_cell_error_still_lets_the_probe_evidence_count() -> None:
    ev = evidence(GOOD_PROBE, status="cell-error")
    assert CHECKS["model_params"](ev, item("model_params", expected=62006)).status == "pass"
    assert CHECKS["runs"](ev, item("runs")).status == "fail"


def test_held_out_and_agreement_checks() -> None:
    truth = np.arange(100) % 10
    submitted = truth.copy()
    submitted[:5] = (submitted[:5] + 1) % 10
    rubric = type("R", (), {"predictions": PredictionsSpec(headers=[("Id", "Label")], produced_by="lab")})()
    ev = evidence(
        GOOD_PROBE, mode="full", predictions=Predictions(labels=submitted, header=("Id", "Label"), notes=[])
    )
    ev.rubric, ev.labels.test = rubric, truth
    ev.notebooks["lab"].evaluation.test = truth
    holdout = Item(id="h", title="h", points=1, check="holdout_accuracy", params={"threshold": 0.9})
    assert CHECKS["holdout_accuracy"](ev, holdout).evidence["value"] == pytest.approx(0.95)
    agree = Item(id="a", title="a", points=1, check="predictions_agreement", params={"min_agreement": 0.99})
    outcome = CHECKS["predictions_agreement"](ev, agree)
    assert outcome.status == "fail" and "95.0%" in outcome.message


def test_a_crashing_check_is_an_error_not_a_pass() -> None:
    ev = evidence({"errors": {}, "model": {"class_name": "Net"}})  # no output_shape, no counts
    outcomes = evaluate(ev, [item("model_params", expected=1)])
    assert outcomes["x.model_params"].status == "error" and "KeyError" in outcomes["x.model_params"].message


def _with_integrity(ev: Evidence) -> Evidence:
    ev.rubric = type("R", (), {"integrity": IntegritySpec(), "items": []})()
    return ev


def test_validation_far_above_held_out_is_memorisation_and_not_counted() -> None:
    val = np.arange(300) % 10
    ev = _with_integrity(evidence(GOOD_PROBE, test_predictions=np.zeros(200, dtype=np.int64)))
    ev.labels.run_test = np.arange(200) % 10  # perfect on validation, chance (10%) on held-out
    outcome = CHECKS["learns"](ev, item("learns"))
    assert outcome.status == "fail" and "held-out" in outcome.message and "not counted" in outcome.message
    assert outcome.evidence["held_out"] == pytest.approx(0.1)
    ev.rubric.items = [item("learns")]
    (flag,) = outcome_findings(ev, {"x.learns": outcome})
    assert flag.kind == "memorised-labels" and flag.severity == "error" and flag.notebook == "lab.ipynb"
    ev.notebooks["lab"].evaluation.test = val[:200]  # the same accuracy on both: it learned
    assert CHECKS["learns"](ev, item("learns")).status == "pass"


def test_a_model_the_grader_cannot_rebuild_is_an_error_for_a_ta_not_a_failure() -> None:
    ev = evidence(GOOD_PROBE)
    ev.notebooks["lab"].evaluation = ModelEvaluation(False, "could not rebuild LeNet5 in a fresh process")
    for check in ("model_params", "learns"):
        outcome = CHECKS[check](ev, item(check, **ITEMS[check]))
        assert outcome.status == "error" and "grader-side" in outcome.message, check


def test_a_rebuilt_model_that_fails_on_the_images_is_the_students_failure() -> None:
    ev = evidence(GOOD_PROBE)
    ev.notebooks["lab"].evaluation.val = None
    ev.notebooks["lab"].evaluation.prediction_errors = {"val": "NameError: name 'table' is not defined"}
    outcome = CHECKS["learns"](ev, item("learns"))
    assert outcome.status == "fail" and "fresh process" in outcome.message and "table" in outcome.message


def test_no_exported_model_means_the_notebook_defines_none() -> None:
    ev = evidence(GOOD_PROBE)
    ev.notebooks["lab"].evaluation = None
    outcome = CHECKS["model_shape"](ev, item("model_shape", classes=10))
    assert outcome.status == "fail" and "does not define a model" in outcome.message


@pytest.mark.parametrize(("policy", "status"), [("flag", "pass"), ("void", "fail")])
def test_held_out_accuracy_above_the_plausible_is_flagged_or_voided(policy: str, status: str) -> None:
    truth = np.arange(100) % 10
    rubric = type("R", (), {"predictions": PredictionsSpec(headers=[("Id", "Label")], produced_by="lab")})()
    ev = evidence(GOOD_PROBE, predictions=Predictions(labels=truth.copy(), header=("Id", "Label"), notes=[]))
    ev.rubric, ev.labels.test = rubric, truth
    params = {"threshold": 0.9, "plausible_max": 0.97, "implausible": policy}
    holdout = Item(id="h", title="h", points=1, check="holdout_accuracy", params=params)
    outcome = CHECKS["holdout_accuracy"](ev, holdout)
    assert outcome.status == status and outcome.evidence["implausible"] and "97%" in outcome.message
    ev.predictions.labels[:5] = (truth[:5] + 1) % 10  # 95%: a good model, not flagged
    assert "implausible" not in CHECKS["holdout_accuracy"](ev, holdout).evidence


def test_a_printed_accuracy_the_measurement_contradicts_earns_nothing() -> None:
    ev = _with_integrity(evidence(GOOD_PROBE, mode="quick", val_predictions=np.zeros(300, dtype=np.int64)))
    nb = ev.notebooks["lab"]
    nb.stored = StoredOutputs(executed=True, val_accuracies=[0.99], claimed_best_val_accuracy=0.99)
    nb.run_stored = StoredOutputs(executed=True, val_accuracies=[0.99], claimed_best_val_accuracy=0.99)
    nb.evaluation.preprocessing = "transform_val"
    (finding,) = claim_findings(ev)
    assert finding.kind == "claim-contradicted" and finding.severity == "error"
    assert "printed" in finding.detail and "measured 10.00%" in finding.detail
    outcome = CHECKS["val_accuracy"](ev, item("val_accuracy", threshold=0.63))
    assert outcome.status == "fail" and "earns nothing" in outcome.message


def test_a_printed_accuracy_the_measurement_confirms_is_no_finding() -> None:
    ev = _with_integrity(evidence(GOOD_PROBE, mode="quick"))  # measured: 100%
    nb = ev.notebooks["lab"]
    nb.run_stored = StoredOutputs(executed=True, val_accuracies=[0.5, 0.98], claimed_best_val_accuracy=0.98)
    nb.evaluation.preprocessing = "transform_val"
    assert claim_findings(ev) == []


@pytest.mark.parametrize(("measured_right", "severity"), [(30, "error"), (150, "warning")])
def test_with_a_guessed_preprocessing_only_a_model_at_chance_contradicts_for_sure(
    measured_right: int, severity: str
) -> None:
    """10% measured is chance under any preprocessing; 50% may be the grader's guess of it being wrong."""
    val = np.arange(300) % 10
    predicted = np.where(np.arange(300) < measured_right, val, (val + 1) % 10)
    ev = _with_integrity(evidence(GOOD_PROBE, mode="quick", val_predictions=predicted))
    nb = ev.notebooks["lab"]
    nb.run_stored = StoredOutputs(executed=True, val_accuracies=[0.99], claimed_best_val_accuracy=0.99)
    nb.evaluation.preprocessing = "ToTensor"
    (finding,) = claim_findings(ev)
    assert finding.severity == severity


def test_of_the_guessed_preprocessings_the_model_keeps_the_one_it_does_best_with() -> None:
    val = np.arange(100) % 10
    evaluation = ModelEvaluation(True, "m", preprocessing="ToTensor+Normalize", val=np.zeros(100, dtype=int))
    evaluation.alternatives = {"ToTensor": {"val": val.copy(), "test": val[:10]}}
    evaluation.prefer_best(val)
    assert (
        evaluation.preprocessing == "ToTensor" and evaluation.test is not None and not evaluation.alternatives
    )


def test_a_quick_mode_error_makes_runs_inconclusive_and_the_rest_is_still_checked() -> None:
    ev = evidence(GOOD_PROBE)
    change = {"name": "EPOCHS", "old": "30", "new": 5, "cell": 3, "applied": True, "kind": "setting"}
    ev.notebooks["lab"].run.quick_mode_errors = [
        {"cell": 9, "error": "ValueError: x and y must have same first dimension", "change": change}
    ]
    outcome = CHECKS["runs"](ev, item("runs"))
    assert outcome.status == "inconclusive" and outcome.evidence["cause"] == "quick-mode"
    assert "cell 9" in outcome.message and "EPOCHS from 30 to 5" in outcome.message
    assert CHECKS["criterion"](ev, item("criterion", **ITEMS["criterion"])).status == "pass"
