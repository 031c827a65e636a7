"""Fixtures for the notebook tests: course data built through the CLI, and a notebook runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / "reference" / "notebooks"
TEMPLATE_DIR = REPO_ROOT / "student_template"
NOTEBOOKS = ("lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb")
CELL_TIMEOUT_S = 300


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


def execute(nb: nbformat.NotebookNode, cwd: Path) -> None:
    """Run every cell headless in a fresh python3 kernel of this interpreter, with cwd as the folder."""
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()


def stdout_of(nb: nbformat.NotebookNode) -> str:
    return "".join(
        output.text
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.name == "stdout"
    )
