"""The objective the optimizer sees: cross-entropy, plus an L1 penalty when asked (SGD only offers L2)."""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F


def l1_penalty(parameters: Iterable[torch.Tensor]) -> torch.Tensor:
    """sum(|w|) over the same parameters weight_decay would touch."""
    return torch.stack([p.abs().sum() for p in parameters]).sum()


def objective(
    logits: torch.Tensor,
    targets: torch.Tensor,
    parameters: list[torch.Tensor],
    l1: float,
    label_smoothing: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to backpropagate, plain cross-entropy to report: smoothing changes what is optimised, not the
    figure compared across runs)."""
    ce = F.cross_entropy(logits.float(), targets)
    loss = ce
    if label_smoothing > 0.0:
        loss = F.cross_entropy(logits.float(), targets, label_smoothing=label_smoothing)
    if l1 == 0.0:
        return loss, ce
    return loss + l1 * l1_penalty(parameters), ce
