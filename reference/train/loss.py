"""The objective the optimizer sees: cross-entropy, plus an L1 penalty when asked (SGD only offers L2)."""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F


def l1_penalty(parameters: Iterable[torch.Tensor]) -> torch.Tensor:
    """sum(|w|) over the same parameters weight_decay would touch."""
    return torch.stack([p.abs().sum() for p in parameters]).sum()


def objective(
    logits: torch.Tensor, targets: torch.Tensor, parameters: list[torch.Tensor], l1: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to backpropagate, plain cross-entropy to report)."""
    ce = F.cross_entropy(logits.float(), targets)
    if l1 == 0.0:
        return ce, ce
    return ce + l1 * l1_penalty(parameters), ce
