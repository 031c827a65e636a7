"""CIFAR-10 as the course ships it: 45,000 train / 5,000 val images with labels, 10,000 test images without.

Call it as the ECE661 notebooks do, ``CIFAR10(root, mode='train'|'val'|'test', download=True,
transform=None, target_transform=None)``, or as the ECE590 F19/F20 notebooks do,
``CIFAR10(root, train=True|False, ...)``. Items are PIL images, like torchvision's CIFAR10.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch.utils.data import Dataset

from tools import layout
from tools.archive import ensure_files

MODES = ("train", "val", "test")
_FILES = {
    "train": (layout.TRAIN_IMAGES, layout.TRAIN_LABELS),
    "val": (layout.VAL_IMAGES, layout.VAL_LABELS),
    "test": (layout.TEST_IMAGES, None),
}


def _resolve_mode(mode: str | bool | None, train: bool | None) -> str:
    if isinstance(mode, bool):  # the older positional form CIFAR10(root, True, ...)
        mode, train = None, mode
    if mode is not None and train is not None:
        raise TypeError("give either mode= or train=, not both")
    if mode is None:
        return "val" if train is False else "train"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


class CIFAR10(Dataset):
    """The course's CIFAR-10 split; test mode yields images only (its labels are held by the TAs)."""

    def __init__(
        self,
        root: str | Path,
        mode: str | bool | None = None,
        download: bool = True,
        transform: Callable[[Image.Image], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        train: bool | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        self.mode = _resolve_mode(mode, train)
        self.transform = transform
        self.target_transform = target_transform
        images_name, labels_name = _FILES[self.mode]
        if self.mode == "test":
            ensure_files(self.root, layout.TEST_FILES, layout.TEST_ZIP_GLOB, download)
        else:
            ensure_files(self.root, layout.TRAINVAL_FILES, layout.TRAINVAL_ZIP_GLOB, download)
        self.data: np.ndarray = _load_images(self.root / images_name)
        self.targets: list[int] | None = None
        if labels_name is not None:
            labels = np.load(self.root / labels_name, allow_pickle=False)
            if labels.shape != (len(self.data),):
                raise ValueError(
                    f"{self.root / labels_name}: expected {len(self.data)} labels, found {labels.shape}"
                )
            self.targets = [int(label) for label in labels]
        split = {"train": "Training", "val": "Validation", "test": "Testing"}[self.mode]
        print(f"{split} dataset has {len(self.data)} examples!")

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> Any:
        image: Any = Image.fromarray(self.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.targets is None:
            return image
        target: Any = self.targets[index]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def _load_images(path: Path) -> np.ndarray:
    images = np.load(path, allow_pickle=False)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != layout.IMAGE_SHAPE:
        raise ValueError(
            f"{path}: expected uint8 images of shape (N, 32, 32, 3), found {images.dtype} {images.shape}"
        )
    return images
