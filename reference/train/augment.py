"""Batch augmentation on the device, distributed as torchvision's RandomCrop(padding)+RandomHorizontalFlip.

Works on uint8 before normalisation, so the zero padding is black exactly as with PIL. Crop and flip are one
pixel gather in NHWC order: each output pixel copies a 3-byte run, which beats per-element indexing several
times on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment(images: torch.Tensor, padding: int, flip_prob: float, generator: torch.Generator) -> torch.Tensor:
    """Random crop of the zero-padded batch, then a left-right mirror with probability flip_prob."""
    if padding == 0 and flip_prob == 0.0:
        return images
    n, c, h, w = images.shape
    device = images.device
    top = torch.randint(0, 2 * padding + 1, (n, 1, 1), generator=generator, device=device)
    left = torch.randint(0, 2 * padding + 1, (n, 1, 1), generator=generator, device=device)
    mirror = torch.rand((n, 1, 1), generator=generator, device=device) < flip_prob
    j = torch.arange(w, device=device)
    cols = left + torch.where(mirror, w - 1 - j, j)
    rows = top + torch.arange(h, device=device).view(1, h, 1)
    padded = F.pad(images.permute(0, 2, 3, 1), (0, 0, padding, padding, padding, padding))
    hp, wp = h + 2 * padding, w + 2 * padding
    pixels = torch.arange(n, device=device).view(n, 1, 1) * (hp * wp) + rows * wp + cols
    out = padded.reshape(n * hp * wp, c).index_select(0, pixels.view(-1))
    return out.view(n, h, w, c).permute(0, 3, 1, 2)


def random_crop(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    return augment(images, padding, 0.0, generator)


def random_flip(images: torch.Tensor, prob: float, generator: torch.Generator) -> torch.Tensor:
    return augment(images, 0, prob, generator)
