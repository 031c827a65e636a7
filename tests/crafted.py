"""Helpers that write crafted submissions: notebooks, training logs, zips and their folders."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
import numpy as np
from nbformat import v4

from tools import layout


def hidden_labels(course: Path) -> np.ndarray:
    return np.load(course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)


def code_notebook(*cells: str, outputs: dict[int, str] | None = None) -> nbformat.NotebookNode:
    """A notebook of code cells; OUTPUTS maps a cell index to the text it printed (the cell counts as run)."""
    nb = v4.new_notebook(cells=[v4.new_code_cell(source) for source in cells])
    for index, text in (outputs or {}).items():
        nb.cells[index].outputs = [v4.new_output("stream", name="stdout", text=text)]
    for count, cell in enumerate(nb.cells, start=1):
        cell.execution_count = count
    return nb


def training_log(accuracies: list[float]) -> str:
    lines = [
        "Training loss: 1.0000, Training accuracy: 0.5000\n"
        f"Validation loss: 1.0000, Validation accuracy: {a:.4f}\n"
        for a in accuracies
    ]
    return "".join(lines) + f"==> Optimization finished! Best validation accuracy: {max(accuracies):.4f}\n"


def submission_folder(
    root: Path, notebooks: dict[str, nbformat.NotebookNode], predictions: Path | None
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, root / name)
    if predictions is not None:
        (root / "predictions.csv").write_bytes(predictions.read_bytes())
    (root / "report.pdf").write_bytes(b"%PDF-1.4\n%report\n")
    return root


def zip_files(
    path: Path, entries: Mapping[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    """A zip of ENTRIES (name -> content) at PATH, names kept as given ("../x", "C:\\x") for hostile ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, data)
    return path


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """A folder ROOT of FILES (relative path -> text): the folder counterpart of zip_files."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
