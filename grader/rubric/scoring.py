"""Turn check outcomes into points: the rubric's rules, applied without I/O so every case is testable.

Order of the arithmetic, as documented for students and TAs:
1. each item earns ``points`` (pass), a fraction of them (fail with partial credit) or 0 (anything else);
   per-item points are rounded to 2 decimals, so the shown points add up to the shown total;
2. ``score`` is the sum over regular items, ``bonus`` the sum over bonus items;
3. the format deduction (``format_deduction`` times the earned ``score + bonus``) applies when the files are
   misnamed or not laid out as the handout asks;
4. the cap limits what is left: ``total = min(cap, score + bonus - deduction)``.
A TA's points on a manual or inconclusive item count like automatic ones (stale ones, given to an earlier
version of the submission, do not). Skipped and manual items count toward ``max_score`` (the maximum does
not shrink with the grading mode); an item with no outcome is an error "not evaluated", never a silent zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from grader.records import TA_STATUSES, CheckOutcome, CheckResult, CheckStatus, Mode, TAGrade
from grader.rubric.catalogue import RUN_CHECKS

from .base import MODES
from .item import Item, Partial
from .model import Rubric


class Scored(BaseModel):
    checks: list[CheckResult]
    score: float = Field(description="points earned on regular items, before the deduction and the cap")
    max_score: float = Field(description="the rubric's total of regular points")
    bonus: float = Field(description="points earned on bonus items")
    max_bonus: float
    deductions: list[str] = Field(default_factory=list)
    total: float = Field(description="min(cap, score + bonus - format deduction): the grade")


def partial_fraction(partial: Partial, threshold: float, value: float) -> float:
    """Linear credit: 0 below ``floor``, ``min_fraction`` at it, rising to 1 at ``threshold``."""
    if value >= threshold:
        return 1.0
    if value < partial.floor:
        return 0.0
    return partial.min_fraction + (1.0 - partial.min_fraction) * (value - partial.floor) / (
        threshold - partial.floor
    )


def apply_rubric(
    rubric: Rubric,
    outcomes: Mapping[str, CheckOutcome],
    mode: Mode,
    format_ok: bool,
    ta_grades: Mapping[str, TAGrade] | None = None,
) -> Scored:
    """Score one submission; an outcome for an id the rubric lacks is a grader bug and raises ValueError.
    TA_GRADES (by item id) give the points of the items a TA decides (manual and inconclusive ones)."""
    if mode not in MODES:
        raise ValueError(f"unknown grading mode {mode!r}; expected one of {', '.join(MODES)}")
    unknown = sorted(set(outcomes) - {item.id for item in rubric.items})
    if unknown:
        raise ValueError(f"outcomes for items the rubric {rubric.name} does not have: {', '.join(unknown)}")
    checks = [_score_item(item, outcomes.get(item.id), mode) for item in rubric.items]
    return score_checks(rubric, checks, format_ok, ta_grades or {})


def score_checks(
    rubric: Rubric, checks: Sequence[CheckResult], format_ok: bool, ta_grades: Mapping[str, TAGrade]
) -> Scored:
    """The totals of scored CHECKS with TA_GRADES in place of any earlier ones: the step that re-scoring a
    stored result after a TA graded repeats, so the bonus, the format deduction and the cap apply to the
    TA's points exactly as to the automatic ones."""
    checks = [_with_ta_grade(check, ta_grades.get(check.id)) for check in checks]
    score = _round(sum(check.points for check in checks if not check.bonus))
    bonus = _round(sum(check.points for check in checks if check.bonus))
    earned = _round(score + bonus)
    deductions: list[str] = []
    cut = _round(earned * rubric.format_deduction) if not format_ok else 0.0
    if cut > 0:
        deductions.append(
            f"format: -{_pts(cut)} points ({rubric.format_deduction:.0%} of the {_pts(earned)} earned), "
            "because the submitted files are misnamed or not laid out as the handout asks"
        )
        earned = _round(earned - cut)
    if earned > rubric.cap:
        deductions.append(f"cap: {_pts(earned)} points limited to the maximum of {_pts(rubric.cap)}")
        earned = rubric.cap
    return Scored(
        checks=checks,
        score=score,
        max_score=rubric.total_points,
        bonus=bonus,
        max_bonus=rubric.bonus_points,
        deductions=deductions,
        total=earned,
    )


