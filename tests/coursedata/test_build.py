"""The course-data builder: layout, determinism, the relabelling anti-cheat, and its errors."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.coursedata import build_course_data
from grader.coursedata.build import derangement, stratified_split
from grader.coursedata.sources import load_source
from grader.errors import DataSourceError
from tests.coursedata.fake_cifar import fake_batch, write_fake_folder, write_tarball
from tests.student_data import CourseDataFactory
from tools import layout


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def fake_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_folder(tmp_path_factory.mktemp("fake") / "cifar-10-batches-py")


@pytest.fixture
def fake_copy(fake_folder: Path, tmp_path: Path) -> Path:
    """A folder of links to the good fake batches, so a test can replace one file cheaply."""
    copy = tmp_path / "cifar-10-batches-py"
    copy.mkdir()
    for path in fake_folder.iterdir():
        (copy / path.name).symlink_to(path)
    return copy


def test_synthetic_layout_counts_and_classes(synthetic_course: Path) -> None:
    expected = {
        layout.TRAIN_IMAGES: (900, 32, 32, 3),
        layout.TRAIN_LABELS: (900,),
        layout.VAL_IMAGES: (100, 32, 32, 3),
        layout.VAL_LABELS: (100,),
        layout.TEST_IMAGES: (200, 32, 32, 3),
    }
    for name, shape in expected.items():
        array = np.load(synthetic_course / name)
        assert array.shape == shape, name
        assert array.dtype == (np.uint8 if "images" in name else np.int64), name
    for name in (layout.TRAIN_LABELS, layout.VAL_LABELS):
        assert set(np.load(synthetic_course / name).tolist()) == set(range(10)), name
    hidden_labels = np.load(synthetic_course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)
    assert hidden_labels.shape == (200,) and set(hidden_labels.tolist()) == set(range(10))
    assert np.bincount(np.load(synthetic_course / layout.VAL_LABELS)).tolist() == [10] * 10


def test_hidden_folder_is_private_and_manifest_matches_files(synthetic_course: Path) -> None:
    hidden = synthetic_course / layout.HIDDEN_DIR
    assert (hidden.stat().st_mode & 0o777) == 0o700
    assert (synthetic_course.stat().st_mode & 0o777) == 0o755
    manifest = json.loads((hidden / layout.MANIFEST).read_text())
    on_disk = sha256_tree(synthetic_course)
    del on_disk[f"{layout.HIDDEN_DIR}/{layout.MANIFEST}"]
    assert manifest["sha256"] == on_disk
    assert manifest["relabel_seed"] == 3 and manifest["split_seed"] == 0
    assert (hidden / layout.HIDDEN_TEST_LABELS).name not in {n for n in os.listdir(synthetic_course)}


def test_zips_hold_the_same_arrays(synthetic_course: Path) -> None:
    with zipfile.ZipFile(synthetic_course / layout.trainval_zip_name("F20")) as zf:
        assert sorted(zf.namelist()) == sorted(layout.TRAINVAL_FILES)
        for name in layout.TRAINVAL_FILES:
            assert zf.read(name) == (synthetic_course / name).read_bytes()
    with zipfile.ZipFile(synthetic_course / layout.test_zip_name("F20")) as zf:
        assert zf.namelist() == [layout.TEST_IMAGES]


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    first = build_course_data("synthetic:500", tmp_path / "a", relabel_seed=5, term="S25")
    second = build_course_data("synthetic:500", tmp_path / "b", relabel_seed=5, term="S25")
    assert sha256_tree(first.out) == sha256_tree(second.out)
    other = build_course_data("synthetic:500", tmp_path / "c", relabel_seed=5, split_seed=1, term="S25")
    assert sha256_tree(other.out) != sha256_tree(first.out)


def test_relabelling_makes_original_labels_score_zero(course_data_factory: CourseDataFactory) -> None:
    plain, secret = course_data_factory(2000), course_data_factory(2000, relabel_seed=11)
    original = np.load(plain / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)
    relabelled = np.load(secret / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)
    # Same split seed, so the same images in the same order: a perfect model of the original labels...
    assert np.array_equal(np.load(plain / layout.TEST_IMAGES), np.load(secret / layout.TEST_IMAGES))
    assert np.mean(original == original) == 1.0
    # ...scores exactly zero on the course's labels, and the manifest says how to map one to the other.
    assert np.mean(original == relabelled) == 0.0
    perm = np.array(json.loads((secret / "hidden" / "manifest.json").read_text())["class_permutation"])
    assert np.array_equal(perm[original], relabelled)
    for split in (layout.TRAIN_LABELS, layout.VAL_LABELS):
        assert np.array_equal(perm[np.load(plain / split)], np.load(secret / split))


@pytest.mark.parametrize("seed", range(25))
def test_derangement_has_no_fixed_point(seed: int) -> None:
    perm = derangement(seed)
    assert sorted(perm.tolist()) == list(range(10))
    assert not np.any(perm == np.arange(10))


def test_stratified_split_is_a_partition() -> None:
    labels = np.repeat(np.arange(10), 50)
    train, val = stratified_split(labels, 55, seed=0)
    assert len(val) == 55 and len(train) == 445
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(500))
    assert np.bincount(labels[val]).tolist() == [6] * 5 + [5] * 5


def test_official_folder_and_tarball_read_alike(fake_folder: Path, tmp_path: Path) -> None:
    from_folder = load_source(fake_folder)
    from_torchvision_root = load_source(fake_folder.parent)
    from_tar = load_source(write_tarball(fake_folder, tmp_path / "cifar-10-python.tar.gz"))
    raw = fake_batch(0)
    first_row = np.asarray(raw[b"data"])[0].reshape(3, 32, 32).transpose(1, 2, 0)
    for source in (from_folder, from_torchvision_root, from_tar):
        assert source.train_images.shape == (50000, 32, 32, 3)
        assert source.test_images.shape == (10000, 32, 32, 3)
        assert np.array_equal(source.train_images[0], first_row)
        assert source.train_labels[:5].tolist() == raw[b"labels"][:5]
        assert source.label_names == [f"c{k}" for k in range(10)]
    assert from_folder.description["files"]["data_batch_1"]["official_md5"] is False


def test_md5_mismatch_is_recorded_not_refused(fake_copy: Path, tmp_path: Path) -> None:
    summary = build_course_data(fake_copy.parent, tmp_path / "out")
    manifest = json.loads((summary.out / "hidden" / "manifest.json").read_text())
    assert summary.counts == {"train": 45000, "val": 5000, "test": 10000}
    assert manifest["source"]["files"]["test_batch"]["official_md5"] is False


def test_missing_batch_names_the_file(fake_copy: Path, tmp_path: Path) -> None:
    (fake_copy / "data_batch_3").unlink()
    with pytest.raises(DataSourceError, match=r"missing data_batch_3"):
        build_course_data(fake_copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_truncated_pickle_names_the_file(fake_copy: Path, tmp_path: Path) -> None:
    blob = (fake_copy / "data_batch_2").read_bytes()
    (fake_copy / "data_batch_2").unlink()
    (fake_copy / "data_batch_2").write_bytes(blob[: len(blob) // 3])
    with pytest.raises(DataSourceError, match=r"data_batch_2: truncated or corrupt"):
        build_course_data(fake_copy, tmp_path / "out")


def test_wrong_shape_names_the_file_and_expectation(fake_copy: Path, tmp_path: Path) -> None:
    (fake_copy / "test_batch").unlink()
    (fake_copy / "test_batch").write_bytes(pickle.dumps(fake_batch(9, width=3000), protocol=2))
    with pytest.raises(DataSourceError, match=r"test_batch: 'data' should be uint8 of shape \(10000, 3072\)"):
        build_course_data(fake_copy, tmp_path / "out")


def test_labels_out_of_range_are_refused(fake_copy: Path, tmp_path: Path) -> None:
    batch = fake_batch(4)
    batch[b"labels"][17] = 10
    (fake_copy / "data_batch_5").unlink()
    (fake_copy / "data_batch_5").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataSourceError, match=r"data_batch_5: labels must lie in 0..9"):
        build_course_data(fake_copy, tmp_path / "out")


def test_pickle_that_runs_code_is_refused(fake_copy: Path, tmp_path: Path) -> None:
    class Exploit:
        def __reduce__(self) -> tuple:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (fake_copy / "batches.meta").unlink()
    (fake_copy / "batches.meta").write_bytes(pickle.dumps({b"label_names": Exploit()}, protocol=2))
    with pytest.raises(DataSourceError, match=r"batches.meta: .*refusing to load"):
        build_course_data(fake_copy, tmp_path / "out")
    assert not (tmp_path / "pwned").exists()


def test_tarball_missing_member_and_garbage(fake_folder: Path, tmp_path: Path) -> None:
    partial = write_tarball(fake_folder, tmp_path / "partial.tar.gz", skip="data_batch_4")
    with pytest.raises(DataSourceError, match=r"partial.tar.gz: the archive lacks data_batch_4"):
        build_course_data(partial, tmp_path / "out")
    garbage = tmp_path / "cifar-10-python.tar.gz"
    garbage.write_bytes(b"not a tarball at all")
    with pytest.raises(DataSourceError, match=r"cifar-10-python.tar.gz is not a readable .tar.gz"):
        build_course_data(garbage, tmp_path / "out")


def test_other_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"nowhere does not exist"):
        build_course_data(tmp_path / "nowhere", tmp_path / "out")
    with pytest.raises(DataSourceError, match=r"synthetic:50 is too small"):
        build_course_data("synthetic:50", tmp_path / "out")
    with pytest.raises(DataSourceError, match=r"--val-size must lie between 1 and 499"):
        build_course_data("synthetic:500", tmp_path / "out", val_size=500)
    with pytest.raises(DataSourceError, match=r"--term must be letters and digits"):
        build_course_data("synthetic:500", tmp_path / "out", term="../x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(DataSourceError, match=r"full already exists and is not empty: pass --force"):
        build_course_data("synthetic:500", tmp_path / "full")
    build_course_data("synthetic:500", tmp_path / "full", force=True)
    assert not (tmp_path / "full" / "keep.txt").exists()


@pytest.mark.real_data
def test_real_cifar10_build_is_complete_and_reproducible(real_cifar10: Path, tmp_path: Path) -> None:
    first = build_course_data(real_cifar10, tmp_path / "a", relabel_seed=2020)
    second = build_course_data(real_cifar10, tmp_path / "b", relabel_seed=2020)
    assert first.counts == {"train": 45000, "val": 5000, "test": 10000}
    assert first.class_counts["val"] == [500] * 10
    assert first.class_counts["train"] == [4500] * 10
    assert first.class_counts["test"] == [1000] * 10
    assert sha256_tree(first.out) == sha256_tree(second.out)
    manifest = json.loads((first.out / "hidden" / "manifest.json").read_text())
    assert manifest["original_label_names"][0] == "airplane"
    assert manifest["source"]["files"]["batches.meta"]["official_md5"] is True
    print(f"real build: {first.seconds:.1f} s and {second.seconds:.1f} s")
