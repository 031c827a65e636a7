"""A result as Gradescope's autograder ``results.json``, and a validator of that format.

The fields are those of Gradescope's autograder specification (gradescope-autograders.readthedocs.io,
"Autograder Specifications"); the validator forbids any other, so a typo cannot reach students silently.

Mapping: one test per rubric item. Bonus items have ``max_score`` 0 (extra credit), so the tests' maxima add
up to the rubric's total. The format deduction and the cap, when they apply, are one more test with a
negative score, so the tests' scores add up to the top-level ``score`` (the final total). Manual items are
0 of their points, shown after the grades are published, with a note that a TA grades them, until a TA
graded them: then they carry the TA's points, name and comment, and the summary says the score includes
them. Every automatic test carries an explicit ``status``: Gradescope otherwise counts 0 of 0 points (the
integrity items) as passed.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from grader.records import REJECTION_NOTE, Result

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
TextFormat = Literal["text", "html", "simple_format", "md", "ansi"]
TestStatus = Literal["passed", "failed"]
DEDUCTION_TEST = "Deductions and cap"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradescopeTest(_Strict):
    score: float | None = None
    max_score: float | None = None
    status: TestStatus | None = None
    name: str | None = None
    name_format: TextFormat | None = None
    number: str | None = None
    output: str | None = None
    output_format: TextFormat | None = None
    tags: list[str] | None = None
    visibility: Visibility | None = None
    extra_data: dict[str, Any] | None = None


class LeaderboardEntry(_Strict):
    name: str
    value: float | str
    order: Literal["asc", "desc"] | None = None


class GradescopeResults(_Strict):
    score: float | None = None
    execution_time: float | None = None
    output: str | None = None
    output_format: TextFormat | None = None
    test_output_format: TextFormat | None = None
    test_name_format: TextFormat | None = None
    visibility: Visibility | None = None
    stdout_visibility: Visibility | None = None
    extra_data: dict[str, Any] | None = None
    tests: list[GradescopeTest] | None = None
    leaderboard: list[LeaderboardEntry] | None = None

    @field_validator("score", "execution_time")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def validate_gradescope(payload: Any) -> list[str]:
    """Problems with PAYLOAD as a Gradescope results.json, one line each (field path: what is wrong)."""
    try:
        results = GradescopeResults.model_validate(payload)
    except ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}" for e in exc.errors()]
    problems = []
    if results.score is None:
        if not results.tests:
            problems.append("score: required when there are no tests")
        problems += [
            f"tests.{i}.score: required without a top-level score"
            for i, test in enumerate(results.tests or [])
            if test.score is None
        ]
    return problems


def to_gradescope(result: Result) -> dict[str, Any]:
    """RESULT in Gradescope's format (a JSON-ready dict); ``score`` is the final total of the result."""
    tests = [_test(check) for check in result.checks]
    adjustment = round(result.score - sum(test["score"] for test in tests), 2)
    if adjustment:
        tests.append(
            {
                "name": DEDUCTION_TEST,
                "score": adjustment,
                "max_score": 0.0,
                "status": "failed",
                "output": "\n".join(d for d in result.deductions if not d.startswith(REJECTION_NOTE)),
                "visibility": "visible",
            }
        )
    payload = {
        "score": result.score,
        "output": _summary(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "submission_id": result.submission_id,
            "input_sha256": result.input_sha256,
            "rubric": result.rubric,
            "mode": result.mode,
        },
        "tests": tests,
    }
    if "total_s" in result.timings:
        payload["execution_time"] = round(result.timings["total_s"], 1)
    return payload


def _test(check) -> dict[str, Any]:
    tags = [check.id] + (["bonus"] if check.bonus else [])
    test: dict[str, Any] = {
        "name": f"{check.title}" + (" (bonus)" if check.bonus else ""),
        "score": check.points,
        "max_score": 0.0 if check.bonus else check.max_points,
        "output": check.message,
        "tags": tags,
        "visibility": "visible",
    }
    if check.graded_by_ta:
        grade = check.ta_grade
        test["output"] = f"Graded by {grade.grader or 'a TA'}: {check.points:g} of {check.max_points:g}." + (
            f"\n{grade.comment}" if grade.comment else ""
        )
        test["visibility"] = "after_published"
    elif check.status == "manual":
        test["output"] = (
            f"Graded by a TA from your report and notebooks ({check.max_points:g} points), "
            "outside the autograder: 0 here is not your grade for this item."
        )
        test["visibility"] = "after_published"
    elif check.status == "inconclusive":
        test["output"] = f"{check.message}. A TA decides this item: 0 here is not your grade for it."
        test["visibility"] = "after_published"
    else:
        test["status"] = "passed" if check.status == "pass" else "failed"
    return test


def _summary(result: Result) -> str:
    lines = [
        f"Score {result.score:g} / {result.max_score:g}"
        + (f" (includes {result.bonus:g} bonus points)" if result.bonus else "")
        + f", graded in {result.mode} mode with rubric {result.rubric}."
    ]
    lines += [f"Deduction: {deduction}" for deduction in result.deductions]
    manual = sum(check.max_points for check in result.checks if check.awaits_ta)
    if manual:
        lines.append(f"{manual:g} points are graded by a TA and are not in this score yet.")
    by_ta = [check for check in result.checks if check.graded_by_ta]
    if by_ta:
        given = sum(check.points for check in by_ta)
        items = f"{len(by_ta)} item" + ("s" if len(by_ta) != 1 else "")
        lines.append(f"The score includes {given:g} points graded by a TA ({items}).")
    serious = [f for f in result.findings if f.severity in ("error", "warning")]
    if serious:
        lines.append("Findings:")
        lines += [f"- [{f.severity}] {f.kind}: {f.detail}" for f in serious]
    if result.sandboxed is False:
        lines.append("Note: the code ran without the grader's sandbox.")
    return "\n".join(lines)
