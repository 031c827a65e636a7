"""Read a student notebook without trusting it: size, encoding, JSON, format version and schema.

A notebook that is merely off-schema (a stray metadata field, a missing cell id) is still graded, with a
warning, because the code in it may be fine; only a file that cannot be understood as a notebook at all is
refused, with a finding that says where it breaks.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.intake.unpack import describe_file
from grader.records import Finding

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_MAX_SCHEMA_FINDINGS = 5


@dataclass
class LoadedNotebook:
    """The notebook as nbformat 4 (None when unusable), what was wrong, and the major version in the file."""

    nb: NotebookNode | None
    findings: list[Finding] = field(default_factory=list)
    nbformat_version: int | None = None


def load_notebook(path: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedNotebook:
    """Load PATH as a version 4 notebook; NAME is how findings call it (usually the expected file name)."""

    def refuse(kind: str, detail: str, line: int | None = None, version: int | None = None) -> LoadedNotebook:
        finding = Finding(kind=kind, severity="error", detail=f"{name}: {detail}", notebook=name, line=line)
        return LoadedNotebook(None, [finding], version)

    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return refuse("notebook-unreadable", f"cannot be read ({exc.strerror})")
    if len(data) > max_bytes:
        size = max(path.stat().st_size, len(data))
        return refuse(
            "notebook-too-large",
            f"{_size(size)} is over the {_size(max_bytes)} limit "
            "(clear large outputs such as images printed every batch, then save again)",
        )
    if b"\x00" in data:
        return refuse("notebook-unreadable", f"is not a text file: it looks like {describe_file(path)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return refuse("notebook-unreadable", f"is not UTF-8 text (byte {exc.start} cannot be decoded)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return refuse(
            "notebook-invalid-json",
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
        )
    except RecursionError:
        return refuse("notebook-invalid-json", "is not valid JSON: nested too deeply")
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return refuse("notebook-format", "is JSON but not a Jupyter notebook (no integer 'nbformat' field)")
    version = raw["nbformat"]
    if version not in (3, 4):
        return refuse(
            "notebook-format", f"uses nbformat {version}; only versions 3 and 4 are read", version=version
        )
    findings: list[Finding] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.versions[version].to_notebook_json(raw, minor=raw.get("nbformat_minor", 0))
            if version == 3:
                nb = nbformat.convert(nb, 4)
                findings.append(
                    Finding(
                        kind="notebook-upgraded",
                        severity="info",
                        detail=f"{name}: upgraded from nbformat 3 to 4 to be read",
                        notebook=name,
                    )
                )
    except Exception as exc:  # nbformat raises many kinds on malformed input; all mean "not a notebook"
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        return refuse("notebook-format", f"cannot be read as nbformat {version} ({reason})", version=version)
    if not isinstance(nb.get("cells"), list):
        return refuse("notebook-format", "has no list of cells", version=version)
    _fill_missing_ids(nb)
    findings += _schema_findings(nb, name)
    problem = _repair_structure(nb)
    if problem:
        return refuse("notebook-format", problem, version=version)
    return LoadedNotebook(nb, findings, version)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MiB" if n_bytes >= 2**20 else f"{n_bytes:,} bytes"


def _fill_missing_ids(nb: NotebookNode) -> None:
    """Cell ids only matter to editors; a notebook saved without them is not the student's fault."""
    if nb.get("nbformat_minor", 0) >= 5:
        for index, cell in enumerate(nb.cells):
            if isinstance(cell, dict) and not cell.get("id"):
                cell["id"] = f"cell-{index}"


def _repair_structure(nb: NotebookNode) -> str | None:
    """Fill the fields later stages rely on; return why the notebook is unusable, or None."""
    for index, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return f"cell {index} (0-based) is not a cell object with a 'cell_type'"
        if not isinstance(cell.get("source"), str):
            cell["source"] = ""
        if cell["cell_type"] == "code":
            outputs = cell.get("outputs")
            outputs = outputs if isinstance(outputs, list) else []
            cell["outputs"] = [output for output in outputs if isinstance(output, dict)]
            count = cell.get("execution_count")
            if not isinstance(count, int) or isinstance(count, bool):
                cell["execution_count"] = None
    return None


def _schema_findings(nb: NotebookNode, name: str) -> list[Finding]:
    findings = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            errors = list(nbformat.validator.iter_validate(nb))
        except Exception as exc:  # a schema the validator itself cannot handle is still only a warning
            errors = [exc]
    for error in errors[:_MAX_SCHEMA_FINDINGS]:
        where = list(getattr(error, "absolute_path", []) or [])
        cell = where[1] if len(where) > 1 and where[0] == "cells" and isinstance(where[1], int) else None
        at = "/".join(str(part) for part in where) or "top level"
        message = getattr(error, "message", str(error))
        findings.append(
            Finding(
                kind="notebook-schema",
                severity="warning",
                detail=f"{name}: does not follow the notebook schema at {at}: {message}",
                notebook=name,
                cell=cell,
            )
        )
    if len(errors) > _MAX_SCHEMA_FINDINGS:
        findings[-1].detail += f" (and {len(errors) - _MAX_SCHEMA_FINDINGS} more schema problems)"
    return findings
