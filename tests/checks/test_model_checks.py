"""The model checks on crafted models as the fresh process describes them: the questions are about what the
trained models compute, never about class or variable names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.checks import CHECKS
from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.execute import ExecutionReport
from grader.execute.evaluation import ModelEvaluation
from grader.execute.inkernel.describe import describe_model
from grader.rubric.item import Item
from grader.rubric.model import NotebookSpec
from grader.static import LoadedNotebook, StoredOutputs
from tests.crafted import code_notebook
from tests.crafted_models import RESNET, SIMPLE, build

RESNET20 = {"stage_channels": [16, 32, 64], "blocks_per_stage": 3}


def described(source: str, expression: str) -> dict:
    return describe_model(build(source, expression), f"rebuilt as {expression}")


def evidence(model: dict, *trained: dict) -> Evidence:
    nb = NotebookEvidence(
        spec=NotebookSpec(key="lab", filename="lab.ipynb", lab="Lab"),
        path=Path("lab.ipynb"),
        loaded=LoadedNotebook(nb=code_notebook("x = 1")),
        stored=StoredOutputs(executed=True),
        run=ExecutionReport(notebook="lab.ipynb", status="ok", message="ok", sandboxed=True, probe={}),
        evaluation=ModelEvaluation(True, "measured", model=model, trained=list(trained)),
    )
    return Evidence(rubric=None, mode="quick", notebooks={"lab": nb}, labels=Labels())


def check(kind: str, ev: Evidence, **params: Any) -> tuple[str, str]:
    outcome = CHECKS[kind](
        ev, Item(id=f"x.{kind}", title=kind, points=1, check=kind, notebook="lab", params=params)
    )
    return outcome.status, outcome.message


@pytest.mark.parametrize("act", ["swish", "silu", "fsilu"])
def test_swish_as_a_function_or_torchs_silu_earns_the_swish_item(act: str) -> None:
    status, message = check("swish", evidence(described(SIMPLE, f"SimpleNet({act!r})")))
    assert status == "pass", message


def test_a_rubric_may_refuse_torchs_silu() -> None:
    status, message = check("swish", evidence(described(SIMPLE, "SimpleNet('silu')")), allow_silu=False)
    assert status == "fail" and "nn.SiLU" in message
    assert check("swish", evidence(described(SIMPLE, "SimpleNet('swish')")), allow_silu=False)[0] == "pass"


def test_a_relu_model_has_no_swish() -> None:
    status, message = check("swish", evidence(described(SIMPLE, "SimpleNet()")))
    assert status == "fail" and "'relu': 4" in message


def test_batchnorm_after_the_convolutions_passes_the_ece661_rule_and_fails_the_f20_rule() -> None:
    ev = evidence(described(SIMPLE, "SimpleNet(bn=True)"))
    assert check("batchnorm", ev, placement="after_conv", min_layers=2)[0] == "pass"
    status, message = check("batchnorm", ev, placement="all_but_last")
    assert status == "fail" and "no BatchNorm after fc1, fc2" in message


def test_a_dev_notebook_training_plain_bn_and_swish_models_earns_both_items() -> None:
    plain, bn, swish = (
        described(SIMPLE, e) for e in ("SimpleNet()", "SimpleNet(bn=True)", "SimpleNet('swish')")
    )
    ev = evidence(plain, bn, swish)
    assert check("batchnorm", ev, placement="after_conv", min_layers=2)[0] == "pass"
    assert check("swish", ev)[0] == "pass"
    status, message = check("batchnorm", evidence(plain, swish), placement="after_conv")
    assert status == "fail" and "other models" in message


@pytest.mark.parametrize(
    "expression",
    ["ResNet20()", "ResNet20(bias=True)", "ResNet20(projection=True)", "ResNet20(True, projection=True)"],
)
def test_resnet20_variants_are_resnet20s_with_their_parameters_counted(expression: str) -> None:
    expression = expression.replace("(True,", "(bias=True,")
    ev = evidence(described(RESNET, expression))
    assert check("resnet_structure", ev, **RESNET20)[0] == "pass"
    allowed = {"allow_conv_bias": True, "allow_projection_shortcuts": True}
    status, message = check("model_params", ev, expected=269_722, tolerance=0, **allowed)
    assert status == "pass", message


def test_variants_the_rubric_does_not_allow_fail() -> None:
    ev = evidence(described(RESNET, "ResNet20(bias=True, projection=True)"))
    status, message = check("resnet_structure", ev, **RESNET20, allow_projection_shortcuts=False)
    assert status == "fail" and "projection shortcuts" in message
    status, message = check("resnet_structure", ev, **RESNET20, allow_conv_bias=False)
    assert status == "fail" and "biases" in message
    status, message = check("model_params", ev, expected=269_722, allow_projection_shortcuts=True)
    assert status == "fail" and "273,258 trainable parameters (2,752 of them" in message


def test_a_resnet18_layout_called_resnet20_is_not_a_resnet20() -> None:
    ev = evidence(described(RESNET, "ResNet20((64, 128, 256, 512), (2, 2, 2, 2), projection=True)"))
    status, message = check("resnet_structure", ev, **RESNET20)
    assert status == "fail"
    assert "ResNet20: expected 3 stages" in message and "2 blocks at 64, 2 blocks at 128" in message


def test_an_untraceable_model_is_not_the_students_failure() -> None:
    model = {"class_name": "Odd", "trace": {"error": "RuntimeError: the grader's input"}}
    status, message = check("swish", evidence(model))
    assert status == "inconclusive" and "could not trace" in message
