"""The small course-data subset that quick mode runs on: the first N images of each split.

Built once per (data, subset) and reused across submissions; written to a staging folder and renamed, so a
crash never leaves a half-built subset that later runs would trust.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from grader.rubric.model import Subset
from tools import layout

_SPLITS = {
    "train": (layout.TRAIN_IMAGES, layout.TRAIN_LABELS),
    "val": (layout.VAL_IMAGES, layout.VAL_LABELS),
    "test": (layout.TEST_IMAGES, None),
}


def subset_key(data_dir: Path, subset: Subset) -> str:
    manifest = data_dir / layout.HIDDEN_DIR / layout.MANIFEST
    identity = manifest.read_bytes() if manifest.is_file() else str(data_dir.resolve()).encode()
    sizes = json.dumps(subset.model_dump(), sort_keys=True).encode()
    return hashlib.sha256(identity + sizes).hexdigest()[:16]


def quick_subset(data_dir: Path, subset: Subset, cache_dir: Path) -> Path:
    """Return a folder in the course layout holding the first images of each split (and hidden labels)."""
    target = cache_dir / f"quick-{subset_key(data_dir, subset)}"
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".quick-", dir=cache_dir))
    try:
        staging.chmod(0o755)
        for split, (images_name, labels_name) in _SPLITS.items():
            count = getattr(subset, split)
            images = np.load(data_dir / images_name, mmap_mode="r")
            np.save(staging / images_name, np.ascontiguousarray(images[:count]), allow_pickle=False)
            if labels_name:
                np.save(staging / labels_name, np.load(data_dir / labels_name)[:count], allow_pickle=False)
        hidden_labels = data_dir / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS
        if hidden_labels.is_file():
            (staging / layout.HIDDEN_DIR).mkdir(mode=0o700)
            np.save(
                staging / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS,
                np.load(hidden_labels)[: subset.test],
                allow_pickle=False,
            )
        try:
            staging.rename(target)
        except OSError:  # another worker built it first
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
