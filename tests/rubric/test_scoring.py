"""Scoring rules with exact numbers: pass, fail, partial, skipped, manual, missing, bonus, deduction, cap."""

from __future__ import annotations

import copy

import pytest

from grader.checks.common import inconclusive
from grader.records import CheckOutcome
from grader.rubric import RUBRICS_DIR, Partial, Rubric, apply_rubric, load_rubric, partial_fraction

RUBRIC = {
    "name": "mini",
    "title": "Mini",
    "course": "C",
    "term": "T",
    "data_api": "train_flag",
    "total_points": 30,
    "bonus_points": 5,
    "cap": 100,
    "format_deduction": 0.2,
    "notebooks": [{"key": "nb", "filename": "nb.ipynb", "lab": "Lab 1"}],
    "predictions": {"headers": [["Id", "Label"]], "produced_by": "nb"},
    "report": None,
    "limits": {
        "cell_timeout_s": 60,
        "notebook_timeout_s": 60,
        "memory_mb": 512,
        "max_processes": 4,
        "max_file_mb": 5,
    },
    "quick": {"subset": {"train": 10, "val": 10, "test": 10}},
    "items": [
        {"id": "runs", "title": "Runs", "points": 4, "check": "runs", "notebook": "nb"},
        {
            "id": "acc",
            "title": "Val accuracy",
            "points": 6,
            "check": "val_accuracy",
            "notebook": "nb",
            "params": {"threshold": 0.63},
        },
        {
            "id": "holdout",
            "title": "Held-out accuracy",
            "points": 12,
            "check": "holdout_accuracy",
            "params": {"threshold": 0.9},
            "partial": {"floor": 0.75},
        },
        {
            "id": "essay",
            "title": "Initial loss",
            "points": 8,
            "check": "manual",
            "answer_key": "ln(10) = 2.303",
        },
        {"id": "extra", "title": "Bonus", "points": 5, "bonus": True, "check": "learns", "notebook": "nb"},
    ],
}


def rubric(**changes) -> Rubric:
    data = copy.deepcopy(RUBRIC)
    data.update(changes)
    return Rubric.model_validate(data)


def passed(message: str = "ok", **evidence) -> CheckOutcome:
    return CheckOutcome(status="pass", message=message, evidence=evidence)


def failed(message: str = "below", fraction: float | None = None, **evidence) -> CheckOutcome:
    return CheckOutcome(status="fail", message=message, evidence=evidence, fraction=fraction)


ALL_PASS = {"runs": passed(), "acc": passed(value=0.66), "holdout": passed(value=0.92), "extra": passed()}


def by_id(scored):
    return {check.id: check for check in scored.checks}


def test_everything_passing_in_full_mode():
    scored = apply_rubric(rubric(), ALL_PASS, "full", format_ok=True)
    checks = by_id(scored)
    assert [c.points for c in scored.checks] == [4, 6, 12, 0, 5]
    assert (scored.score, scored.max_score, scored.bonus, scored.max_bonus, scored.total) == (
        22,
        30,
        5,
        5,
        27,
    )
    assert scored.deductions == []
    assert checks["acc"].evidence == {"value": 0.66}
    assert checks["extra"].bonus and checks["extra"].max_points == 5


def test_manual_item_scores_zero_for_now_and_carries_the_answer_key():
    check = by_id(apply_rubric(rubric(), ALL_PASS, "full", format_ok=True))["essay"]
    assert (check.status, check.points, check.max_points) == ("manual", 0, 8)
    assert check.evidence["answer_key"] == "ln(10) = 2.303"
    assert "until a TA grades it" in check.message


def test_a_check_can_defer_to_a_ta_with_evidence():
    outcomes = {
        **ALL_PASS,
        "runs": CheckOutcome(status="manual", message="look at cell 7", evidence={"cell": 7}),
    }
    check = by_id(apply_rubric(rubric(), outcomes, "full", format_ok=True))["runs"]
    assert (check.status, check.points, check.evidence) == ("manual", 0, {"cell": 7})
    assert check.message.startswith("look at cell 7")


