"""What one training run is, as data: the CLI, the experiments and results.json all speak this dataclass."""

from __future__ import annotations

from dataclasses import dataclass

SCHEDULES = ("constant", "step", "cosine", "onecycle")
INITS = ("default", "kaiming")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """One run; lr schedules step per iteration, milestones count epochs.

    ``l1`` adds ``l1 * sum(|w|)`` to the loss and needs ``weight_decay=0``, so the two penalties never mix
    silently. ``target_accuracy`` stops at the first epoch whose val accuracy reaches it (None: full budget).
    """

    model: str = "lenet5"
    epochs: int = 15
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    label_smoothing: float = 0.0
    weight_decay: float = 5e-4
    l1: float = 0.0
    schedule: str = "onecycle"
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    warmup_fraction: float = 0.25
    crop_padding: int = 0
    flip_prob: float = 0.0
    seed: int = 0
    device: str = "auto"
    compile: bool = False
    deterministic: bool = False
    init: str = "default"
    target_accuracy: float | None = None
    eval_batch_size: int = 1000

    def __post_init__(self) -> None:
        problems = []
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        if self.init not in INITS:
            problems.append(f"init must be one of {', '.join(INITS)}, not {self.init!r}")
        if self.device not in DEVICES:
            problems.append(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.eval_batch_size < 1:
            problems.append("epochs, batch_size and eval_batch_size must be positive")
        if self.l1 < 0 or self.weight_decay < 0:
            problems.append("l1 and weight_decay must not be negative")
        if self.l1 > 0 and self.weight_decay > 0:
            problems.append("l1 replaces the L2 penalty: set weight_decay=0 when l1 > 0")
        if self.crop_padding < 0 or not 0.0 <= self.flip_prob <= 1.0:
            problems.append("crop_padding must be >= 0 and flip_prob within [0, 1]")
        if not 0.0 <= self.label_smoothing < 1.0:
            problems.append("label_smoothing must lie within [0, 1)")
        if not 0.0 < self.warmup_fraction < 1.0:
            problems.append("warmup_fraction must lie strictly between 0 and 1")
        if list(self.milestones) != sorted(set(self.milestones)):
            problems.append("milestones must be increasing epoch numbers")
        if problems:
            raise ValueError("invalid TrainConfig: " + "; ".join(problems))
