"""Reading CIFAR-10 from the official python-pickle layout, the official tarball, or the synthetic generator.

The pickles are read with an unpickler that only admits what the official files use (numpy arrays), so a
crafted file cannot run code. The official md5 sums are recorded but not enforced: a faithful rebuild of
the data (different row order, same images) must still be usable.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from grader.coursedata import synthetic
from grader.errors import DataSourceError

BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
ROWS_PER_BATCH = 10000
OFFICIAL_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
DEFAULT_SYNTHETIC_COUNT = 6000
_SYNTHETIC = re.compile(r"^synthetic(?::(\d+))?$")
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


@dataclass
class CifarSource:
    """Both official splits as HWC uint8 images with int64 labels, plus what they were read from."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    label_names: list[str]
    description: dict[str, Any] = field(default_factory=dict)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: CIFAR-10 batches hold only numpy arrays"
        )


def load_source(spec: str | Path) -> CifarSource:
    """Dispatch on what SRC names: ``synthetic[:N]``, a ``.tar.gz``, or a folder of batch pickles."""
    text = str(spec)
    match = _SYNTHETIC.match(text)
    if match:
        return _load_synthetic(int(match.group(1) or DEFAULT_SYNTHETIC_COUNT))
    path = Path(spec)
    if not path.exists():
        raise DataSourceError(
            f"CIFAR-10 source {path} does not exist: expected a cifar-10-batches-py folder, "
            "cifar-10-python.tar.gz, or synthetic[:N]"
        )
    if path.is_file():
        return _load_tarball(path)
    return _load_folder(path)


def _load_synthetic(count: int) -> CifarSource:
    if count < 100:
        raise DataSourceError(f"synthetic:{count} is too small: ask for at least 100 training images")
    train_images, train_labels = synthetic.synthetic_split(count, seed=1)
    test_images, test_labels = synthetic.synthetic_split(max(count // 5, 10), seed=2)
    return CifarSource(
        train_images,
        train_labels,
        test_images,
        test_labels,
        list(synthetic.LABEL_NAMES),
        {"kind": "synthetic", "count": count},
    )


def _load_folder(path: Path) -> CifarSource:
    folder = path / BATCH_DIR if (path / BATCH_DIR).is_dir() else path
    names = (*TRAIN_BATCHES, TEST_BATCH, META)
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise DataSourceError(
            f"{folder} is not a CIFAR-10 python-pickle folder: missing {', '.join(missing)} "
            f"(expected {', '.join(names)})"
        )
    blobs = {name: (folder / name).read_bytes() for name in names}
    return _from_blobs(blobs, origin=str(folder), kind="folder")


def _load_tarball(path: Path) -> CifarSource:
    names = (*TRAIN_BATCHES, TEST_BATCH, META)
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [name for name in names if name not in members]
            if missing:
                raise DataSourceError(
                    f"{path}: the archive lacks {', '.join(missing)} (official cifar-10-python.tar.gz)"
                )
            blobs = {name: _read_member(tar, members[name], path) for name in names}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataSourceError(f"{path} is not a readable .tar.gz archive ({exc})") from exc
    return _from_blobs(blobs, origin=str(path), kind="tarball")


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise DataSourceError(f"{archive}: cannot read {member.name}")
    return handle.read()


def _from_blobs(blobs: dict[str, bytes], origin: str, kind: str) -> CifarSource:
    files = {}
    for name, blob in blobs.items():
        md5 = hashlib.md5(blob).hexdigest()
        files[name] = {
            "sha256": hashlib.sha256(blob).hexdigest(),
            "official_md5": md5 == OFFICIAL_MD5[name],
        }
    train = [_parse_batch(blobs[name], f"{origin}/{name}") for name in TRAIN_BATCHES]
    test_images, test_labels = _parse_batch(blobs[TEST_BATCH], f"{origin}/{TEST_BATCH}")
    label_names = _parse_meta(blobs[META], f"{origin}/{META}")
    return CifarSource(
        np.concatenate([images for images, _ in train]),
        np.concatenate([labels for _, labels in train]),
        test_images,
        test_labels,
        label_names,
        {"kind": kind, "files": files},
    )


def _unpickle(blob: bytes, where: str) -> Any:
    stream: BinaryIO = io.BytesIO(blob)
    try:
        return _ArraysOnlyUnpickler(stream, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise DataSourceError(
            f"{where}: truncated or corrupt CIFAR-10 pickle ({type(exc).__name__}: {exc})"
        ) from exc


def _field(batch: Any, key: str, where: str) -> Any:
    if not isinstance(batch, dict):
        raise DataSourceError(f"{where}: expected a pickled dict, found {type(batch).__name__}")
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    raise DataSourceError(f"{where}: missing the '{key}' entry")


def _parse_batch(blob: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    batch = _unpickle(blob, where)
    data = np.asarray(_field(batch, "data", where))
    labels = np.asarray(_field(batch, "labels", where))
    if data.dtype != np.uint8 or data.shape != (ROWS_PER_BATCH, 3072):
        raise DataSourceError(
            f"{where}: 'data' should be uint8 of shape ({ROWS_PER_BATCH}, 3072), "
            f"found {data.dtype} {data.shape}"
        )
    if labels.shape != (ROWS_PER_BATCH,) or not np.issubdtype(labels.dtype, np.integer):
        raise DataSourceError(
            f"{where}: 'labels' should be {ROWS_PER_BATCH} integers, found {labels.dtype} {labels.shape}"
        )
    if labels.min() < 0 or labels.max() > 9:
        raise DataSourceError(f"{where}: labels must lie in 0..9, found {labels.min()}..{labels.max()}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int64)


def _parse_meta(blob: bytes, where: str) -> list[str]:
    names = _field(_unpickle(blob, where), "label_names", where)
    decoded = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    if len(decoded) != 10:
        raise DataSourceError(f"{where}: expected 10 label_names, found {len(decoded)}")
    return decoded
