"""Each check kind on crafted evidence: the verdict and the sentence a student reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks import CHECKS, evaluate
from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.evidence.consistency import claim_findings, outcome_findings
from grader.evidence.environment import ImportFailure
from grader.execute import ExecutionReport
from grader.execute.evaluation import ModelEvaluation
from grader.rubric.item import Item
from grader.rubric.model import IntegritySpec, NotebookSpec, PredictionsSpec
from grader.static import LoadedNotebook, StoredOutputs
from grader.static.predictions import Predictions
from tests.crafted import code_notebook

LENET_BN = [
    {"name": "conv1", "kind": "conv", "bias": False, "batchnorm_after": True},
    {"name": "conv2", "kind": "conv", "bias": False, "batchnorm_after": True},
    {"name": "fc1", "kind": "linear", "bias": True, "batchnorm_after": True},
    {"name": "fc2", "kind": "linear", "bias": True, "batchnorm_after": True},
    {"name": "fc3", "kind": "linear", "bias": True, "batchnorm_after": False},
]
TRACE = {
    "weighted": LENET_BN,
    "batchnorms": 4,
    "activations": {"swish": 4},
    "blocks": [],
    "stages": [{"blocks": 3, "out_channels": c, "convs_per_block": [2, 2, 2]} for c in (16, 32, 64)],
    "residual_adds": 9,
}
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
        "trace": TRACE,
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


def traced_with(**changes: Any) -> dict:
    return probe_with("model", trace={**TRACE, **changes})


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
        traced_with(stages=[{"blocks": 2, "out_channels": 16, "convs_per_block": [2, 2]}]),
        "the forward pass has 2 blocks at 16",
    ),
    ("optimizer", probe_with("optimizer", class_name="Adam", momentum=None), "it is Adam, expected SGD"),
    ("optimizer", probe_with("optimizer", weight_decay=0.0), "weight_decay is 0"),
    ("criterion", probe_with("criterion", class_name="NLLLoss"), "is NLLLoss, expected CrossEntropyLoss"),
    ("augmentation", probe_with("transforms", transform_train=[{"type": "ToTensor"}]), "lacks RandomCrop"),
    (
        "batchnorm",
        traced_with(weighted=[{**LENET_BN[0], "batchnorm_after": False}, *LENET_BN[1:]]),
        "no BatchNorm after conv1",
    ),
    (
        "swish",
        traced_with(activations={"relu": 4}),
        "no trained model computes x*sigmoid(x)",
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


def test_predictions_for_another_terms_test_set_are_not_checked_against_this_terms_labels() -> None:
    truth = np.arange(100) % 10
    spec = PredictionsSpec(headers=[("Id", "Category")], produced_by="lab", terms=("F19",))
    ev = evidence(
        GOOD_PROBE, predictions=Predictions(labels=truth.copy(), header=("Id", "Category"), notes=[])
    )
    ev.rubric, ev.labels.test, ev.labels.term = type("R", (), {"predictions": spec})(), truth, "F22"
    holdout = Item(id="h", title="h", points=1, check="holdout_accuracy", params={"threshold": 0.8})
    outcome = CHECKS["holdout_accuracy"](ev, holdout)
    assert outcome.status == "inconclusive" and outcome.evidence["cause"] == "environment"
    assert "F19" in outcome.message and "F22" in outcome.message
    ev.labels.term = "F19"
    assert CHECKS["holdout_accuracy"](ev, holdout).status == "pass"


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


@pytest.mark.parametrize(
    ("event", "sandboxed", "status", "says", "voids"),
    [
        # pickled metric lists the submission carries (a real Lab 2 notebook): unverified, not pretrained
        (
            {"kind": "pickle.load", "detail": "/home/student/work/saved_model/train_acc.pkl"},
            True,
            "pass",
            "unverified",
            False,
        ),
        # a committed checkpoint of the student's own: unverified, not pretrained
        (
            {"kind": "open", "detail": "/home/student/work/saved_model/simplenn.pth"},
            True,
            "pass",
            "unverified",
            False,
        ),
        # in the sandbox, a file outside the work folder was made by the run's own processes
        ({"kind": "torch.load", "detail": "/tmp/from_a_subprocess.pt"}, True, "pass", "unverified", False),
        # without the sandbox, a file elsewhere on the grading machine is weights from outside the submission
        (
            {"kind": "torch.load", "detail": "/root/.cache/torch/hub/checkpoints/resnet18.pth"},
            False,
            "fail",
            "pretrained weights",
            True,
        ),
        # a known pretrained source: banned, accuracy void
        (
            {"kind": "torchvision.weights", "detail": "ResNet18_Weights.IMAGENET1K_V1"},
            True,
            "fail",
            "pretrained weights",
            True,
        ),
        # a blocked download is against the rules, but the run never got what it asked for: no accusation
        ({"kind": "urllib.Request", "detail": "https://example.org/w.pth"}, True, "fail", "downloads", False),
    ],
)
def test_only_evidence_of_pretrained_weights_is_called_pretrained(
    event: dict, sandboxed: bool, status: str, says: str, voids: bool
) -> None:
    ev = evidence(GOOD_PROBE)
    run = ev.notebooks["lab"].run
    run.guard_events, run.sandboxed = [{**event, "action": "blocked"}], sandboxed
    outcome = CHECKS["no_pretrained"](ev, item("no_pretrained"))
    assert outcome.status == status and says in outcome.message
    assert ("pretrained weights:" in outcome.message) == voids
    voided = CHECKS["val_accuracy"](ev, item("val_accuracy", threshold=0.05))
    assert ("accuracy not counted" in voided.message) == voids


def test_a_checkpoint_an_earlier_notebook_saved_is_the_submissions_own() -> None:
    ev = evidence(GOOD_PROBE)
    run = ev.notebooks["lab"].run
    run.inherited = {
        "saved_model/resnet.pth": "resnet-cifar10.ipynb",
        "saved_model/log.txt": "resnet-cifar10.ipynb",
    }
    run.guard_events = [{"kind": "inherited", "action": "observed", "detail": "saved_model/resnet.pth"}]
    outcome = CHECKS["no_pretrained"](ev, item("no_pretrained"))
    assert outcome.status == "pass" and not outcome.evidence.get("warnings")
    assert outcome.evidence["inherited"] == ["saved_model/resnet.pth (written by resnet-cifar10.ipynb's run)"]
    assert "pretrained" not in CHECKS["val_accuracy"](ev, item("val_accuracy", threshold=0.05)).message


@pytest.mark.parametrize(
    ("path", "absolute"),
    [
        ("C:/Users/student/Desktop/net.pth", True),
        ("/content/drive/MyDrive/saved_model/resnet.pth", True),
        ("/home/student/work/saved_model/resnet.pth", False),  # the sandbox's own folder
        ("./saved_model/resnet.pth", False),  # lost or never saved: the plain message
    ],
)
def test_a_run_that_stops_at_a_path_of_the_students_machine_fails_as_an_absolute_path(
    path: str, absolute: bool
) -> None:
    ev = evidence(GOOD_PROBE, status="cell-error")
    run = ev.notebooks["lab"].run
    run.failed_cell = 4
    run.message = f"cell 4 raised FileNotFoundError: [Errno 2] No such file or directory: '{path}'"
    outcome = CHECKS["runs"](ev, item("runs"))
    assert outcome.status == "fail"
    assert ("an absolute path the grading machine does not have" in outcome.message) == absolute
    assert path in outcome.message and "pretrained" not in outcome.message
    assert CHECKS["no_pretrained"](ev, item("no_pretrained")).status == "pass"


def test_a_carried_checkpoint_holding_published_imagenet_weights_is_pretrained() -> None:
    ev = evidence(GOOD_PROBE)
    nb = ev.notebooks["lab"]
    path = "/home/student/work/saved_model/resnet.pth"
    nb.run.guard_events = [{"kind": "torch.load", "action": "blocked", "detail": path}]
    nb.published_weights = {path: "torchvision resnet18 (ImageNet, 1000 classes)"}
    outcome = CHECKS["no_pretrained"](ev, item("no_pretrained"))
    assert outcome.status == "fail" and outcome.message.startswith("pretrained weights:")
    assert "holds the weights of torchvision resnet18" in outcome.message
    assert "unverified" not in outcome.message
    assert "accuracy not counted" in CHECKS["val_accuracy"](ev, item("val_accuracy", threshold=0.05)).message


def test_a_run_stopped_by_the_block_of_the_submissions_own_checkpoint_is_not_checked() -> None:
    """The F19 template resumes from its committed saved_model/model.h5: the grader's block stops it."""
    path = "/home/student/work/saved_model/model.h5"
    ev = evidence(GOOD_PROBE, status="cell-error")
    run = ev.notebooks["lab"].run
    run.failed_cell = 8
    run.message = (
        "cell 8 raised PermissionError: grader guard: loading weights this run did not write is not allowed "
        f"in a graded run (torch.load: {path}); this attempt was recorded"
    )
    run.guard_events = [{"kind": "torch.load", "action": "blocked", "detail": path}]
    outcome = CHECKS["runs"](ev, item("runs"))
    assert outcome.status == "inconclusive" and outcome.evidence["cause"] == "harness"
    assert "saved_model/model.h5" in outcome.message
    ev.notebooks["lab"].published_weights = {path: "torchvision resnet18 (ImageNet, 1000 classes)"}
    assert (
        CHECKS["runs"](ev, item("runs")).status == "fail"
    )  # a published model's weights: the student's doing


