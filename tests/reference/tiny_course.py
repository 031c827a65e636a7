"""A few hundred procedural images in the course layout: class-coloured noise, learnable in one epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tools import layout


def make_images(labels: np.ndarray, palette: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.integers(-20, 21, size=(len(labels), 32, 32, 3))
    return np.clip(palette[labels][:, None, None, :] + noise, 0, 255).astype(np.uint8)


def make_course_dir(root: Path, n_train: int = 256, n_val: int = 64, n_test: int = 32, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    levels = np.array([40, 128, 215])
    palette = np.stack(np.meshgrid(levels, levels, levels), -1).reshape(-1, 3)[rng.permutation(27)[:10]]
    root.mkdir(parents=True, exist_ok=True)
    for images_name, labels_name, n in (
        (layout.TRAIN_IMAGES, layout.TRAIN_LABELS, n_train),
        (layout.VAL_IMAGES, layout.VAL_LABELS, n_val),
    ):
        labels = rng.integers(0, layout.NUM_CLASSES, n).astype(np.int64)
        np.save(root / images_name, make_images(labels, palette, rng))
        np.save(root / labels_name, labels)
    np.save(root / layout.TEST_IMAGES, make_images(rng.integers(0, layout.NUM_CLASSES, n_test), palette, rng))
    return root
