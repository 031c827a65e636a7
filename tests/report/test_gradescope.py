"""Gradescope results.json: valid per the documented fields, and the points add up."""

from __future__ import annotations

import json

import pytest
import yaml

from grader.report import to_gradescope, validate_gradescope
from grader.report.gradescope import DEDUCTION_TEST
from grader.rubric import RUBRICS_DIR
from grader.rubric.model import Rubric
from tests.report.helpers import class_results, make_result


def automatic_bonus_rubric() -> Rubric:
    """F20 with its Lab 1 bonus checked automatically and a cap low enough to bite."""
    data = yaml.safe_load((RUBRICS_DIR / "ece590-hw2-f20.yaml").read_text())
    for item in data["items"]:
        if item["id"] == "lab1.h":
            item.update(check="batchnorm", notebook="lenet5")
            del item["answer_key"]
    data["cap"] = 40
    return Rubric.model_validate(data)


@pytest.mark.parametrize("result", class_results(), ids=lambda r: r.submission_id)
def test_payload_is_valid_and_adds_up(result) -> None:
    payload = json.loads(json.dumps(to_gradescope(result)))
    assert validate_gradescope(payload) == []
    tests = payload["tests"]
    assert payload["score"] == result.score
    assert sum(t["score"] for t in tests) == pytest.approx(result.score)
    assert sum(t["max_score"] for t in tests) == pytest.approx(result.max_score)
    by_tag = {t["tags"][0]: t for t in tests if "tags" in t}
    for check in result.checks:
        test = by_tag[check.id]
        if check.status == "manual":
            assert test["visibility"] == "after_published" and "status" not in test and test["score"] == 0
            assert "TA" in test["output"]
        else:
            assert test["status"] == ("passed" if check.status == "pass" else "failed")
            assert test["visibility"] == "visible"


def test_deduction_is_a_negative_test() -> None:
    bob = class_results()[1]
    payload = to_gradescope(bob)
    deduction = payload["tests"][-1]
    assert deduction["name"] == DEDUCTION_TEST and deduction["score"] == pytest.approx(-6.6)
    assert deduction["max_score"] == 0 and "format" in deduction["output"]
    assert (
        "[error] pretrained-weights" in payload["output"]
        and "without the grader's sandbox" in payload["output"]
    )


def test_bonus_is_extra_credit_and_the_cap_is_accounted_for() -> None:
    rubric = automatic_bonus_rubric()
    result = make_result("eve", rubric)
    assert result.bonus == 4 and result.score == 40  # the cap bit
    payload = to_gradescope(result)
    bonus = next(t for t in payload["tests"] if t["tags"] == ["lab1.h", "bonus"])
    assert bonus["score"] == 4 and bonus["max_score"] == 0
    assert sum(t["score"] for t in payload["tests"]) == pytest.approx(40)
    assert sum(t["max_score"] for t in payload["tests"]) == pytest.approx(result.max_score)
    assert validate_gradescope(payload) == []


def test_the_validator_catches_undocumented_and_malformed_fields() -> None:
    payload = to_gradescope(make_result("alice"))
    payload["tests"][0]["points"] = 2
    payload["visibility"] = "sometimes"
    payload["tests"][1]["status"] = "error"
    problems = validate_gradescope(payload)
    assert any(p.startswith("tests.0.points") for p in problems)
    assert any(p.startswith("visibility") for p in problems)
    assert any(p.startswith("tests.1.status") for p in problems)
    assert validate_gradescope({"tests": [{"name": "x"}]}) == [
        "tests.0.score: required without a top-level score"
    ]
    assert validate_gradescope({"output": "x"}) == ["score: required when there are no tests"]
