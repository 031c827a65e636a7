"""Re-grading a submission keeps the TAs' grades of it; a submission whose content changed shows them
stale."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.manual.store import STORE_FILE, GradeEntry, ManualStore
from grader.pipeline import grade_submission
from tests.crafted import submission_folder
from tests.pipeline.test_static_grading import executed_labs, options

TF = "tf.1.1"


def test_re_grading_keeps_the_ta_grades_and_a_changed_submission_makes_them_stale(
    tmp_path: Path, small_rubric: Path, synthetic_course: Path
) -> None:
    sub = submission_folder(tmp_path / "alice", executed_labs(), None)
    first = grade_submission(sub, options(tmp_path, small_rubric, synthetic_course))
    ManualStore(tmp_path / "out").put(
        GradeEntry("alice", TF, 2, "right, with the BN argument", "ta1", first.input_sha256)
    )
    store_file = tmp_path / "out" / STORE_FILE
    before = store_file.read_bytes()
    again = grade_submission(sub, options(tmp_path, small_rubric, synthetic_course))
    assert store_file.read_bytes() == before, "grading reads the store and writes nothing to it"
    assert sorted(p.name for p in store_file.parent.glob(f"{STORE_FILE}*")) == [STORE_FILE]
    kept = next(c for c in again.checks if c.id == TF)
    assert kept.points == 2 and not kept.ta_grade.stale and again.score > first.score
    assert sum(c.points for c in again.checks) == sum(c.points for c in first.checks) + 2
    notebook = next(sub.glob("*.ipynb"))
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("1.1 False, changed after grading"))
    nbformat.write(nb, notebook)
    changed = grade_submission(sub, options(tmp_path, small_rubric, synthetic_course))
    stale = next(c for c in changed.checks if c.id == TF)
    assert stale.ta_grade.stale and stale.points == 0 and changed.score == first.score
