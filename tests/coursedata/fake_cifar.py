"""Writers of small stand-ins for the official CIFAR-10 files, to test the builder's error handling."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from grader.coursedata.sources import META, ROWS_PER_BATCH, TEST_BATCH, TRAIN_BATCHES


def fake_batch(seed: int, rows: int = ROWS_PER_BATCH, width: int = 3072) -> dict[bytes, object]:
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"fake batch",
        b"labels": [int(x) for x in rng.integers(0, 10, rows)],
        # A periodic pattern rather than noise: it gzips fast, and rows still differ from one another.
        b"data": ((np.arange(rows * width) * (seed + 7)) % 251).astype(np.uint8).reshape(rows, width),
        b"filenames": [b"img%d.png" % i for i in range(rows)],
    }


def write_fake_folder(folder: Path) -> Path:
    """A cifar-10-batches-py folder with random pixels and labels in the official pickle format."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate((*TRAIN_BATCHES, TEST_BATCH)):
        (folder / name).write_bytes(pickle.dumps(fake_batch(seed), protocol=2))
    meta = {b"label_names": [b"c%d" % k for k in range(10)], b"num_cases_per_batch": ROWS_PER_BATCH}
    (folder / META).write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_tarball(folder: Path, archive: Path, skip: str | None = None) -> Path:
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for path in sorted(folder.iterdir()):
            if path.name != skip:
                tar.add(path, arcname=f"cifar-10-batches-py/{path.name}")
    return archive
