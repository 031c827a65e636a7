"""A made-up class of submissions, built from the reference notebooks, to time and test batch grading.

Each student's zip holds the three notebooks as if executed (a training log with the student's own
accuracies stored in the training cell), a stub PDF report and a ``predictions.csv`` of random labels. Every
student's content differs, so every content hash differs; nothing is run to make them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import numpy as np
from nbformat import v4

from grader.paths import REFERENCE_NOTEBOOKS
from tools.predictions import predictions_text

FINISHED = "Optimization finished"
STUB_PDF = b"%PDF-1.4\n% made-up report\n%%EOF\n"


def training_log(accuracies: list[float]) -> str:
    """What the reference training loop prints for these validation accuracies, one per epoch."""
    lines = [
        f"Epoch {epoch}:\nTraining loss: 1.0000, Training accuracy: 0.5000\n"
        f"Validation loss: 1.0000, Validation accuracy: {acc:.4f}\n"
        for epoch, acc in enumerate(accuracies)
    ]
    return "".join(lines) + f"==> Optimization finished! Best validation accuracy: {max(accuracies):.4f}\n"


def executed_copy(
    notebook: nbformat.NotebookNode, student: str, accuracies: list[float]
) -> nbformat.NotebookNode:
    """NOTEBOOK as if STUDENT had run it: every code cell numbered, the training cell's log stored, and a
    line of the student's own in the first code cell (so that no two students' code is the same text)."""
    nb = nbformat.from_dict(notebook)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        if count == 1:
            cell.source += f'\nSTUDENT = "{student}"\n'

        cell.execution_count = count
        cell.outputs = []
        if FINISHED in cell.source:
            cell.outputs = [v4.new_output("stream", name="stdout", text=training_log(accuracies))]
    nb.cells.insert(0, v4.new_markdown_cell(f"Submitted by {student}."))
    return nb


def make_class(out: Path, students: int, *, seed: int = 0, rows: int = 10_000) -> list[Path]:
    """Write STUDENTS zips ``student000.zip``... into OUT and return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    notebooks = {
        path.name: nbformat.read(path, as_version=4) for path in sorted(REFERENCE_NOTEBOOKS.glob("*.ipynb"))
    }
    paths = []
    for index in range(students):
        student = f"student{index:03d}"
        path = out / f"{student}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, notebook in notebooks.items():
                best = float(rng.uniform(0.5, 0.95))
                epochs = int(rng.integers(5, 40))
                accuracies = list(np.linspace(0.3, best, epochs))
                archive.writestr(name, nbformat.writes(executed_copy(notebook, student, accuracies)))
            labels = rng.integers(0, 10, rows)
            archive.writestr("predictions.csv", predictions_text(labels))
            archive.writestr("report.pdf", STUB_PDF)
        paths.append(path)
    return paths
