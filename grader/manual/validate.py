"""What a TA may grade and with which points, checked against the result before anything is written.

Only the items a TA decides (manual ones, and checks the grader left inconclusive) take a TA's points; an
automatic verdict is changed by re-grading, not by hand. Points lie between 0 and the item's maximum.
"""

from __future__ import annotations

import math

from grader.errors import GraderError
from grader.manual.store import MAX_COMMENT_CHARS, GradeEntry
from grader.records import TA_STATUSES, CheckResult, Result


class InvalidGrade(GraderError):
    """A grade refused before anything is written; FIELD names what is wrong (item_id, points, comment)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def gradable_checks(result: Result) -> list[CheckResult]:
    """RESULT's checks a TA grades, in rubric order."""
    return [check for check in result.checks if check.status in TA_STATUSES]


def gradable_check(result: Result, item_id: str) -> CheckResult:
    """The check ITEM_ID of RESULT, when a TA may grade it; InvalidGrade saying why not otherwise."""
    check = next((c for c in result.checks if c.id == item_id), None)
    if check is None:
        raise InvalidGrade("item_id", f"{result.submission_id} has no rubric item {item_id!r}")
    if check.status not in TA_STATUSES:
        raise InvalidGrade(
            "item_id",
            f"{result.submission_id} {item_id} was checked automatically ({check.status}); a TA grades only "
            "manual and inconclusive items",
        )
    return check


def parse_points(text: str, check: CheckResult) -> float:
    """TEXT as points of CHECK: a number from 0 to its maximum, with at most 2 decimals kept."""
    try:
        points = float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidGrade("points", f"points {text!r} is not a number") from None
    if not math.isfinite(points):
        raise InvalidGrade("points", f"points {text!r} is not a finite number")
    if points < 0 or points > check.max_points:
        raise InvalidGrade(
            "points", f"points {points:g} are outside 0 to {check.max_points:g} (the maximum of {check.id})"
        )
    return round(points, 2)


def grade_entry(
    result: Result,
    item_id: str,
    points: str,
    *,
    comment: str,
    grader: str,
    expected_version: int | None = None,
) -> GradeEntry:
    """A checked grade of ITEM_ID for RESULT's submission, given to the content it was graded on."""
    check = gradable_check(result, item_id)
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidGrade(
            "comment", f"the comment has {len(comment)} characters; at most {MAX_COMMENT_CHARS}"
        )
    return GradeEntry(
        submission_id=result.submission_id,
        item_id=item_id,
        points=parse_points(points, check),
        comment=comment.strip(),
        grader=grader.strip(),
        input_sha256=result.input_sha256,
        expected_version=expected_version,
    )
