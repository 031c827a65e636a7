"""The folders of one run: the work folder the kernel runs in, and the grader's artifacts folder beside it,
where only the grader writes (the executed notebook, the kernel's log, the exported weights)."""

from __future__ import annotations

import dataclasses
import shutil
import typing as t
from pathlib import Path

import nbformat

from grader.execute.overrides import apply_overrides
from grader.execute.report import RunRecord, one_line
from grader.execute.sandbox import DATA_MOUNT, TOOLS_MOUNT
from grader.execute.sweeps import shorten_sweeps
from tools import layout

LOG_FILE = "kernel.log"


def prepare_work_dir(run: RunRecord) -> None:
    """A fresh artifacts folder; ``data`` and ``tools`` must be mount-point folders, not files or links."""
    _remove(run.artifacts)
    run.artifacts.mkdir(parents=True, mode=0o700)
    for name in (DATA_MOUNT, TOOLS_MOUNT):
        entry = run.work / name
        if entry.is_symlink() or (entry.exists() and not entry.is_dir()):
            _remove(entry)
            run.notes.append(f"the submitted {name!r} was a file or a link and was removed before the run")
    if not run.sandboxed:
        _link_course_files(run)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _link_course_files(run: RunRecord) -> None:
    """Without the sandbox, link the course data (not ``hidden/``) and tools into the work dir instead."""
    work = run.work
    if run.spec.data_dir is not None:
        data = work / DATA_MOUNT
        data.mkdir(exist_ok=True)
        for entry in sorted(Path(run.spec.data_dir).iterdir()):
            if entry.name != layout.HIDDEN_DIR and not (data / entry.name).exists():
                (data / entry.name).symlink_to(entry.resolve())
    if not (work / TOOLS_MOUNT).exists():
        (work / TOOLS_MOUNT).symlink_to(Path(run.spec.tools_dir).resolve())
    else:
        run.notes.append("unsandboxed: the submission's own tools/ folder was used, not the course's")


def prepare_notebook(
    nb: nbformat.NotebookNode,
    overrides: dict[str, t.Any] | None,
    sweep_keep: int | None = None,
    epoch_setting: str = "EPOCHS",
) -> list[dict[str, t.Any]]:
    """Apply the overrides, cut sweeps to SWEEP_KEEP members (None: leave them) and clear the stored outputs;
    returns the changes as the report lists them."""
    changes = apply_overrides(nb, overrides) if overrides else []
    if sweep_keep is not None:
        changes += shorten_sweeps(nb, {epoch_setting, *(overrides or {})}, sweep_keep)
    applied = [{**dataclasses.asdict(o), "applied": o.applied} for o in changes]
    # outputs stored by the student must not pass for the grader's own, in cells the run never reached
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return applied


def write_executed(run: RunRecord, nb: nbformat.NotebookNode) -> str | None:
    """The executed notebook in the artifacts folder, with the run's status in its metadata."""
    nb.metadata["grader"] = {"status": run.status, "message": run.message, "sandboxed": run.sandboxed}
    path = run.artifacts / f"{run.notebook.stem}.executed.ipynb"
    try:
        nbformat.write(nb, path)
    except Exception as exc:
        run.notes.append(f"the executed notebook could not be written: {one_line(exc)}")
        return None
    return str(path)
