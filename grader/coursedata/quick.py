"""The small course-data subset that quick mode runs on (the first N images of each split), and the plan of
each notebook's quick run: its own epochs on fewer images where the budget allows, else overridden ones.

Built once per (data, subset) and reused across submissions; written to a staging folder and renamed, so a
crash never leaves a half-built subset that later runs would trust.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode

from grader.execute.overrides import assigned_literals
from grader.rubric.model import QuickSpec, Subset
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


@dataclass(frozen=True)
class QuickPlan:
    """How one notebook runs in quick mode: the settings rewritten, the data it trains on, and why."""

    overrides: dict[str, Any]
    subset: Subset
    note: str | None = None


def plan_notebook(nb: NotebookNode, quick: QuickSpec, key: str) -> QuickPlan:
    """Keep the notebook's own epochs on fewer training images where its budget allows, else override them.

    The epochs are summed over every top-level literal assignment of the epochs setting (a notebook that
    trains in two cells for 30 epochs each trains 60 epochs); sweeps are cut to ``sweep_keep`` members
    before they run, so each assignment counts once. Changing a constant the notebook's plots and arrays
    depend on is what breaks real notebooks in quick mode; fewer images breaks none of them.
    """
    overrides = dict(quick.overrides.get(key, {}))
    name, budget = quick.epochs_setting, quick.budget.get(key)
    values = assigned_literals(nb, name)
    counts = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    if budget is None or name not in overrides or not counts or len(counts) != len(values):
        return QuickPlan(overrides, quick.subset)
    epochs = sum(counts)
    train = min(quick.subset.train, budget // epochs)
    if train < quick.min_train:
        return QuickPlan(
            overrides,
            quick.subset,
            f"{name} set to {overrides[name]}: the notebook's {epochs} epochs on {quick.min_train} training "
            f"images exceed its quick-mode budget of {budget} image-epochs",
        )
    del overrides[name]
    return QuickPlan(
        overrides,
        quick.subset.model_copy(update={"train": train}),
        f"{name} kept as written ({epochs} epochs in all) on {train} training images, within the quick-mode "
        f"budget of {budget} image-epochs",
    )
