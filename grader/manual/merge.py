"""The TAs' grades merged into a stored result: the scoring of :mod:`grader.rubric.scoring` applied again to
the checks of ``result.json`` with the store's points, so a grade changes the score, the bonus, the format
deduction and the cap exactly as an automatic one does, and merging twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.manual.store import STORE_FILE, ManualStore, StoredGrade
from grader.records import (
    REJECTION_NOTE,
    RESULT_FILE,
    Result,
    TAGrade,
    read_result,
    rejection_notes,
    write_result,
)
from grader.rubric.model import Rubric
from grader.rubric.scoring import score_checks


def as_ta_grades(stored: Iterable[StoredGrade], sha256: str) -> dict[str, TAGrade]:
    """STORED by item id, each stale when it was given to other content than SHA256."""
    return {
        grade.item_id: TAGrade(
            points=grade.points,
            comment=grade.comment,
            grader=grade.grader,
            graded_at=grade.graded_at,
            stale=grade.stale_for(sha256),
        )
        for grade in stored
    }


def kept_ta_grades(out_dir: Path, submission_id: str, sha256: str) -> dict[str, TAGrade]:
    """The grades OUT_DIR's store holds for a submission being graded again (none when there is no store:
    grading alone never creates one)."""
    if not (Path(out_dir) / STORE_FILE).is_file():
        return {}
    return as_ta_grades(ManualStore(out_dir, read_only=True).grades(submission_id), sha256)


def rescore(rubric: Rubric, result: Result, grades: dict[str, TAGrade]) -> Result:
    """RESULT scored again with GRADES in place of the TA grades it carried."""
    format_ok, rejection = result.format_ok, result.rejection
    if format_ok is None:  # a record from before both were kept: its deductions tell
        format_ok = not any(note.startswith("format:") for note in result.deductions)
        rejection = next(
            (n.removeprefix(REJECTION_NOTE) for n in result.deductions if n.startswith(REJECTION_NOTE)), None
        )
    scored = score_checks(rubric, result.checks, format_ok, grades)
    return result.model_copy(
        update={
            "checks": scored.checks,
            "score": scored.total,
            "bonus": scored.bonus,
            "deductions": scored.deductions + rejection_notes(rejection),
            "format_ok": format_ok,
            "rejection": rejection,
        }
    )


def merge_folder(folder: Path, rubric: Rubric, store: ManualStore) -> Result:
    """The result in FOLDER with the store's grades merged, written back when that changed it."""
    path = folder / RESULT_FILE
    result = read_result(path)
    merged = rescore(rubric, result, as_ta_grades(store.grades(result.submission_id), result.input_sha256))
    if merged != result:
        write_result(merged, path)
    return merged
