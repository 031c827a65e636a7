"""Plain helpers of the execution tests: tiny notebooks built in tmp_path, and a sandbox spec around them."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

import tools
from grader.execute.report import ExecutionReport
from grader.execute.sandbox import SandboxSpec

TOOLS_DIR = Path(tools.__file__).resolve().parent
# Code that code under test starts with: attempt() turns an action into "ok" or the OSError's class name
ATTEMPTS = """
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return type(exc).__name__
def write(path):
    with open(path, "w") as handle:
        handle.write("x")
"""


def write_notebook(work_dir: Path, *cells: str, name: str = "student.ipynb") -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "some-student-env", "display_name": "Student", "language": "python"}
    path = work_dir / name
    nbformat.write(nb, path)
    return path


def make_spec(work_dir: Path, data_dir: Path | None, **kwargs: object) -> SandboxSpec:
    return SandboxSpec(work_dir=work_dir, data_dir=data_dir, tools_dir=TOOLS_DIR, **kwargs)  # type: ignore[arg-type]


def stdout_of(report: ExecutionReport, cell: int) -> str:
    assert report.executed_notebook is not None
    nb = nbformat.read(report.executed_notebook, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[cell].outputs if o.output_type == "stream")


def json_of(report: ExecutionReport, cell: int) -> object:
    """The last stdout line of a cell, which the test notebooks print as JSON."""
    return json.loads(stdout_of(report, cell).strip().splitlines()[-1])
