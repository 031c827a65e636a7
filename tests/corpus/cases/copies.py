"""Static submissions: the reference sample with one thing changed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1, PREDICTIONS, REPORT


def predictions_text(arena: Arena, newline: str = "\n", perfect: bool = False) -> str:
    """The hidden labels, one in 14 wrong (92.9%, as a good ResNet-20 scores) unless PERFECT."""
    labels = [(int(y) + (not perfect and i % 14 == 0)) % 10 for i, y in enumerate(arena.labels)]
    rows = "".join(f"{i},{y}{newline}" for i, y in enumerate(labels))
    return f"Id,Label{newline}{rows}"


def honest_copy(dest: Path, arena: Arena) -> Path:
    """The reference sample with predictions that match this course's hidden labels."""
    shutil.copytree(arena.sample, dest)
    (dest / PREDICTIONS).write_text(predictions_text(arena))
    return dest


def with_predictions(content: str | bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        data = content.encode() if isinstance(content, str) else content
        (sub / PREDICTIONS).write_bytes(data)
        return sub

    return build


def predictions_edit(edit: Callable[[list[str]], list[str]]) -> Callable[[Path, Arena], Path]:
    """Predictions made from the right ones by EDIT on their lines (header first)."""

    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        lines = predictions_text(arena).splitlines()
        (sub / PREDICTIONS).write_text("\n".join(edit(lines)) + "\n")
        return sub

    return build


def with_notebook_bytes(name: str, content: bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        (sub / LAB1).unlink()
        (sub / name).write_bytes(content)
        return sub

    return build


def edit_notebook(name: str, edit: Callable[[nbformat.NotebookNode], None]) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        nb = nbformat.read(sub / name, as_version=4)
        edit(nb)
        nbformat.write(nb, sub / name)
        return sub

    return build


def unused_models_import(nb: nbformat.NotebookNode) -> None:
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    first.source += "\nfrom torchvision import models\n"


def stderr_warnings(nb: nbformat.NotebookNode) -> None:
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    warning = "/usr/lib/python3/torch/utils/data.py:12: UserWarning: This DataLoader will create 4 workers\n"
    first.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=warning))


def renamed(old: str, new: str) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        (sub / old).rename(sub / new)
        return sub

    return build


def v3_notebook(dest: Path, arena: Arena) -> Path:
    sub = honest_copy(dest, arena)
    nb = nbformat.read(sub / LAB1, as_version=4)
    (sub / LAB1).write_text(nbformat.writes(nbformat.v3.downgrade(nb), version=3))  # type: ignore[attr-defined]
    return sub


def huge_notebook(dest: Path, arena: Arena) -> Path:
    """A valid notebook of 200 MB: one cell whose stored output is a 200 MB string."""
    sub = honest_copy(dest, arena)
    nb = nbformat.read(sub / LAB1, as_version=4)
    text = json.dumps(nbformat.v4.new_output("stream", name="stdout", text="#"))
    head, tail = nbformat.writes(nb).split('"outputs": [', 1)
    with (sub / LAB1).open("w") as handle:
        handle.write(head + '"outputs": [' + text[:-3])
        for _ in range(200):
            handle.write("#" * (1 << 20))
        handle.write(text[-3:] + ", " + tail)
    return sub


def duplicate_notebooks(dest: Path, arena: Arena) -> Path:
    sub = honest_copy(dest, arena)
    (sub / "old").mkdir()
    shutil.copy(sub / LAB1, sub / "old" / LAB1)
    return sub


def missing_notebooks(dest: Path, arena: Arena) -> Path:
    dest.mkdir()
    (dest / "report.pdf").write_bytes(REPORT)
    (dest / PREDICTIONS).write_text(predictions_text(arena))
    return dest
