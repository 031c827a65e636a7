"""The held-out test images for predictions.csv (no labels: the TAs keep them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.dataset import CIFAR10


class CIFAR10Test(CIFAR10):
    """``CIFAR10Test(root, download=True, transform=None)``: the 10,000 test images in Id order."""

    def __init__(
        self, root: str | Path, download: bool = True, transform: Callable[[Any], Any] | None = None
    ) -> None:
        super().__init__(root, mode="test", download=download, transform=transform)


__all__ = ["CIFAR10Test"]
