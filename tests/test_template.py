"""The student template is derived from the reference notebooks and must never leak a solution."""

from __future__ import annotations

import ast
import csv
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.paths import REFERENCE_NOTEBOOKS
from grader.rubric import load_rubric, resolve_rubric
from grader.static.predictions import course_sample, read_predictions
from grader.template import (
    PLACEHOLDER,
    SOLUTION_BEGIN,
    SOLUTION_END,
    TemplateError,
    build_template,
    check_template,
    strip_solutions,
)
from tests.notebook_runs import NOTEBOOKS
from tests.paths import STUDENT_TEMPLATE

# Calls that only a solution makes; none of them may survive in the template.
SOLUTION_ONLY = ("nn.Conv2d(", "nn.Linear(", "nn.CrossEntropyLoss(", "optim.SGD(", "transforms.Normalize(")


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def test_a_region_becomes_the_placeholder_at_its_indentation() -> None:
    source = (
        "for x in y:\n    a = 1\n    # BEGIN SOLUTION\n    b = 2\n\n    c = 3\n    # END SOLUTION\n    d = 4"
    )
    expected = (
        'for x in y:\n    a = 1\n    # your code\n    raise NotImplementedError("your code")\n    d = 4'
    )
    assert strip_solutions(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# BEGIN SOLUTION\nx = 1", "without # END SOLUTION"),
        ("x = 1\n# END SOLUTION", "without # BEGIN SOLUTION"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
        ("    # BEGIN SOLUTION\nx = 1\n    # END SOLUTION", "indented less"),
        ("# BEGIN SOLUTION\nx = 1\n    # END SOLUTION", "not indented like"),
    ],
)
def test_malformed_markers_are_rejected(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        strip_solutions(source)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_solution_region_is_replaced(name: str) -> None:
    reference, template = code_cells(REFERENCE_NOTEBOOKS / name), code_cells(STUDENT_TEMPLATE / name)
    assert len(reference) == len(template)
    for ref, tpl in zip(reference, template, strict=True):
        regions = [line.strip() for line in ref.splitlines()].count(SOLUTION_BEGIN)
        lines = [line.strip() for line in tpl.splitlines()]
        assert lines.count(PLACEHOLDER[0]) == lines.count(PLACEHOLDER[1]) == regions
        assert SOLUTION_BEGIN not in tpl and SOLUTION_END not in tpl
        assert not [call for call in SOLUTION_ONLY if call in tpl]
        ast.parse(tpl)
    assert sum(PLACEHOLDER[0] in cell for cell in template) >= 5


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_template_notebooks_are_clean_and_valid(name: str) -> None:
    nb = nbformat.read(STUDENT_TEMPLATE / name, as_version=4)
    nbformat.validate(nb)
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    for cell in nb.cells:
        assert cell.metadata == {}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_committed_template_is_in_sync_with_the_reference() -> None:
    assert check_template(REFERENCE_NOTEBOOKS, STUDENT_TEMPLATE) == []
    assert os.readlink(STUDENT_TEMPLATE / "tools") == "../tools"
    assert (STUDENT_TEMPLATE / "tools" / "dataset.py").is_file()


def test_sample_csv_lists_every_test_id_once() -> None:
    with open(STUDENT_TEMPLATE / "sample.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Id", "Label"]
    assert rows[1:] == [[str(i), "0"] for i in range(10_000)]


def test_readme_names_every_notebook_and_the_course_zips() -> None:
    readme = (STUDENT_TEMPLATE / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in NOTEBOOKS)
    assert "cifar10_trainval_<TERM>.zip" in readme and "EPOCHS = 1" in readme


def test_build_then_check_reports_each_kind_of_drift(tmp_path: Path) -> None:
    out = tmp_path / "template"
    written = build_template(REFERENCE_NOTEBOOKS, out)
    assert sorted(p.name for p in written) == sorted([*NOTEBOOKS, "sample.csv", "README.md", "tools"])
    assert check_template(REFERENCE_NOTEBOOKS, out) == []
    assert (out / "tools").resolve() == (REFERENCE_NOTEBOOKS.parents[1] / "tools").resolve()

    (out / NOTEBOOKS[0]).write_text("{}")
    (out / "sample.csv").unlink()
    (out / "old-lab.ipynb").write_text("{}")
    (out / "tools").unlink()
    problems = check_template(REFERENCE_NOTEBOOKS, out)
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [NOTEBOOKS[0], "sample.csv", "old-lab.ipynb", "tools"]

    build_template(REFERENCE_NOTEBOOKS, out)
    assert check_template(REFERENCE_NOTEBOOKS, out) == []
    assert not (out / "old-lab.ipynb").exists()


def test_a_real_tools_folder_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    with pytest.raises(TemplateError, match="real folder"):
        build_template(REFERENCE_NOTEBOOKS, tmp_path)


# ---------------------------------------------------------------- the ECE661 template, derived from the same
ECE661 = STUDENT_TEMPLATE / "ece661"


def test_the_ece661_template_has_the_rubric_notebooks_and_is_in_sync() -> None:
    rubric = load_rubric(resolve_rubric("ece661-hw2"))
    assert sorted(path.name for path in ECE661.glob("*.ipynb")) == sorted(
        n.filename for n in rubric.notebooks
    )
    assert check_template(REFERENCE_NOTEBOOKS, ECE661, "ece661") == []
    assert os.readlink(ECE661 / "tools") == "../../tools" and (ECE661 / "tools" / "dataset.py").is_file()
    assert check_template(REFERENCE_NOTEBOOKS, STUDENT_TEMPLATE, "ece661")  # the F20 folder is not ECE661's


@pytest.mark.parametrize("path", sorted(ECE661.glob("*.ipynb")), ids=lambda path: path.name)
def test_ece661_notebooks_hold_placeholders_and_no_solution_or_f20_names(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    for source in cells:
        ast.parse(source)
        assert not [call for call in SOLUTION_ONLY if call in source]
    text = "\n".join(cell.source for cell in nb.cells)
    assert sum(PLACEHOLDER[1] in source for source in cells) >= 3
    assert "LeNet" not in text and "lenet5" not in text and "train=True" not in text
    assert all(cell.outputs == [] for cell in nb.cells if cell.cell_type == "code")


def test_ece661_notebooks_say_what_ece661_asks() -> None:
    def text(name: str) -> str:
        return "\n".join(cell.source for cell in nbformat.read(ECE661 / name, as_version=4).cells)

    assert "class SimpleNN(nn.Module)" in text("simplenn-cifar10.ipynb") and "82,030" in text(
        "simplenn-cifar10.ipynb"
    )
    assert 'mode="train"' in text("simplenn-cifar10.ipynb") and 'mode="val"' in text(
        "simplenn-cifar10-dev.ipynb"
    )
    assert "after each of its two convolutions" in text("simplenn-cifar10-dev.ipynb")
    # the ResNet notebook saves the checkpoint; the fourth notebook loads it and writes predictions.csv
    assert "CIFAR10Test" not in text("resnet-cifar10.ipynb") and "resnet20.pth" in text(
        "resnet-cifar10.ipynb"
    )
    predictions = text("save_test_predictions.ipynb")
    assert 'CHECKPOINT_PATH = "./saved_model/resnet20.pth"' in predictions
    assert "class ResNet20(nn.Module)" in predictions and "import csv" in predictions
    assert (
        "from tools.dataloader_test import CIFAR10Test" in predictions
        and "sample_predictions.csv" in predictions
    )


def test_the_ece661_sample_is_the_course_format_and_recognised_as_a_sample() -> None:
    sample = ECE661 / "sample_predictions.csv"
    assert read_predictions(sample).labels.tolist() == [0] * 10_000
    assert course_sample(sample) is not None
    readme = (ECE661 / "README.md").read_text()
    assert "`save_test_predictions.ipynb`" in readme and "`sample_predictions.csv`" in readme


def test_an_ece661_edit_that_no_longer_applies_stops_the_build(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_NOTEBOOKS, reference)
    lab1 = reference / "lenet5-cifar10.ipynb"
    lab1.write_text(lab1.read_text().replace("62,006 parameters", "62006 parameters"))
    with pytest.raises(TemplateError, match="simplenn-cifar10.ipynb: the reference no longer contains"):
        build_template(reference, tmp_path / "ece661", "ece661")
    assert build_template(reference, tmp_path / "f20")  # the F20 template does not depend on that sentence
