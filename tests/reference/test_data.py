from pathlib import Path

import numpy as np
import pytest

from reference.data import CourseDataError, load_course_data
from tests.reference.tiny_course import make_course_dir
from tools import layout


def test_loads_the_splits(tmp_path: Path) -> None:
    data = load_course_data(make_course_dir(tmp_path, n_train=20, n_val=10, n_test=5), with_test=True)
    assert data.train_images.shape == (20, 32, 32, 3) and data.train_images.dtype == np.uint8
    assert data.val_labels.shape == (10,) and data.val_labels.dtype == np.int64
    assert data.test_images is not None and len(data.test_images) == 5
    assert load_course_data(tmp_path).test_images is None
    assert len(data.limit(3).train_images) == 3


def test_missing_file_is_named(tmp_path: Path) -> None:
    make_course_dir(tmp_path)
    (tmp_path / layout.VAL_LABELS).unlink()
    with pytest.raises(CourseDataError, match=layout.VAL_LABELS):
        load_course_data(tmp_path)


def test_wrong_shape_is_named(tmp_path: Path) -> None:
    make_course_dir(tmp_path)
    np.save(tmp_path / layout.TRAIN_IMAGES, np.zeros((4, 3, 32, 32), dtype=np.uint8))
    with pytest.raises(CourseDataError, match=layout.TRAIN_IMAGES):
        load_course_data(tmp_path)


def test_pickled_arrays_are_refused(tmp_path: Path) -> None:
    make_course_dir(tmp_path)
    np.save(tmp_path / layout.TRAIN_LABELS, np.array([object()] * 256), allow_pickle=True)
    with pytest.raises(CourseDataError, match=layout.TRAIN_LABELS):
        load_course_data(tmp_path)
