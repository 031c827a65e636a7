"""The notebook cells that answer a rubric item: the cells of the submitted notebooks that name the item's
question label, and the cell after each (where the answer or its plot usually is).

Notebooks are read with nbformat and nothing in them runs. What they hold is the student's and hostile:
texts are returned as plain strings for the templates to escape, and only base64 PNG outputs are kept as
images (checked to be base64, so a data: URI cannot carry anything else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.rubric.model import Rubric
from grader.static import load_notebook

MAX_CELLS = 12
MAX_TEXT = 20_000  # characters of a cell's source or of one output shown
MAX_OUTPUTS = 20  # outputs shown per cell (a plot printed every batch would fill the page)
MAX_PNG_CHARS = 4_000_000  # base64 characters of one image
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_LAB = re.compile(r"^(Lab\s+\d+)\s+(\([a-z]\))$")


@dataclass
class Output:
    text: str = ""
    png: str = ""  # base64, validated


@dataclass
class Cell:
    notebook: str
    index: int  # from 1, as a TA counts them
    kind: str  # "markdown" or "code"
    source: str
    outputs: list[Output] = field(default_factory=list)
    matched: bool = True  # False: the cell after a matching one


@dataclass
class Cells:
    cells: list[Cell] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # notebooks that could not be read


def search_terms(label: str, rubric: Rubric) -> tuple[str, set[str] | None]:
    """What to look for, and in which notebooks (None: all): "Lab 1 (g)" is "(g)" in the Lab 1 notebooks."""
    match = _LAB.match(label)
    if match is None:
        return label, None
    lab, part = match.groups()
    names = {spec.filename for spec in rubric.notebooks if spec.lab == lab}
    return part, names or None


def relevant_cells(submission_dir: Path, label: str | None, rubric: Rubric) -> Cells:
    """The cells of SUBMISSION_DIR's notebooks that contain LABEL, each with the cell after it."""
    found = Cells()
    if not label:
        return found
    term, names = search_terms(label, rubric)
    pattern = re.compile(r"(?<![0-9.])" + re.escape(term) + r"(?![0-9])")
    for path in sorted(Path(submission_dir).glob("*.ipynb")):
        if names is not None and path.name not in names:
            continue
        loaded = load_notebook(path, path.name)  # the grader's own reader: size-capped, never trusting
        if loaded.nb is None:
            why = "; ".join(finding.detail for finding in loaded.findings) or f"{path.name} cannot be read"
            found.problems.append(why[:300])
            continue
        nb = loaded.nb
        _collect(nb.cells, path.name, pattern, found)
        if len(found.cells) >= MAX_CELLS:
            found.cells = found.cells[:MAX_CELLS]
            break
    return found


def _collect(cells: list, notebook: str, pattern: re.Pattern[str], found: Cells) -> None:
    taken: set[int] = set()
    for index, cell in enumerate(cells):
        if cell.get("cell_type") not in ("markdown", "code") or not pattern.search(_text(cell.get("source"))):
            continue
        for at, matched in ((index, True), (index + 1, False)):
            if at < len(cells) and at not in taken and cells[at].get("cell_type") in ("markdown", "code"):
                taken.add(at)
                found.cells.append(_cell(cells[at], notebook, at, matched))


def _cell(cell: dict, notebook: str, index: int, matched: bool) -> Cell:
    kind = cell.get("cell_type", "code")
    raws = cell.get("outputs", []) if kind == "code" else []
    outputs = [out for raw in raws if (out := _output(raw))][:MAX_OUTPUTS]
    return Cell(notebook, index + 1, kind, _text(cell.get("source"))[:MAX_TEXT], outputs, matched)


def _output(raw: dict) -> Output | None:
    kind = raw.get("output_type")
    if kind == "stream":
        return Output(text=_text(raw.get("text"))[:MAX_TEXT])
    if kind == "error":
        return Output(text=f"{raw.get('ename', '')}: {raw.get('evalue', '')}"[:MAX_TEXT])
    if kind in ("execute_result", "display_data"):
        data = raw.get("data", {})
        png = re.sub(r"\s+", "", _text(data.get("image/png")))
        if png and len(png) <= MAX_PNG_CHARS and _BASE64.match(png):
            return Output(png=png)
        text = _text(data.get("text/plain"))
        return Output(text=text[:MAX_TEXT]) if text else None
    return None


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""