def test_fail_without_partial_rule_scores_zero():
    scored = apply_rubric(rubric(), {**ALL_PASS, "acc": failed(value=0.55)}, "full", format_ok=True)
    check = by_id(scored)["acc"]
    assert (check.status, check.points) == ("fail", 0)
    assert scored.score == 16


def test_partial_credit_from_the_rubric_rule():
    scored = apply_rubric(rubric(), {**ALL_PASS, "holdout": failed(value=0.87)}, "full", format_ok=True)
    check = by_id(scored)["holdout"]
    assert (check.status, check.points) == ("fail", 9.6)  # 12 * (0.87 - 0.75) / (0.90 - 0.75)
    assert "partial credit 80%" in check.message
    assert scored.score == 19.6


def test_partial_credit_below_floor_and_with_min_fraction():
    outcomes = {**ALL_PASS, "holdout": failed(value=0.70)}
    assert by_id(apply_rubric(rubric(), outcomes, "full", format_ok=True))["holdout"].points == 0
    data = copy.deepcopy(RUBRIC)
    data["items"][2]["partial"] = {"floor": 0.75, "min_fraction": 0.5}
    generous = Rubric.model_validate(data)
    at_floor = {**ALL_PASS, "holdout": failed(value=0.75)}
    assert by_id(apply_rubric(generous, at_floor, "full", format_ok=True))["holdout"].points == 6
    halfway = {**ALL_PASS, "holdout": failed(value=0.825)}
    assert by_id(apply_rubric(generous, halfway, "full", format_ok=True))["holdout"].points == 9


def test_a_fraction_set_by_the_check_wins():
    outcomes = {
        **ALL_PASS,
        "runs": failed("3 of 4 cells ran", fraction=0.75),
        "holdout": failed("below", fraction=0.25, value=0.87),  # the rule would give 80%
    }
    checks = by_id(apply_rubric(rubric(), outcomes, "full", format_ok=True))
    assert checks["runs"].points == 3
    assert checks["holdout"].points == 3


def test_partial_needs_a_numeric_value_below_the_threshold():
    no_value = by_id(apply_rubric(rubric(), {**ALL_PASS, "holdout": failed()}, "full", format_ok=True))
    assert no_value["holdout"].points == 0
    assert "no numeric value" in no_value["holdout"].message
    above = by_id(apply_rubric(rubric(), {**ALL_PASS, "holdout": failed(value=0.95)}, "full", format_ok=True))
    assert above["holdout"].points == 0


def test_error_scores_zero_with_the_message():
    outcomes = {**ALL_PASS, "runs": CheckOutcome(status="error", message="kernel died (out of memory)")}
    check = by_id(apply_rubric(rubric(), outcomes, "full", format_ok=True))["runs"]
    assert (check.status, check.points) == ("error", 0)
    assert "kernel died (out of memory)" in check.message


def test_inconclusive_outcome_waits_for_a_ta_and_is_not_a_fail():
    outcome = inconclusive("torchsummary is not in the course environment", cause="environment")
    check = by_id(apply_rubric(rubric(), {**ALL_PASS, "runs": outcome}, "full", format_ok=True))["runs"]
    assert (check.status, check.points) == ("inconclusive", 0)
    assert "torchsummary" in check.message and "until a TA decides; not a fail" in check.message
    assert check.evidence["cause"] == "environment"


def test_skipped_outcome_scores_zero_and_still_counts_in_the_maximum():
    outcomes = {**ALL_PASS, "runs": CheckOutcome(status="skipped", message="no GPU")}
    scored = apply_rubric(rubric(), outcomes, "full", format_ok=True)
    check = by_id(scored)["runs"]
    assert (check.status, check.points, scored.max_score) == ("skipped", 0, 30)
    assert "no GPU" in check.message and "still counted in the maximum score" in check.message


