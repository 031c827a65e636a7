"""The course loader the notebooks import: both call forms, three modes, offline unzip, clear errors."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from tools import layout
from tools.archive import CourseDataMissing
from tools.dataloader import CIFAR10 as F19CIFAR10
from tools.dataloader_test import CIFAR10Test
from tools.dataset import CIFAR10


@pytest.fixture
def zips_only(synthetic_course: Path, tmp_path: Path) -> Path:
    """A student's ./data folder as handed out: just the course zips."""
    root = tmp_path / "data"
    root.mkdir()
    for archive in synthetic_course.glob("cifar10_*.zip"):
        shutil.copy(archive, root)
    return root


def test_three_modes_and_their_items(synthetic_course: Path) -> None:
    train = CIFAR10(synthetic_course, mode="train")
    val = CIFAR10(synthetic_course, mode="val")
    test = CIFAR10(synthetic_course, mode="test")
    assert (len(train), len(val), len(test)) == (900, 100, 200)
    image, label = train[0]
    assert isinstance(image, Image.Image) and image.size == (32, 32) and image.mode == "RGB"
    assert label == int(np.load(synthetic_course / layout.TRAIN_LABELS)[0])
    assert np.array_equal(np.asarray(val[3][0]), np.load(synthetic_course / layout.VAL_IMAGES)[3])
    assert isinstance(test[0], Image.Image), "test mode yields images only: its labels stay with the TAs"


def test_older_train_flag_forms_match_mode(synthetic_course: Path) -> None:
    by_mode = CIFAR10(synthetic_course, mode="val")
    for dataset in (
        CIFAR10(synthetic_course, train=False),
        CIFAR10(synthetic_course, False),
        F19CIFAR10(root=str(synthetic_course), train=False, download=True),
    ):
        assert dataset.mode == "val" and dataset.targets == by_mode.targets
    assert CIFAR10(synthetic_course, True).mode == "train"
    assert CIFAR10(synthetic_course).mode == "train"


def test_transforms_apply_and_feed_a_dataloader(synthetic_course: Path) -> None:
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.25,) * 3)])
    dataset = CIFAR10(synthetic_course, mode="train", transform=normalize, target_transform=lambda y: y + 100)
    images, labels = next(iter(torch.utils.data.DataLoader(dataset, batch_size=16)))
    assert images.shape == (16, 3, 32, 32) and images.dtype == torch.float32
    assert labels.min() >= 100
    test_batch = next(
        iter(torch.utils.data.DataLoader(CIFAR10Test(synthetic_course, transform=normalize), 8))
    )
    assert test_batch.shape == (8, 3, 32, 32)


def test_download_only_unpacks_the_zip_in_root(zips_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = CIFAR10(zips_only, mode="train", download=True)
    assert len(train) == 900 and (zips_only / layout.TRAIN_IMAGES).is_file()
    assert "Extracting" in capsys.readouterr().out
    assert len(CIFAR10Test(zips_only)) == 200
    assert not list(zips_only.glob("*.part"))


def test_absent_data_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(
        CourseDataMissing, match=r"expected the files train-images-batch.npy.*cifar10_trainval_\*\.zip"
    ):
        CIFAR10(tmp_path, mode="train")
    with pytest.raises(CourseDataMissing, match=r"never downloads"):
        CIFAR10Test(tmp_path)


def test_download_false_does_not_unpack(zips_only: Path) -> None:
    with pytest.raises(CourseDataMissing, match=r"pass download=True"):
        CIFAR10(zips_only, mode="val", download=False)


def test_two_term_zips_are_ambiguous(zips_only: Path) -> None:
    shutil.copy(zips_only / "cifar10_trainval_F20.zip", zips_only / "cifar10_trainval_F19.zip")
    with pytest.raises(CourseDataMissing, match=r"several course zips.*F19.*F20"):
        CIFAR10(zips_only, mode="train")


def test_crafted_zip_cannot_write_outside_root(synthetic_course: Path, tmp_path: Path) -> None:
    root = tmp_path / "inner" / "data"
    root.mkdir(parents=True)
    with zipfile.ZipFile(root / "cifar10_test_F20.zip", "w") as zf:
        zf.writestr("../../" + layout.TEST_IMAGES, (synthetic_course / layout.TEST_IMAGES).read_bytes())
    assert len(CIFAR10(root, mode="test")) == 200
    assert not (tmp_path / layout.TEST_IMAGES).exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "cifar10_test_F20.zip").write_bytes(b"garbage")
    with pytest.raises(CourseDataMissing, match=r"cifar10_test_F20.zip is not a valid zip"):
        CIFAR10Test(broken)


def test_bad_arguments(synthetic_course: Path) -> None:
    with pytest.raises(ValueError, match=r"mode must be one of train, val, test"):
        CIFAR10(synthetic_course, mode="validation")
    with pytest.raises(TypeError, match=r"either mode= or train="):
        CIFAR10(synthetic_course, mode="train", train=True)


def test_wrong_image_file_is_named(synthetic_course: Path, tmp_path: Path) -> None:
    for name in layout.TRAINVAL_FILES:
        shutil.copy(synthetic_course / name, tmp_path)
    np.save(tmp_path / layout.VAL_IMAGES, np.zeros((100, 32, 32), dtype=np.uint8))
    with pytest.raises(
        ValueError, match=r"val-images-batch.npy: expected uint8 images of shape \(N, 32, 32, 3\)"
    ):
        CIFAR10(tmp_path, mode="val")
