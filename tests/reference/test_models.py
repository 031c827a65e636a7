"""Reference model zoo: the sizes, shapes and layer placements the grader relies on."""

import pytest
import torch
from torch import nn

from reference.models import (
    MODELS,
    SIMPLENN_PARAMETERS,
    LeNet5,
    ResNet20,
    SimpleNN,
    Swish,
    build_model,
    count_macs,
    count_parameters,
    make_activation,
    resnet,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (LeNet5(), 62_006),
        (SimpleNN(), SIMPLENN_PARAMETERS),
        (ResNet20(), 269_722),
        (resnet(56), 853_018),
    ],
    ids=["lenet5", "simplenn", "resnet20", "resnet56"],
)
def test_parameter_counts_match_the_handout(model: nn.Module, expected: int) -> None:
    assert count_parameters(model) == expected


def test_simplenn_hand_count() -> None:
    assert SIMPLENN_PARAMETERS == 608 + 1_168 + 69_240 + 10_164 + 850 == 82_030


def test_count_parameters_skips_frozen() -> None:
    model = LeNet5()
    model.fc3.requires_grad_(False)
    assert count_parameters(model) == 62_006 - 850


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_classifies_a_batch(name: str) -> None:
    model = build_model(name)
    logits = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)
    model.eval()
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize(
    ("model", "expected"), [(LeNet5(), 0.65e6), (ResNet20(), 41e6)], ids=["lenet5", "resnet20"]
)
def test_macs_match_the_design_notes(model: nn.Module, expected: float) -> None:
    assert count_macs(model) == pytest.approx(expected, rel=0.05)


def test_macs_scale_with_batch_and_keep_training_mode() -> None:
    model = LeNet5(batch_norm=True)
    assert count_macs(model, (4, 3, 32, 32)) == 4 * count_macs(model)
    assert model.training


def _call_order(model: nn.Module) -> list[str]:
    """Names of the leaf modules in the order the forward pass calls them."""
    names = {module: name for name, module in model.named_modules()}
    order: list[str] = []
    handles = [
        m.register_forward_hook(lambda module, *_: order.append(names[module]))
        for m in model.modules()
        if not list(m.children())
    ]
    model(torch.randn(2, 3, 32, 32))
    for handle in handles:
        handle.remove()
    return order


@pytest.mark.parametrize("model_cls", [LeNet5, SimpleNN])
def test_batchnorm_sits_after_each_hidden_layer_before_its_activation(model_cls: type[nn.Module]) -> None:
    model = model_cls(batch_norm=True)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert [type(m) for m in norms] == [nn.BatchNorm2d, nn.BatchNorm2d, nn.BatchNorm1d, nn.BatchNorm1d]
    order = _call_order(model)
    for layer, norm in [("conv1", "bn1"), ("conv2", "bn2"), ("fc1", "bn3"), ("fc2", "bn4")]:
        position = order.index(layer)
        assert order[position + 1 : position + 3] == [norm, "act"]
        assert getattr(model, norm).num_features == getattr(model, layer).weight.shape[0]
    assert order[-1] == "fc3"


def test_plain_lenet_has_no_batchnorm() -> None:
    model = LeNet5()
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    expected = ["conv1", "act", "pool", "conv2", "act", "pool", "fc1", "act", "fc2", "act", "fc3"]
    assert _call_order(model) == expected


def test_swish_is_x_sigmoid_x_and_not_relu() -> None:
    x = torch.linspace(-6, 6, 101)
    swish = make_activation("swish")
    assert isinstance(swish, Swish)
    torch.testing.assert_close(swish(x), x * torch.sigmoid(x))
    torch.testing.assert_close(swish(x), nn.functional.silu(x))
    negative = x < 0
    assert torch.all(swish(x)[negative] < 0)
    assert not torch.allclose(swish(x)[negative], torch.relu(x)[negative])
    assert isinstance(LeNet5(activation="swish").act, Swish)


def test_unknown_activation_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="relu, swish"):
        make_activation("tanh")


def test_resnet20_has_three_stages_of_three_blocks() -> None:
    model = ResNet20()
    stages = [model.layer1, model.layer2, model.layer3]
    assert all(isinstance(stage, nn.Sequential) and len(stage) == 3 for stage in stages)
    assert [stage[-1].conv2.out_channels for stage in stages] == [16, 32, 64]
    assert [stage[0].conv1.stride for stage in stages] == [(1, 1), (2, 2), (2, 2)]
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))
    assert model.fc.in_features == 64


def test_option_a_shortcut_pads_zeros_and_subsamples() -> None:
    shortcut = ResNet20().layer2[0].shortcut
    x = torch.randn(2, 16, 32, 32)
    out = shortcut(x)
    assert out.shape == (2, 32, 16, 16)
    torch.testing.assert_close(out[:, :16], x[:, :, ::2, ::2])
    assert torch.all(out[:, 16:] == 0)


def test_shortcut_b_projects_and_costs_parameters() -> None:
    a, b = ResNet20(shortcut="A"), ResNet20(shortcut="B")
    # Two projections, 16->32 and 32->64: 1x1 conv weights plus BatchNorm gamma and beta.
    assert count_parameters(b) - count_parameters(a) == 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64
    assert b(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("depth", [7, 21, 2])
def test_resnet_rejects_depths_not_6n_plus_2(depth: int) -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        resnet(depth)


def test_resnet_rejects_unknown_shortcut() -> None:
    with pytest.raises(ValueError, match="A, B"):
        ResNet20(shortcut="C")


def test_build_model_error_lists_every_name() -> None:
    with pytest.raises(ValueError, match="resnet18") as error:
        build_model("resnet18")
    assert all(name in str(error.value) for name in MODELS)


def test_build_model_forwards_keyword_arguments() -> None:
    model = build_model("resnet20", num_classes=100)
    assert model.fc.out_features == 100
