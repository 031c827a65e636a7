"""Fixtures of the reference tests: course data built through the CLI, and a student's folder of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT


@pytest.fixture(scope="session")
def course_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic course data (1800 train / 200 val / 400 test) made the way a TA makes it."""
    out = tmp_path_factory.mktemp("notebook-course") / "course"
    command = [
        sys.executable,
        "-m",
        "grader",
        "data",
        "build",
        "--source",
        "synthetic:2000",
        "--out",
        str(out),
    ]
    subprocess.run([*command, "--force"], check=True, cwd=REPO_ROOT, capture_output=True)
    return out


@pytest.fixture
def workdir(tmp_path: Path, course_data: Path) -> Path:
    """A student's folder: only the course zips in ./data, so the loaders must unpack them offline."""
    data = tmp_path / "data"
    data.mkdir()
    for archive in course_data.glob("*.zip"):
        shutil.copy(archive, data / archive.name)
    return tmp_path
