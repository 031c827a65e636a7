"""Learning-rate schedules as a factor of the base lr per iteration, so short budgets anneal smoothly."""

from __future__ import annotations

import math
from collections.abc import Callable

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from .config import TrainConfig

ONECYCLE_START = 1 / 25


def lr_factor(config: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """Factor for iteration t (0-based).

    step: times gamma at each milestone epoch. cosine: from 1 to 0 over the run. onecycle: linear warm-up
    from 1/25 to 1 over ``warmup_fraction`` of the run, then linear decay to 0.
    """
    total = config.epochs * steps_per_epoch
    if config.schedule == "constant":
        return lambda t: 1.0
    if config.schedule == "step":
        bounds = [m * steps_per_epoch for m in config.milestones]
        return lambda t: config.gamma ** sum(t >= b for b in bounds)
    if config.schedule == "cosine":
        return lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, total) / total))
    warm = min(max(1, round(config.warmup_fraction * total)), total - 1)

    def onecycle(t: int) -> float:
        if t < warm:
            return ONECYCLE_START + (1.0 - ONECYCLE_START) * t / warm
        return max(0.0, (total - t) / (total - warm))

    return onecycle


def build_scheduler(optimizer: Optimizer, config: TrainConfig, steps_per_epoch: int) -> LambdaLR:
    """Call ``step()`` after every optimizer step."""
    return LambdaLR(optimizer, lr_factor(config, steps_per_epoch))
