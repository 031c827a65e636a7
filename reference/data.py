"""The course arrays as the reference solutions use them: whole splits in memory, no PIL, no DataLoader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools import layout


class CourseDataError(FileNotFoundError):
    """A course data file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class CourseData:
    """Images (N, 32, 32, 3) uint8 HWC and labels (N,) int64; test labels stay with the grader."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray | None = None

    def limit(self, n: int) -> CourseData:
        """The first n images of each split, for quick runs on a small subset."""
        return CourseData(
            self.train_images[:n],
            self.train_labels[:n],
            self.val_images[:n],
            self.val_labels[:n],
            None if self.test_images is None else self.test_images[:n],
        )


def _load(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CourseDataError(f"course data file missing: {path} (build it: python -m grader data build)")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise CourseDataError(f"{path} is not a plain .npy array ({exc})") from exc


def _images(path: Path) -> np.ndarray:
    images = _load(path)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != layout.IMAGE_SHAPE:
        found = f"{images.dtype} {images.shape}"
        raise CourseDataError(f"{path}: expected uint8 images (N, 32, 32, 3), found {found}")
    return images


def _labels(path: Path, count: int) -> np.ndarray:
    labels = _load(path)
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer):
        raise CourseDataError(f"{path}: expected {count} integer labels, found {labels.dtype} {labels.shape}")
    if count and (labels.min() < 0 or labels.max() >= layout.NUM_CLASSES):
        raise CourseDataError(f"{path}: labels must lie in 0..{layout.NUM_CLASSES - 1}")
    return labels.astype(np.int64, copy=False)


def load_course_data(root: str | Path, *, with_test: bool = False) -> CourseData:
    """Load train and val (and the unlabelled test images when asked) from a course data folder."""
    root = Path(root).expanduser()
    train_images = _images(root / layout.TRAIN_IMAGES)
    val_images = _images(root / layout.VAL_IMAGES)
    return CourseData(
        train_images=train_images,
        train_labels=_labels(root / layout.TRAIN_LABELS, len(train_images)),
        val_images=val_images,
        val_labels=_labels(root / layout.VAL_LABELS, len(val_images)),
        test_images=_images(root / layout.TEST_IMAGES) if with_test else None,
    )
