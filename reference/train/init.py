"""Weight initialisation schemes compared in lab 1 (h)."""

from __future__ import annotations

from torch import nn


def initialize(model: nn.Module, scheme: str) -> None:
    """``default`` keeps PyTorch's init; ``kaiming`` draws conv/linear weights from Kaiming-normal (fan_in,
    ReLU gain, He et al. 2015) and zeroes their biases."""
    if scheme == "default":
        return
    if scheme != "kaiming":
        raise ValueError(f"unknown init {scheme!r}; use 'default' or 'kaiming'")
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
