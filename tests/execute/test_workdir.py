"""The run's folders: a fresh artifacts folder, mount points that are folders, course files linked in only
without the sandbox, and a notebook cleared of what the student stored in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat

from grader.execute.report import RunRecord
from grader.execute.workdir import prepare_notebook, prepare_work_dir, write_executed
from tools import layout

Make = Callable[..., RunRecord]


def test_a_stale_artifacts_folder_is_emptied_and_planted_mount_points_are_removed(
    work_dir: Path, make_record: Make
) -> None:
    run = make_record()
    run.artifacts.mkdir()
    (run.artifacts / "kernel.log").write_text("an older run")
    (work_dir / "data").symlink_to("/etc")
    (work_dir / "tools").write_text("not a folder")
    prepare_work_dir(run)
    assert list(run.artifacts.iterdir()) == [] and run.artifacts.stat().st_mode & 0o777 == 0o700
    assert not (work_dir / "data").exists() and not (work_dir / "tools").exists()
    assert run.notes == [
        f"the submitted {name!r} was a file or a link and was removed before the run"
        for name in ("data", "tools")
    ]


def test_without_the_sandbox_the_course_files_are_linked_in_but_not_the_hidden_ones(
    work_dir: Path, synthetic_course: Path, make_record: Make
) -> None:
    run = make_record(synthetic_course, sandboxed=False)
    prepare_work_dir(run)
    linked = sorted(entry.name for entry in (work_dir / "data").iterdir())
    assert layout.VAL_IMAGES in linked and layout.HIDDEN_DIR not in linked
    assert (work_dir / "tools").is_symlink() and run.notes == []


def test_without_the_sandbox_a_submissions_own_tools_are_kept_and_noted(
    work_dir: Path, make_record: Make
) -> None:
    (work_dir / "tools").mkdir()
    run = make_record(sandboxed=False)
    prepare_work_dir(run)
    assert not (work_dir / "tools").is_symlink()
    assert run.notes == ["unsandboxed: the submission's own tools/ folder was used, not the course's"]


def test_stored_outputs_are_cleared_and_the_overrides_listed() -> None:
    cell = nbformat.v4.new_code_cell("EPOCHS = 30", execution_count=4)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy 99%")]
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("EPOCHS = 30")])
    (applied,) = prepare_notebook(nb, {"EPOCHS": 1})
    assert applied["applied"] and applied["old"] == "30"
    assert nb.cells[0].source == "EPOCHS = 1" and nb.cells[0].outputs == []
    assert nb.cells[0].execution_count is None
    assert prepare_notebook(nb, None) == []


def test_the_executed_notebook_carries_the_runs_status(work_dir: Path, make_record: Make) -> None:
    run = make_record()
    prepare_work_dir(run)
    run.fail("cell-error", "cell 0 raised ValueError: no", 0)
    path = write_executed(run, nbformat.v4.new_notebook())
    assert path == str(run.artifacts / "student.executed.ipynb")
    assert json.loads(Path(path).read_text())["metadata"]["grader"] == {
        "status": "cell-error",
        "message": "cell 0 raised ValueError: no",
        "sandboxed": True,
    }