def test_an_augmented_variant_of_the_training_transform_counts_for_it() -> None:
    """Real Lab 2 notebooks keep `transform_train` plain and train on `transform_train_aug`."""
    plain = [{"type": "ToTensor"}, {"type": "Normalize"}]
    augmented = [{"type": "RandomCrop"}, {"type": "RandomHorizontalFlip"}, *plain]
    check = item(
        "augmentation", variables=["transform_train"], requires=["RandomCrop", "RandomHorizontalFlip"]
    )
    ev = evidence(probe_with("transforms", transform_train=plain, transform_train_aug=augmented))
    outcome = CHECKS["augmentation"](ev, check)
    assert outcome.status == "pass" and "transform_train_aug (for transform_train)" in outcome.message
    # a name that merely begins alike is not a variant, and a plain variant does not help
    ev = evidence(probe_with("transforms", transform_train=plain, transform_trainer=augmented))
    assert CHECKS["augmentation"](ev, check).status == "fail"


def test_a_run_stopped_by_an_import_the_environment_lacks_is_not_checked_not_failed() -> None:
    ev = evidence({"errors": {}}, status="cell-error")  # the probes saw nothing: the notebook stopped early
    ev.notebooks["lab"].import_failure = ImportFailure(
        "some_unknown_pkg", "environment", "cell 0 imports some_unknown_pkg, which ...", 0
    )
    outcomes = evaluate(ev, [item("criterion", type="CrossEntropyLoss"), item("notebook_executed")])
    criterion = outcomes["x.criterion"]
    assert criterion.status == "inconclusive" and criterion.evidence["cause"] == "environment"
    assert criterion.message.startswith("cell 0 imports some_unknown_pkg")
    assert "does not define" in criterion.evidence["unexcused_verdict"]
    assert outcomes["x.notebook_executed"].status == "pass"  # what does not read the run is unchanged


