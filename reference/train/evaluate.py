"""Inference in eval mode and in batches, for val metrics during training and predictions.csv after it."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .device import autocast, memory_format
from .tensors import DeviceSplit, batches, normalize, to_device


@torch.no_grad()
def evaluate(model: nn.Module, split: DeviceSplit, batch_size: int = 1000) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over a labelled split."""
    if split.labels is None:
        raise ValueError("evaluate needs a labelled split")
    device = split.images.device
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    for images, labels in batches(split, batch_size):
        with autocast(device):
            logits = model(normalize(images, memory_format(device)))
        loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
    model.train(was_training)
    return loss_sum.item() / len(split), correct.item() / len(split)


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Class labels (N,) int64 for (N, 32, 32, 3) uint8 images, on the device the model lives on."""
    device = next(model.parameters()).device
    split = to_device(images, None, device)
    was_training = model.training
    model.eval()
    out = []
    for chunk, _ in batches(split, batch_size):
        with autocast(device):
            out.append(model(normalize(chunk, memory_format(device))).argmax(1).cpu())
    model.train(was_training)
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros(0, dtype=np.int64)