def _with_ta_grade(check: CheckResult, grade: TAGrade | None) -> CheckResult:
    """CHECK with GRADE's points when a TA decides it (a stale grade is kept but earns nothing); any other
    status keeps its automatic points, and a grade for it is ignored."""
    if check.status not in TA_STATUSES:
        return check
    if grade is None or grade.stale:
        return check.model_copy(update={"points": 0.0, "ta_grade": grade})
    points = _round(min(check.max_points, max(0.0, grade.points)))
    return check.model_copy(update={"points": points, "ta_grade": grade})


def _score_item(item: Item, outcome: CheckOutcome | None, mode: Mode) -> CheckResult:
    def result(
        status: CheckStatus, points: float, message: str, evidence: dict[str, Any] | None = None
    ) -> CheckResult:
        return CheckResult(
            id=item.id,
            title=item.title,
            status=status,
            points=_round(points),
            max_points=item.points,
            message=message,
            evidence=evidence if evidence is not None else dict(outcome.evidence if outcome else {}),
            bonus=item.bonus,
            reads_run=item.notebook if item.check in RUN_CHECKS and mode != "static" else None,
        )

    of = f"{_pts(item.points)} point{'s' if item.points != 1 else ''}"
    if item.check == "manual" or (outcome is not None and outcome.status == "manual"):
        evidence = dict(outcome.evidence) if outcome else {}
        if item.answer_key:
            evidence["answer_key"] = item.answer_key
        reason = outcome.message if outcome else "graded by a TA from the report and notebooks"
        return result("manual", 0.0, f"{reason} (0 of {of} until a TA grades it)", evidence)
    if mode not in item.automatic_modes:
        where = ", ".join(item.automatic_modes) or "no mode"
        return result(
            "skipped",
            0.0,
            f"not checked in {mode} mode (automatic in {where}); 0 of {of} here, "
            "still counted in the maximum score",
            {},
        )
    if outcome is None:
        return result(
            "error",
            0.0,
            f"not evaluated: the grader produced no outcome for this check (0 of {of}); "
            "this is a grader fault, please report it",
            {},
        )
    if outcome.status == "pass":
        return result("pass", item.points, outcome.message)
    if outcome.status == "error":
        return result("error", 0.0, f"error: {outcome.message} (0 of {of})")
    if outcome.status == "inconclusive":
        return result(
            "inconclusive", 0.0, f"not checked: {outcome.message} (0 of {of} until a TA decides; not a fail)"
        )
    if outcome.status == "skipped":
        return result(
            "skipped", 0.0, f"skipped: {outcome.message} (0 of {of}; still counted in the maximum score)"
        )
    fraction, note = _fail_fraction(item, outcome)
    evidence = dict(outcome.evidence)
    if fraction > 0:
        evidence["credit_fraction"] = fraction
    return result("fail", item.points * fraction, f"{outcome.message}; {note}", evidence)


def _fail_fraction(item: Item, outcome: CheckOutcome) -> tuple[float, str]:
    """The check's own fraction wins; otherwise the rubric's partial rule applies to ``evidence['value']``."""
    if outcome.fraction is not None:
        if not math.isfinite(outcome.fraction):
            return 0.0, "no credit (the check reported an invalid fraction)"
        fraction = min(1.0, max(0.0, outcome.fraction))
        return fraction, f"partial credit {fraction:.0%} of {_pts(item.points)}"
    if item.partial is None:
        return 0.0, f"0 of {_pts(item.points)}"
    threshold = item.params["threshold"]
    value = outcome.evidence.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0, "no partial credit: the check reported no numeric value"
    if value >= threshold:
        return 0.0, "no partial credit: the value meets the threshold but the check failed"
    fraction = partial_fraction(item.partial, threshold, value)
    rule = f"linear from {item.partial.floor:g} to {threshold:g}"
    return fraction, f"partial credit {fraction:.0%} of {_pts(item.points)} for {value:.4g} ({rule})"


def _round(points: float) -> float:
    return round(points, 2)


def _pts(points: float) -> str:
    return f"{points:g}"