def test_a_check_that_passes_despite_the_import_failure_still_passes() -> None:
    ev = evidence(GOOD_PROBE, status="cell-error")
    ev.notebooks["lab"].import_failure = ImportFailure("some_unknown_pkg", "environment", "...", 3)
    assert evaluate(ev, [item("criterion", type="CrossEntropyLoss")])["x.criterion"].status == "pass"


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


@pytest.mark.parametrize(
    ("predicts", "steps", "status"),
    [
        ("labels", 0, "pass"),  # measured above chance in the fresh process: trained, whatever the run says
        ("one class", 120, "pass"),  # trained but weak: `learns` judges that, the architecture is right
        ("one class", 0, "fail"),  # the template's model as given, never trained
    ],
)
def test_a_parameter_count_that_requires_training_fails_for_a_model_never_trained(
    predicts: str, steps: int, status: str
) -> None:
    val = np.arange(300) % 10
    ev = evidence(
        probe_with("model", optimizer_steps=steps),
        val_predictions=val.copy() if predicts == "labels" else np.zeros_like(val),
    )
    outcome = CHECKS["model_params"](ev, item("model_params", expected=62006, require_trained=True))
    assert outcome.status == status, outcome.message
    if status == "fail":
        assert "never trained" in outcome.message and "10.0% validation accuracy" in outcome.message
    # without the rubric's requirement, the count alone decides
    assert CHECKS["model_params"](ev, item("model_params", expected=62006)).status == "pass"