def test_items_outside_their_modes_are_skipped_without_an_outcome():
    outcomes = {"acc": passed(), "holdout": passed(), "extra": passed()}
    scored = apply_rubric(rubric(), outcomes, "static", format_ok=True)
    check = by_id(scored)["runs"]
    assert (check.status, check.points) == ("skipped", 0)
    assert "not checked in static mode (automatic in quick, full)" in check.message
    assert (scored.score, scored.max_score) == (18, 30)


def test_outcome_outside_the_items_modes_is_ignored():
    static = apply_rubric(rubric(), ALL_PASS, "static", format_ok=True)
    assert by_id(static)["runs"].status == "skipped"
    assert by_id(static)["acc"].status == "pass"


def test_missing_outcome_is_an_error_not_a_silent_zero():
    outcomes = {k: v for k, v in ALL_PASS.items() if k != "acc"}
    check = by_id(apply_rubric(rubric(), outcomes, "full", format_ok=True))["acc"]
    assert (check.status, check.points) == ("error", 0)
    assert check.message.startswith("not evaluated")


def test_unknown_outcome_and_unknown_mode_are_grader_bugs():
    with pytest.raises(ValueError, match="does not have: typo"):
        apply_rubric(rubric(), {**ALL_PASS, "typo": passed()}, "full", format_ok=True)
    with pytest.raises(ValueError, match="unknown grading mode 'fast'"):
        apply_rubric(rubric(), ALL_PASS, "fast", format_ok=True)


def test_failed_bonus_adds_nothing():
    scored = apply_rubric(rubric(), {**ALL_PASS, "extra": failed()}, "full", format_ok=True)
    assert (scored.score, scored.bonus, scored.total) == (22, 0, 22)


def test_format_deduction_applies_to_the_earned_total():
    scored = apply_rubric(rubric(), ALL_PASS, "full", format_ok=False)
    assert (scored.score, scored.bonus, scored.total) == (22, 5, 21.6)  # (22 + 5) * 0.8
    assert len(scored.deductions) == 1
    assert "-5.4 points (20% of the 27 earned)" in scored.deductions[0]


def test_no_deduction_when_the_rubric_has_none():
    assert apply_rubric(rubric(format_deduction=0.0), ALL_PASS, "full", format_ok=False).total == 27


def test_cap_limits_the_total_including_bonus():
    scored = apply_rubric(rubric(cap=25), ALL_PASS, "full", format_ok=True)
    assert scored.total == 25
    assert scored.deductions == ["cap: 27 points limited to the maximum of 25"]


def test_deduction_comes_before_the_cap():
    scored = apply_rubric(rubric(cap=20), ALL_PASS, "full", format_ok=False)
    assert scored.total == 20  # 27 * 0.8 = 21.6, then capped; the other order would give 16
    assert [d.split(":")[0] for d in scored.deductions] == ["format", "cap"]


def test_partial_fraction_function():
    rule = Partial(floor=0.5, min_fraction=0.2)
    assert partial_fraction(rule, 0.9, 0.95) == 1
    assert partial_fraction(rule, 0.9, 0.49) == 0
    assert partial_fraction(rule, 0.9, 0.5) == pytest.approx(0.2)
    assert partial_fraction(rule, 0.9, 0.7) == pytest.approx(0.6)


def test_f20_rubric_automatic_points():
    f20 = load_rubric(RUBRICS_DIR / "ece590-hw2-f20.yaml")
    automatic = [item for item in f20.items if item.check != "manual"]
    outcomes = {item.id: passed(value=0.95) for item in automatic}
    scored = apply_rubric(f20, outcomes, "full", format_ok=True)
    assert (scored.score, scored.bonus, scored.total, scored.max_score) == (49, 0, 49, 100)
    assert (
        sum(check.max_points for check in scored.checks if check.status == "manual" and not check.bonus) == 51
    )
    static = apply_rubric(f20, outcomes, "static", format_ok=True)
    assert static.score == 18  # Lab 1 and Lab 2 accuracies from stored outputs (4 + 2) and the held-out 12
