"""Procedural CIFAR-shaped images for demos and tests: learnable, deterministic, and no download."""

from __future__ import annotations

import numpy as np

LABEL_NAMES = [f"pattern{k}" for k in range(10)]


def synthetic_split(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k is a grating at orientation k*18 degrees in a class colour, with jitter, a blob and noise.

    A LeNet separates the classes in a few epochs but not in the first batch, so curves look like training.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32) / 32.0
    theta = labels * (np.pi / 10) + rng.normal(0.0, 0.08, count)
    freq = 2.0 + (labels % 3) + rng.uniform(-0.3, 0.3, count)
    phase = rng.uniform(0, 2 * np.pi, count)
    proj = np.cos(theta)[:, None, None] * xx + np.sin(theta)[:, None, None] * yy
    wave = np.sin(2 * np.pi * freq[:, None, None] * proj + phase[:, None, None])
    palette = np.random.default_rng(12345).uniform(0.2, 1.0, (10, 3)).astype(np.float32)
    colour = palette[labels] + rng.normal(0.0, 0.15, (count, 3))
    images = (128.0 + 70.0 * wave[..., None] * colour[:, None, None, :]).astype(np.float32)
    cy, cx = rng.uniform(0.2, 0.8, (2, count))
    blob = np.exp(-(((yy - cy[:, None, None]) ** 2 + (xx - cx[:, None, None]) ** 2) / 0.01))
    images += (60.0 * blob[..., None] * rng.choice([-1.0, 1.0], (count, 1, 1, 3))).astype(np.float32)
    images += rng.standard_normal(images.shape, dtype=np.float32) * 12.0
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)
