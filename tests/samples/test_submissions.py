"""The sample submissions made from the template and the reference, each broken the way its name says."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from grader.paths import REFERENCE_NOTEBOOKS
from grader.samples.submissions import broken_submission, pretrained_submission, template_submission
from grader.static import scan_notebook
from grader.static.integrity import PRETRAINED
from grader.static.predictions import PredictionsError, read_predictions
from grader.template import PLACEHOLDER

LAB1, LAB2, LAB3 = "lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb"


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    """A stand-in for the reference sample: the reference notebooks (unexecuted) and a predictions.csv."""
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_NOTEBOOKS, folder)
    (folder / "predictions.csv").write_text("Id,Label\n0,3\n1,7\n")
    return folder


def code_of(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def test_the_template_submission_is_the_unfilled_handout(tmp_path: Path) -> None:
    out = template_submission(tmp_path / "template")
    assert sorted(p.name for p in out.iterdir()) == sorted([LAB1, LAB2, LAB3, "predictions.csv"])
    for name in (LAB1, LAB2, LAB3):
        assert PLACEHOLDER[1] in code_of(out / name), name
    assert len(read_predictions(out / "predictions.csv").labels) == 10_000


def test_the_broken_submission_crashes_misnames_and_uses_semicolons(reference: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in reference.iterdir()}
    out = broken_submission(reference, tmp_path / "broken")
    assert "undefined_helper()\nfor i in range(" in code_of(out / LAB1)
    assert not (out / LAB2).exists() and (out / "Lenet5_cifar10_dev (1).ipynb").is_file()
    assert (out / "predictions.csv").read_text() == "Id;Label\n0;3\n1;7\n"
    with pytest.raises(PredictionsError, match="comma"):
        read_predictions(out / "predictions.csv", expected_rows=2)
    assert {p.name: p.read_bytes() for p in reference.iterdir()} == before  # a copy, the reference untouched


def test_the_pretrained_submission_is_caught_by_the_integrity_scan(reference: Path, tmp_path: Path) -> None:
    assert not [
        f for f in scan_notebook(nbformat.read(reference / LAB3, as_version=4), LAB3) if f.kind == PRETRAINED
    ]
    out = pretrained_submission(reference, tmp_path / "pretrained")
    found = scan_notebook(nbformat.read(out / LAB3, as_version=4), LAB3)
    assert [(f.kind, f.severity) for f in found if f.kind == PRETRAINED] == [(PRETRAINED, "error")]
    assert "resnet18" in code_of(out / LAB3) and "net = ResNet20()" not in code_of(out / LAB3)
    for name in (LAB1, LAB2, "predictions.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
