"""Loading notebooks: broken files are refused with a located reason; off-schema ones are used and warned."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import v3, v4

from grader.static.notebook import load_notebook
from grader.static.outputs import parse_stored_outputs

NAME = "lenet5-cifar10.ipynb"


def write_v4(path: Path) -> Path:
    nb = v4.new_notebook(
        cells=[v4.new_markdown_cell("# Lab 1"), v4.new_code_cell("x = 1", execution_count=1)]
    )
    nbformat.write(nb, path)
    return path


def test_valid_notebook_loads_without_findings(tmp_path: Path) -> None:
    loaded = load_notebook(write_v4(tmp_path / NAME), NAME)
    assert loaded.findings == []
    assert loaded.nbformat_version == 4
    assert loaded.nb.cells[1].source == "x = 1"


def test_v3_notebook_is_upgraded(tmp_path: Path) -> None:
    cell = v3.new_code_cell(
        input="print('Validation loss: 1.0, Validation accuracy: 0.5')",
        prompt_number=1,
        outputs=[
            v3.new_output("stream", output_text="Validation loss: 1.0000, Validation accuracy: 0.5000\n")
        ],
    )
    path = tmp_path / NAME
    path.write_text(v3.writes_json(v3.new_notebook(worksheets=[v3.new_worksheet(cells=[cell])])))
    loaded = load_notebook(path, NAME)
    assert loaded.nbformat_version == 3
    assert loaded.nb.nbformat == 4
    assert [(f.kind, f.severity) for f in loaded.findings] == [("notebook-upgraded", "info")]
    assert loaded.nb.cells[0].source.startswith("print(")
    assert parse_stored_outputs(loaded.nb).val_accuracies == [0.5]


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text('{\n "cells": [],\n "nbformat": 4,,\n "metadata": {}\n}\n')
    loaded = load_notebook(path, NAME)
    assert loaded.nb is None
    [finding] = loaded.findings
    assert (finding.kind, finding.severity, finding.line, finding.notebook) == (
        "notebook-invalid-json",
        "error",
        3,
        NAME,
    )
    assert "line 3, column 16" in finding.detail


def test_binary_garbage_is_refused_and_described(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_bytes(b"%PDF-1.4\n\x00\x01\x02binary")
    loaded = load_notebook(path, NAME)
    assert loaded.nb is None
    assert loaded.findings[0].kind == "notebook-unreadable"
    assert "not a text file" in loaded.findings[0].detail and "PDF" in loaded.findings[0].detail

    path.write_bytes('{"cells": "caf\u00e9"}'.encode("latin-1"))
    assert "not UTF-8" in load_notebook(path, NAME).findings[0].detail


def test_size_limit(tmp_path: Path) -> None:
    path = write_v4(tmp_path / NAME)
    loaded = load_notebook(path, NAME, max_bytes=100)
    assert loaded.nb is None
    assert loaded.findings[0].kind == "notebook-too-large"
    assert "over the 100 bytes limit" in loaded.findings[0].detail
    assert load_notebook(path, NAME, max_bytes=path.stat().st_size).nb is not None


def test_json_that_is_not_a_notebook(tmp_path: Path) -> None:
    path = tmp_path / NAME
    for text, reason in [
        ("[1, 2]", "not a Jupyter notebook"),
        ('{"nbformat": 5, "cells": []}', "nbformat 5"),
    ]:
        path.write_text(text)
        loaded = load_notebook(path, NAME)
        assert loaded.nb is None and loaded.findings[0].kind == "notebook-format"
        assert reason in loaded.findings[0].detail


def test_off_schema_notebook_is_still_used(tmp_path: Path) -> None:
    path = write_v4(tmp_path / NAME)
    raw = json.loads(path.read_text())
    raw["cells"][1]["execution_count"] = "1"
    raw["cells"][1]["bogus"] = True
    del raw["cells"][0]["id"]
    path.write_text("\ufeff" + json.dumps(raw))  # with a byte-order mark, as some Windows editors save
    loaded = load_notebook(path, NAME)
    assert loaded.nb is not None
    assert loaded.nb.cells[1].execution_count is None
    schema = [f for f in loaded.findings if f.kind == "notebook-schema"]
    assert schema and all(f.severity == "warning" and f.cell == 1 for f in schema)
    assert "bogus" in schema[0].detail


def test_a_notebook_without_a_cell_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"a": 1}}))
    loaded = load_notebook(path, NAME)
    assert loaded.nb is None and loaded.findings[0].kind == "notebook-format"
