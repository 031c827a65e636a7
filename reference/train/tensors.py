"""Splits held once on the device as uint8, so each batch costs an index and a fused normalise, not a copy."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


@dataclass(frozen=True)
class DeviceSplit:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 (None for the unlabelled test split)."""

    images: torch.Tensor
    labels: torch.Tensor | None

    def __len__(self) -> int:
        return self.images.shape[0]


def to_device(images: np.ndarray, labels: np.ndarray | None, device: torch.device) -> DeviceSplit:
    """HWC uint8 arrays to one NCHW view; the permute keeps the HWC bytes, i.e. channels_last memory."""
    chw = torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2)
    targets = None if labels is None else torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
    return DeviceSplit(chw, targets)


@functools.cache
def _scale_shift(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    std = torch.tensor(CIFAR10_STD, device=device).view(1, 3, 1, 1)
    mean = torch.tensor(CIFAR10_MEAN, device=device).view(1, 3, 1, 1)
    return 1.0 / (255.0 * std), mean / std


def normalize(images: torch.Tensor, fmt: torch.memory_format = torch.contiguous_format) -> torch.Tensor:
    """uint8 [0, 255] to float with the CIFAR-10 per-channel mean and std, as ToTensor+Normalize gives."""
    scale, shift = _scale_shift(images.device)
    return images.to(dtype=torch.float32, memory_format=fmt).mul_(scale).sub_(shift)


def batches(
    split: DeviceSplit, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Mini-batches in a fresh random order when a generator is given, in stored order otherwise."""
    n = len(split)
    if generator is None:
        for start in range(0, n, batch_size):
            labels = None if split.labels is None else split.labels[start : start + batch_size]
            yield split.images[start : start + batch_size], labels
        return
    order = torch.randperm(n, generator=generator, device=split.images.device)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield split.images[index], None if split.labels is None else split.labels[index]
