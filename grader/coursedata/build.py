"""Turn CIFAR-10 into the course's data: a stratified train/val split, an optional secret relabelling, the
``.npy`` files and zips the student loader expects, and a TA-only ``hidden/`` folder.

Everything is derived from the inputs and the seeds, and the zips carry fixed timestamps, so the same
inputs give byte-identical outputs: a TA can rebuild the data and check it against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.coursedata.sources import CifarSource, load_source
from grader.errors import DataSourceError
from tools import layout

FORMAT_VERSION = 1
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BuildSummary:
    out: Path
    counts: dict[str, int]
    class_counts: dict[str, list[int]]
    permutation: list[int]
    seconds: float


def derangement(seed: int, size: int = layout.NUM_CLASSES) -> np.ndarray:
    """A permutation with no fixed point: under it, every original label is wrong."""
    rng = np.random.default_rng(seed)
    while True:
        perm = rng.permutation(size)
        if not np.any(perm == np.arange(size)):
            return perm


def stratified_split(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of train and val, with val spread over the classes as evenly as the counts allow."""
    classes = np.unique(labels)
    if not 0 < val_size < len(labels):
        raise DataSourceError(f"--val-size must lie between 1 and {len(labels) - 1}, got {val_size}")
    rng = np.random.default_rng(seed)
    quota = np.full(len(classes), val_size // len(classes))
    quota[: val_size % len(classes)] += 1
    val_parts, train_parts = [], []
    for cls, take in zip(classes, quota, strict=True):
        members = rng.permutation(np.flatnonzero(labels == cls))
        if take >= len(members):
            raise DataSourceError(
                f"class {cls} has only {len(members)} images: --val-size {val_size} is too large"
            )
        val_parts.append(members[:take])
        train_parts.append(members[take:])
    return rng.permutation(np.concatenate(train_parts)), rng.permutation(np.concatenate(val_parts))


def build_course_data(
    source: str | Path,
    out: Path,
    *,
    relabel_seed: int | None = None,
    term: str = "F20",
    val_size: int | None = None,
    split_seed: int = 0,
    force: bool = False,
) -> BuildSummary:
    """Build the course layout in ``out`` (replaced atomically; an existing non-empty folder needs force)."""
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise DataSourceError(f"{out} already exists and is not empty: pass --force to replace it")
    if not term.replace("-", "").isalnum():
        raise DataSourceError(f"--term must be letters and digits (like F20), got {term!r}")
    data = load_source(source)
    val_size = len(data.train_labels) // 10 if val_size is None else val_size
    train_idx, val_idx = stratified_split(data.train_labels, val_size, split_seed)
    test_idx = np.random.default_rng(split_seed + 1).permutation(len(data.test_labels))
    perm = derangement(relabel_seed) if relabel_seed is not None else np.arange(layout.NUM_CLASSES)
    splits = {
        "train": (data.train_images[train_idx], perm[data.train_labels[train_idx]]),
        "val": (data.train_images[val_idx], perm[data.train_labels[val_idx]]),
        "test": (data.test_images[test_idx], perm[data.test_labels[test_idx]]),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; only hidden/ should be
    try:
        _write_layout(staging, splits, term)
        manifest = _manifest(staging, data, splits, perm, relabel_seed, split_seed, term)
        (staging / layout.HIDDEN_DIR / layout.MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildSummary(
        out=out,
        counts={name: len(labels) for name, (_, labels) in splits.items()},
        class_counts=manifest["class_counts"],
        permutation=[int(p) for p in perm],
        seconds=time.perf_counter() - started,
    )


def _write_layout(root: Path, splits: dict[str, tuple[np.ndarray, np.ndarray]], term: str) -> None:
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = splits["train"], splits["val"], splits["test"]
    arrays = {
        layout.TRAIN_IMAGES: train_x,
        layout.TRAIN_LABELS: train_y.astype(np.int64),
        layout.VAL_IMAGES: val_x,
        layout.VAL_LABELS: val_y.astype(np.int64),
        layout.TEST_IMAGES: test_x,
    }
    for name, array in arrays.items():
        np.save(root / name, np.ascontiguousarray(array), allow_pickle=False)
    _write_zip(root / layout.trainval_zip_name(term), root, layout.TRAINVAL_FILES)
    _write_zip(root / layout.test_zip_name(term), root, layout.TEST_FILES)
    hidden = root / layout.HIDDEN_DIR
    hidden.mkdir(mode=0o700)
    np.save(hidden / layout.HIDDEN_TEST_LABELS, test_y.astype(np.int64), allow_pickle=False)


def _write_zip(archive: Path, root: Path, names: tuple[str, ...]) -> None:
    """Stored (the images barely compress) with fixed metadata, so the bytes depend only on the content."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            with open(root / name, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(
    root: Path,
    data: CifarSource,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    perm: np.ndarray,
    relabel_seed: int | None,
    split_seed: int,
    term: str,
) -> dict[str, Any]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    inverse = np.argsort(perm)
    return {
        "format_version": FORMAT_VERSION,
        "term": term,
        "split_seed": split_seed,
        "relabel_seed": relabel_seed,
        "class_permutation": [int(p) for p in perm],
        "class_permutation_doc": "course label = class_permutation[original CIFAR-10 label]",
        "label_names": [data.label_names[int(inverse[k])] for k in range(layout.NUM_CLASSES)],
        "original_label_names": data.label_names,
        "counts": {name: int(len(labels)) for name, (_, labels) in splits.items()},
        "class_counts": {
            name: np.bincount(labels, minlength=layout.NUM_CLASSES).tolist()
            for name, (_, labels) in splits.items()
        },
        "source": data.description,
        "sha256": {p.relative_to(root).as_posix(): _sha256(p) for p in files},
    }
