"""Running the course's notebooks headless in a plain kernel, as a student would, outside the sandbox."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = ("lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb")
CELL_TIMEOUT_S = 300


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
