"""Reference model zoo of the homework, addressable by the names used in configs and rubrics."""

from collections.abc import Callable
from functools import partial

from torch import nn

from .activations import Swish, make_activation
from .lenet import LeNet5, TwoStageConvNet
from .resnet import BasicBlock, CifarResNet, PadShortcut, ResNet20, resnet
from .simplenn import SIMPLENN_PARAMETERS, SimpleNN
from .summary import count_macs, count_parameters
from .vgg import VGG_A, VGG_A_BatchNorm, init_weights

MODELS: dict[str, Callable[..., nn.Module]] = {
    "lenet5": LeNet5,
    "lenet5_bn": partial(LeNet5, batch_norm=True),
    "lenet5_swish": partial(LeNet5, activation="swish"),
    "lenet5_bn_swish": partial(LeNet5, batch_norm=True, activation="swish"),
    "simplenn": SimpleNN,
    "simplenn_bn": partial(SimpleNN, batch_norm=True),
    "resnet20": ResNet20,
    "vgg_a": VGG_A,
    "vgg_a_bn": VGG_A_BatchNorm,
}


def build_model(name: str, **kwargs: object) -> nn.Module:
    """Instantiate a registered model; ``kwargs`` override the registered defaults."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


__all__ = [
    "MODELS",
    "SIMPLENN_PARAMETERS",
    "VGG_A",
    "BasicBlock",
    "CifarResNet",
    "LeNet5",
    "PadShortcut",
    "ResNet20",
    "SimpleNN",
    "Swish",
    "TwoStageConvNet",
    "VGG_A_BatchNorm",
    "build_model",
    "count_macs",
    "count_parameters",
    "init_weights",
    "make_activation",
    "resnet",
]
