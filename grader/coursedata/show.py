"""A look at built course data: counts per class and split, and a contact sheet of training images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from grader.errors import DataSourceError
from tools import layout


def read_manifest(data_dir: Path) -> dict:
    path = data_dir / layout.HIDDEN_DIR / layout.MANIFEST
    if not path.is_file():
        raise DataSourceError(f"{path} not found: is {data_dir} a folder made by `grader data build`?")
    return json.loads(path.read_text())


def class_table(data_dir: Path) -> str:
    """A markdown table of images per class in each split, the class names as the course labels them."""
    manifest = read_manifest(data_dir)
    counts = manifest["class_counts"]
    rows = ["| label | class | train | val | test |", "| --- | --- | --- | --- | --- |"]
    for k, name in enumerate(manifest["label_names"]):
        rows.append(f"| {k} | {name} | {counts['train'][k]} | {counts['val'][k]} | {counts['test'][k]} |")
    totals = manifest["counts"]
    rows.append(f"| | total | {totals['train']} | {totals['val']} | {totals['test']} |")
    return "\n".join(rows)


def contact_sheet(data_dir: Path, png: Path, per_class: int = 8) -> Path:
    """Save a grid with one row per class, so a TA can see the relabelled classes are consistent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = np.load(data_dir / layout.TRAIN_IMAGES, mmap_mode="r")
    labels = np.load(data_dir / layout.TRAIN_LABELS)
    names = read_manifest(data_dir)["label_names"]
    fig, axes = plt.subplots(
        layout.NUM_CLASSES, per_class, figsize=(per_class * 0.9, layout.NUM_CLASSES * 0.95)
    )
    for k in range(layout.NUM_CLASSES):
        picks = np.flatnonzero(labels == k)[:per_class]
        for j, ax in enumerate(axes[k]):
            ax.axis("off")
            if j < len(picks):
                ax.imshow(images[picks[j]])
        axes[k][0].set_title(f"{k}: {names[k]}", fontsize=7, loc="left")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=80)
    plt.close(fig)
    return png
