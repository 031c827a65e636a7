"""Grading in a spreadsheet: the export lists what a TA grades, an import with any bad row writes nothing
and names every bad row and field, and a good import shows in the results, reports and gradebook."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from grader.cli import main
from grader.errors import GraderError
from grader.manual.spreadsheet import export_csv, import_csv
from grader.manual.store import ManualStore
from grader.records import read_result
from tests.report.helpers import F20, make_result, write_batch

MANUAL = [item for item in F20.items if item.check == "manual"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_batch(tmp_path / "out", make_result("alice"), make_result("=HYPERLINK(1)"))


def exported(out: Path, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    path = tmp_path / "grades.csv"
    export_csv(out, path)
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def test_the_export_lists_every_item_a_ta_grades_for_every_student(out: Path, tmp_path: Path) -> None:
    path, table = exported(out, tmp_path)
    assert len(table) == 2 * len(MANUAL)
    assert set(table["status"]) == {"ungraded"} and set(table["points"]) == {""}
    assert "'=HYPERLINK(1)" in set(table["submission_id"]), "a formula-like id is quoted for spreadsheets"
    assert list(table[table.submission_id == "alice"]["item_id"]) == [item.id for item in MANUAL]


def test_an_import_with_a_wrong_id_too_many_points_and_a_non_number_writes_nothing(
    out: Path, tmp_path: Path
) -> None:
    path, table = exported(out, tmp_path)
    table.loc[0, "points"] = "2"  # a good row: not written either
    table.loc[1, "submission_id"] = "mallory"
    table.loc[1, "points"] = "1"
    table.loc[2, "points"] = str(MANUAL[2].points + 1)
    table.loc[3, "points"] = "two"
    table.to_csv(path, index=False)
    with pytest.raises(GraderError) as raised:
        import_csv(out, path, grader="ta1")
    message = str(raised.value)
    assert "nothing imported, 3 rows to fix" in message
    assert "row 3, submission_id: no result" in message and "'mallory'" in message
    assert f"row 4, points: points {MANUAL[2].points + 1:g} are outside 0 to {MANUAL[2].points:g}" in message
    assert "row 5, points: points 'two' is not a number" in message
    assert ManualStore(out).grades() == []


def test_a_good_import_shows_everywhere_and_importing_it_again_changes_nothing(
    out: Path, tmp_path: Path
) -> None:
    before = read_result(out / "alice" / "result.json").score
    path, table = exported(out, tmp_path)
    alice = table.index[table.submission_id == "alice"]
    table.loc[alice[0], ["points", "comment"]] = ["1.5", "=right, but no argument for the shift"]
    table.loc[alice[1], "points"] = "2"
    table.loc[table.index[table.submission_id != "alice"][0], "points"] = "0"
    table.to_csv(path, index=False)
    assert (
        main(
            [
                "manual",
                "import",
                str(out),
                "--csv",
                str(path),
                "--rubric",
                "ece590-hw2-f20",
                "--grader",
                "ta1",
            ]
        )
        == 0
    )
    after = read_result(out / "alice" / "result.json")
    assert after.score == min(F20.cap, before + 3.5)
    graded = next(c for c in after.checks if c.id == MANUAL[0].id)
    assert (
        graded.ta_grade.comment == "=right, but no argument for the shift" and graded.ta_grade.grader == "ta1"
    )
    gradebook = pd.read_csv(out / "gradebook.csv", dtype=str, keep_default_na=False)
    assert gradebook.loc[gradebook.submission_id == "alice", MANUAL[0].id].item() == "1.5"
    assert "ta1" in (out / "alice" / "report.html").read_text()
    again, table = exported(out, tmp_path)
    assert list(table.loc[alice[:2], "status"]) == ["graded", "graded"]
    assert table.loc[alice[0], "comment"].startswith("'="), "a formula-like comment is quoted on export"
    done = import_csv(out, again, grader="ta2")
    assert (done.written, done.unchanged) == (0, 3)
    assert {g.grader for g in ManualStore(out).grades()} == {"ta1"}


def test_a_csv_without_the_needed_columns_says_which(out: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("student,score\nalice,3\n")
    with pytest.raises(GraderError, match="lacks the columns submission_id, item_id, points"):
        import_csv(out, path, grader="ta1")


def test_a_comment_over_the_limit_names_the_comment_field(out: Path, tmp_path: Path) -> None:
    from grader.manual.store import MAX_COMMENT_CHARS

    path, table = exported(out, tmp_path)
    table.loc[0, ["points", "comment"]] = ["1", "x" * (MAX_COMMENT_CHARS + 1)]
    table.to_csv(path, index=False)
    with pytest.raises(
        GraderError, match=f"row 2, comment: the comment has {MAX_COMMENT_CHARS + 1} characters"
    ):
        import_csv(out, path, grader="ta1")
    assert ManualStore(out).grades() == []
