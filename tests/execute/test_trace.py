"""The traced structure of crafted models: activations as computed, BatchNorm by data flow, residual blocks
and stages whatever the classes are called."""

from __future__ import annotations

import pytest
import torch

from grader.execute.inkernel.trace import trace_structure
from tests.crafted_models import RESNET, SIMPLE, build


def trace(source: str, expression: str) -> dict:
    return trace_structure(build(source, expression), torch.device("cpu"), torch.float32)


@pytest.mark.parametrize(
    ("act", "counts"),
    [("relu", {"relu": 4}), ("swish", {"swish": 4}), ("silu", {"silu": 4}), ("fsilu", {"silu": 4})],
)
def test_activations_are_read_from_what_the_forward_pass_computes(act: str, counts: dict) -> None:
    assert trace(SIMPLE, f"SimpleNet({act!r})")["activations"] == counts


def test_batchnorm_after_the_convolutions_only_is_seen_through_the_data_flow() -> None:
    traced = trace(SIMPLE, "SimpleNet(bn=True)")
    assert [(w["name"], w["batchnorm_after"]) for w in traced["weighted"]] == [
        ("conv1", True),
        ("conv2", True),
        ("fc1", False),
        ("fc2", False),
        ("fc3", False),
    ]
    assert traced["batchnorms"] == 2 and traced["residual_adds"] == 0


@pytest.mark.parametrize(
    ("expression", "shortcuts", "parameters"),
    [
        ("ResNet20()", {"identity", "parameter-free"}, 269_722),
        ("ResNet20(bias=True)", {"identity", "parameter-free"}, 270_410),
        ("ResNet20(projection=True)", {"identity", "projection"}, 272_474),
    ],
)
def test_a_resnet20_in_sequential_stages_has_three_stages_of_three_basic_blocks(
    expression: str, shortcuts: set, parameters: int
) -> None:
    model = build(RESNET, expression)
    traced = trace_structure(model, torch.device("cpu"), torch.float32)
    stages = [(s["blocks"], s["out_channels"], s["convs_per_block"]) for s in traced["stages"]]
    assert stages == [(3, 16, [2, 2, 2]), (3, 32, [2, 2, 2]), (3, 64, [2, 2, 2])]
    assert {b["shortcut"] for b in traced["blocks"]} == shortcuts
    assert sum(p.numel() for p in model.parameters()) == parameters


def test_a_resnet18_layout_has_four_stages_of_two_blocks() -> None:
    traced = trace(RESNET, "ResNet20((64, 128, 256, 512), (2, 2, 2, 2), projection=True)")
    assert [(s["blocks"], s["out_channels"]) for s in traced["stages"]] == [
        (2, 64),
        (2, 128),
        (2, 256),
        (2, 512),
    ]


def test_a_failing_forward_pass_is_reported_not_raised() -> None:
    traced = trace(
        "class Broken(nn.Module):\n    def forward(self, x):\n        raise ValueError('no')\n", "Broken()"
    )
    assert "ValueError: no" in traced["error"]
