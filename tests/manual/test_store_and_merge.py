"""The TAs' grade store and its merge into results: grades survive re-grading, count in the score with the
bonus, format deduction and cap, turn stale when the submission changes, and two TAs never overwrite each
other unseen."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.manual.merge import as_ta_grades, merge_folder, rescore
from grader.manual.store import GradeConflict, GradeEntry, ManualStore, StoredGrade
from grader.manual.validate import grade_entry
from grader.records import read_result
from tests.report.helpers import F20, make_result, write_batch

MANUAL = [item for item in F20.items if item.check == "manual"]
TF = MANUAL[0]
BONUS = next(item for item in MANUAL if item.bonus)


def entry(sid: str, item_id: str, points: float, version: int | None = None) -> GradeEntry:
    return GradeEntry(sid, item_id, points, f"comment {points}", "ta1", "ab" * 32, version)


def stored(item_id: str, points: float, sha: str) -> StoredGrade:
    return StoredGrade("bob", item_id, points, "", "ta1", "", sha, 1)


def test_a_grade_counts_in_the_score_and_merging_twice_changes_nothing(tmp_path: Path) -> None:
    write_batch(tmp_path, make_result("alice"))
    before = read_result(tmp_path / "alice" / "result.json")
    store = ManualStore(tmp_path)
    store.put(entry("alice", TF.id, 1.5))
    store.put(entry("alice", BONUS.id, BONUS.points))
    merged = merge_folder(tmp_path / "alice", F20, store)
    checks = {check.id: check for check in merged.checks}
    assert checks[TF.id].points == 1.5 and checks[TF.id].ta_grade.comment == "comment 1.5"
    assert not checks[TF.id].awaits_ta and checks[MANUAL[1].id].awaits_ta
    assert merged.bonus == before.bonus + BONUS.points
    assert merged.score == min(F20.cap, before.score + 1.5 + BONUS.points)
    assert read_result(tmp_path / "alice" / "result.json") == merged
    assert merge_folder(tmp_path / "alice", F20, store) == merged
    store.clear("alice", TF.id, grader="ta1")
    cleared = merge_folder(tmp_path / "alice", F20, store)
    assert cleared.score == min(F20.cap, before.score + BONUS.points)
    assert [change.action for change in store.history("alice", TF.id)] == ["graded", "cleared"]


def test_the_format_deduction_and_the_cap_apply_to_the_ta_points(tmp_path: Path) -> None:
    result = make_result("bob", format_ok=False)
    everything = as_ta_grades(
        [stored(item.id, item.points, result.input_sha256) for item in MANUAL], "ab" * 32
    )
    graded = rescore(F20, result, everything)
    earned = round(sum(check.points for check in graded.checks), 2)
    assert earned == round(sum(c.points for c in result.checks) + sum(item.points for item in MANUAL), 2)
    after_cut = round(earned - round(earned * F20.format_deduction, 2), 2)
    assert graded.score == min(F20.cap, after_cut)
    assert any(note.startswith("format:") and f"{earned:g} earned" in note for note in graded.deductions)
    assert (after_cut > F20.cap) == any(note.startswith("cap:") for note in graded.deductions)
    assert rescore(F20, graded, {}) == result.model_copy(update={"format_ok": False})


def test_a_stale_grade_is_shown_but_not_counted(tmp_path: Path) -> None:
    result = make_result("bob")
    grades = as_ta_grades([stored(TF.id, 2, "cd" * 32)], result.input_sha256)
    check = next(c for c in rescore(F20, result, grades).checks if c.id == TF.id)
    assert check.ta_grade.stale and check.points == 0 and check.awaits_ta


def test_a_grade_on_an_automatic_check_or_out_of_bounds_is_refused(tmp_path: Path) -> None:
    result = make_result("alice")
    automatic = next(c for c in result.checks if c.status == "pass")
    with pytest.raises(GraderError, match="checked automatically"):
        grade_entry(result, automatic.id, "1", comment="", grader="ta1")
    for bad, why in (
        ("3", "outside 0 to 2"),
        ("-1", "outside 0 to 2"),
        ("two", "not a number"),
        ("nan", "finite"),
    ):
        with pytest.raises(GraderError, match=why):
            grade_entry(result, TF.id, bad, comment="", grader="ta1")
    assert grade_entry(result, TF.id, "1,5", comment=" ok ", grader="ta1").points == 1.5


def test_a_second_ta_saving_over_a_grade_they_did_not_see_is_refused(tmp_path: Path) -> None:
    store = ManualStore(tmp_path)
    first = store.put(entry("alice", TF.id, 1, version=0))
    with pytest.raises(GradeConflict, match="changed by another TA"):
        store.put(entry("alice", TF.id, 2, version=0))  # opened before the first save
    assert store.grade("alice", TF.id).points == 1
    assert store.put(entry("alice", TF.id, 2, version=first.version)).version == 2
    with pytest.raises(GradeConflict):
        store.put_many([entry("bob", TF.id, 1, version=0), entry("alice", TF.id, 0, version=1)])
    assert store.grade("bob", TF.id) is None, "a batch with one conflict writes nothing"


def _grade_many(out: str, who: str) -> None:
    store = ManualStore(Path(out))
    for n in range(40):
        store.put(GradeEntry(f"{who}-{n}", TF.id, 1, "", who, "ab" * 32, 0))


def test_two_tas_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    ManualStore(tmp_path)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_grade_many, args=(str(tmp_path), who)) for who in ("ta1", "ta2")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    grades = ManualStore(tmp_path).grades()
    assert len(grades) == 80 and {g.grader for g in grades} == {"ta1", "ta2"}


def test_re_scoring_keeps_an_intake_rejection_also_of_a_record_from_before_it_was_kept() -> None:
    rejected = make_result("carol", rejection="the zip is encrypted")
    assert rescore(F20, rejected, {}) == rejected
    older = rejected.model_copy(update={"format_ok": None, "rejection": None})
    again = rescore(F20, older, {})
    assert again.rejection == "the zip is encrypted" and again.deductions == rejected.deductions
