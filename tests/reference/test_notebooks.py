"""The reference notebooks run end to end on course data; the unfilled template stops at its first gap."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbclient.exceptions import CellExecutionError

from grader.execute.overrides import apply_overrides
from grader.paths import REFERENCE_NOTEBOOKS
from tests.notebook_runs import NOTEBOOKS, execute, stdout_of
from tests.paths import STUDENT_TEMPLATE
from tools import layout

pytestmark = pytest.mark.slow

QUICK = {"EPOCHS": 1, "NUM_WORKERS": 0}  # worker processes only compete for the CPU here
FINISHED = re.compile(r"^==> Optimization finished! Best validation accuracy: (\d\.\d{4})$", re.MULTILINE)
CHECKPOINTS = {
    "lenet5-cifar10.ipynb": "lenet5.pth",
    "lenet5-cifar10-dev.ipynb": "lenet5-dev.pth",
    "resnet-cifar10.ipynb": "resnet20.pth",
}


def read_predictions(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        header, *rows = csv.reader(f)
    return header, rows


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_reference_notebook_trains_and_saves_the_best_checkpoint(
    name: str, workdir: Path, course_data: Path
) -> None:
    nb = nbformat.read(REFERENCE_NOTEBOOKS / name, as_version=4)
    assert all(record.applied for record in apply_overrides(nb, QUICK))
    execute(nb, workdir)

    out = stdout_of(nb)
    assert "Validation loss: " in out and "Training loss: " in out
    (best,) = FINISHED.findall(out)
    assert 0.0 < float(best) <= 1.0
    checkpoint = torch.load(workdir / "saved_model" / CHECKPOINTS[name], weights_only=True)
    assert set(checkpoint) == {"state_dict", "epoch", "lr"} and checkpoint["epoch"] == 0

    if name == "resnet-cifar10.ipynb":
        test_images = len(np.load(course_data / layout.TEST_IMAGES))
        header, rows = read_predictions(workdir / "predictions.csv")
        assert header == ["Id", "Label"]
        assert [int(row[0]) for row in rows] == list(range(test_images))
        assert all(len(row) == 2 and row[1].isdigit() and int(row[1]) < layout.NUM_CLASSES for row in rows)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_unfilled_template_stops_with_not_implemented(name: str, workdir: Path) -> None:
    nb = nbformat.read(STUDENT_TEMPLATE / name, as_version=4)
    with pytest.raises(CellExecutionError) as failure:
        execute(nb, workdir)
    assert failure.value.ename == "NotImplementedError"
    assert failure.value.evalue == "your code"
