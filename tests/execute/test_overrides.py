"""apply_overrides: quick mode rewrites settings such as EPOCHS and nothing else of the notebook."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.execute.overrides import Override, apply_overrides
from grader.paths import REFERENCE_NOTEBOOKS
from tests.notebook_runs import NOTEBOOKS


def notebook(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_markdown_cell("EPOCHS = 30"), *(new_code_cell(s) for s in sources)])


def test_rewrites_the_literal_and_keeps_every_other_byte() -> None:
    source = "import os\r\n# total epochs\r\nEPOCHS = 30  # paper: 64k iterations\r\nLR=0.1\r\nprint(EPOCHS)"
    nb = notebook("x = 1", source)
    records = apply_overrides(nb, {"EPOCHS": 1, "LR": 0.05})
    assert nb.cells[2].source == source.replace("= 30 ", "= 1 ").replace("LR=0.1", "LR=0.05")
    assert nb.cells[0].source == "EPOCHS = 30"  # markdown is left alone
    assert records == [
        Override("EPOCHS", 1, cell=2, line=3, old="30"),
        Override("LR", 0.05, cell=2, line=4, old="0.1"),
    ]
    assert all(record.applied for record in records)


def test_a_missing_name_is_reported() -> None:
    nb = notebook("EPOCHS = 30")
    (epochs, missing) = apply_overrides(nb, {"EPOCHS": 1, "NUM_EPOCHS": 1})
    assert epochs.applied
    assert not missing.applied and missing.name == "NUM_EPOCHS" and missing.cell is None
    assert "no top-level assignment" in (missing.reason or "")


def test_only_top_level_assignments_count() -> None:
    source = "for i in range(3):\n    EPOCHS = 5\ndef f():\n    EPOCHS = 6\nif True:\n    EPOCHS = 7\n"
    nb = notebook(source)
    (record,) = apply_overrides(nb, {"EPOCHS": 1})
    assert not record.applied
    assert nb.cells[1].source == source


def test_every_cell_and_annotated_assignments_are_rewritten() -> None:
    nb = notebook("EPOCHS = 30", "EPOCHS: int = 100\nREG = -1e-4")
    records = apply_overrides(nb, {"EPOCHS": 2, "REG": 0.0})
    assert [(r.name, r.cell, r.old) for r in records] == [
        ("EPOCHS", 1, "30"),
        ("EPOCHS", 2, "100"),
        ("REG", 2, "-1e-4"),
    ]
    assert nb.cells[2].source == "EPOCHS: int = 2\nREG = 0.0"


def test_an_expression_is_reported_and_left_alone() -> None:
    nb = notebook("EPOCHS = 30", "EPOCHS = int('100')")
    literal, expression = apply_overrides(nb, {"EPOCHS": 1})
    assert literal.applied and literal.cell == 1
    assert not expression.applied and (expression.cell, expression.line, expression.old) == (
        2,
        1,
        "int('100')",
    )
    assert nb.cells[2].source == "EPOCHS = int('100')"


def test_cells_with_ipython_magics_are_searched() -> None:
    source = "%%time\n!nvidia-smi\nEPOCHS = 30\nfor i in range(EPOCHS):\n    %time pass\n"
    nb = notebook(source)
    (record,) = apply_overrides(nb, {"EPOCHS": 1})
    assert record.applied and record.line == 3
    assert nb.cells[1].source == source.replace("30", "1")


def test_strings_and_non_ascii_text_are_spliced_by_character() -> None:
    nb = notebook('NOTE = "é"; CHECKPOINT_FOLDER = "./modèles"  # où')
    apply_overrides(nb, {"CHECKPOINT_FOLDER": "./saved_model"})
    assert nb.cells[1].source == "NOTE = \"é\"; CHECKPOINT_FOLDER = './saved_model'  # où"


def test_unparsable_cells_are_named_in_the_reason() -> None:
    nb = notebook("def broken(:")
    (record,) = apply_overrides(nb, {"EPOCHS": 1})
    assert "cells 1 are not valid Python" in (record.reason or "")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_reference_settings_are_overridable(name: str) -> None:
    nb = nbformat.read(REFERENCE_NOTEBOOKS / name, as_version=4)
    settings = (
        "EPOCHS",
        "INITIAL_LR",
        "MOMENTUM",
        "REG",
        "DECAY_EPOCHS",
        "DECAY",
        "CHECKPOINT_FOLDER",
        "NUM_WORKERS",
    )
    records = apply_overrides(nb, dict.fromkeys(settings, 1))
    assert [r.name for r in records if r.applied] == list(settings)
