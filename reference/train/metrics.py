"""Per-epoch records and the run's outcome, kept JSON-ready so logs and results.json need no conversion."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .config import TrainConfig


@dataclass(frozen=True)
class EpochMetrics:
    """Train numbers average the epoch's (augmented) batches; lr is that of the epoch's first step; seconds
    cover the training pass and the val pass."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    lr: float
    seconds: float


@dataclass
class TrainResult:
    """``initial_loss``: mean val cross-entropy of the untrained model (about ln 10 when init is sane);
    ``model``: the weights after the last epoch."""

    config: TrainConfig
    epochs: list[EpochMetrics]
    initial_loss: float
    best_val_acc: float
    best_epoch: int
    seconds: float
    model: nn.Module = field(repr=False)
    reached_target: bool = False
    diverged: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model, with non-finite numbers as null so the JSON stays standard."""
        return {
            "config": asdict(self.config),
            "epochs": [json_safe(asdict(m)) for m in self.epochs],
            "initial_loss": finite_or_none(self.initial_loss),
            "best_val_acc": self.best_val_acc,
            "best_epoch": self.best_epoch,
            "seconds": self.seconds,
            "reached_target": self.reached_target,
            "diverged": self.diverged,
        }


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def json_safe(record: dict[str, Any]) -> dict[str, Any]:
    return {k: finite_or_none(v) if isinstance(v, float) else v for k, v in record.items()}


def append_jsonl(path: Path, metrics: EpochMetrics) -> None:
    """One line per epoch, flushed at once, so a killed run still leaves its curve behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(json_safe(asdict(metrics))) + "\n")
