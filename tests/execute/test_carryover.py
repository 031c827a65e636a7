"""What one run wrote reaches the later runs of the submission as plain files, with the notebook that wrote
each; links, notebooks, rewrites of nothing and files over the limits stay behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.execute.carryover import CarriedFiles, listing


def carried(tmp_path: Path, max_file_bytes: int = 1 << 20, max_total_bytes: int = 1 << 20) -> CarriedFiles:
    return CarriedFiles(tmp_path / "store", max_file_bytes, max_total_bytes)


def submission(tmp_path: Path) -> Path:
    root = tmp_path / "submission"
    (root / "saved_model").mkdir(parents=True)
    (root / "saved_model" / "committed.pth").write_bytes(b"committed weights")
    (root / "train.ipynb").write_text("{}")
    return root


def copy_of(root: Path, work: Path) -> Path:
    shutil.copytree(root, work, symlinks=True)  # as the pipeline copies a submission for each run
    return work


def ran(files: CarriedFiles, root: Path, work: Path, notebook: str, writes: dict[str, bytes]) -> list[str]:
    """A run of NOTEBOOK in WORK that writes WRITES (path -> content); what ``collect`` notes of it."""
    before = listing(work)
    for rel, data in writes.items():
        (work / rel).write_bytes(data)
    return files.collect(work, before, root, notebook)


def test_a_checkpoint_the_first_run_saves_is_placed_in_the_next_runs_folder(tmp_path: Path) -> None:
    root, files = submission(tmp_path), carried(tmp_path)
    first = copy_of(root, tmp_path / "first")
    before = listing(first)
    (first / "saved_model" / "resnet.pth").write_bytes(b"trained here")
    (first / "train.ipynb").write_text('{"rewritten": true}')  # a later run executes its own notebook
    os.utime(first / "saved_model" / "committed.pth", ns=(1, 1))  # touched, not rewritten
    (first / "outside").mkdir()
    (first / "outside" / "passwd").symlink_to("/etc/passwd")
    (first / "linked").symlink_to("/etc")
    assert files.collect(first, before, root, "train.ipynb") == []
    assert files.written_by == {"saved_model/resnet.pth": "train.ipynb"}

    second = copy_of(root, tmp_path / "second")
    placed, notes = files.place(second)
    assert placed == {"saved_model/resnet.pth": "train.ipynb"} and notes == []
    assert (second / "saved_model" / "resnet.pth").read_bytes() == b"trained here"
    assert (second / "saved_model" / "committed.pth").read_bytes() == b"committed weights"
    assert (second / "train.ipynb").read_text() == "{}"


def test_a_later_rewrite_takes_the_file_over_and_a_rewritten_committed_file_counts_as_written(
    tmp_path: Path,
) -> None:
    root, files = submission(tmp_path), carried(tmp_path)
    ran(
        files, root, copy_of(root, tmp_path / "first"), "a.ipynb", {"saved_model/committed.pth": b"retrained"}
    )
    second = copy_of(root, tmp_path / "second")
    files.place(second)
    ran(files, root, second, "b.ipynb", {"saved_model/committed.pth": b"retrained again"})
    assert files.written_by == {"saved_model/committed.pth": "b.ipynb"}
    assert (files.store / "saved_model" / "committed.pth").read_bytes() == b"retrained again"


def test_files_over_the_runs_limits_are_left_behind_with_a_note(tmp_path: Path) -> None:
    root, files = submission(tmp_path), carried(tmp_path, max_file_bytes=10, max_total_bytes=15)
    writes = {"big.pth": b"x" * 11, "a.pth": b"x" * 8, "b.pth": b"x" * 8}
    notes = ran(files, root, copy_of(root, tmp_path / "first"), "a.ipynb", writes)
    assert files.written_by == {"a.pth": "a.ipynb"}
    assert [note.split(",")[0] for note in notes] == ["b.pth", "big.pth"]


def test_a_link_in_the_way_stops_the_copy_instead_of_being_followed(tmp_path: Path) -> None:
    root, files = submission(tmp_path), carried(tmp_path)
    ran(
        files, root, copy_of(root, tmp_path / "first"), "a.ipynb", {"saved_model/resnet.pth": b"trained here"}
    )
    second = copy_of(root, tmp_path / "second")
    (second / "saved_model" / "committed.pth").unlink()
    (second / "saved_model").rmdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (second / "saved_model").symlink_to(outside)
    placed, notes = files.place(second)
    assert placed == {} and "link" in notes[0]
    assert list(outside.iterdir()) == []
