"""Activations selectable by name, so one LeNet definition covers the ReLU and Swish experiments."""

import torch
from torch import nn


class Swish(nn.Module):
    """Swish (Ramachandran et al. 2017), written as x * sigmoid(x) so students see the formula to match."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "swish": Swish}


def make_activation(name: str) -> nn.Module:
    """Build a fresh activation module from a config string such as ``"relu"`` or ``"swish"``."""
    try:
        return ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid names: {', '.join(ACTIVATIONS)}") from None
