"""A fast reference trainer: uint8 data and batch augmentation on the device, per-iteration lr schedules."""

from .config import TrainConfig
from .evaluate import evaluate, predict
from .loop import train
from .metrics import EpochMetrics, TrainResult

__all__ = ["EpochMetrics", "TrainConfig", "TrainResult", "evaluate", "predict", "train"]
