"""Fixtures of the reference tests: synthetic course data, and a student's folder of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.student_data import CourseDataFactory, student_data


@pytest.fixture(scope="session")
def course_data(course_data_factory: CourseDataFactory) -> Path:
    """Synthetic course data (1800 train / 200 val / 400 test) with the true classes."""
    return course_data_factory(2000)


@pytest.fixture
def workdir(tmp_path: Path, course_data: Path) -> Path:
    """A student's folder: only the course zips in ./data, so the loaders must unpack them offline."""
    student_data(course_data, tmp_path / "data")
    return tmp_path
