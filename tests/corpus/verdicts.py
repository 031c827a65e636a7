"""The verdict a corpus case must end in, and how to read it off a ``result.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from grader.result import Result

Kind = Literal["rejected", "check", "finding", "not-penalised"]


@dataclass(frozen=True)
class Verdict:
    """``rejected``: refused at intake; ``check``: check TARGET ends in STATUS; ``finding``: a finding of kind
    TARGET and severity STATUS; ``not-penalised``: the score equals the honest baseline's. The message must
    contain every word of SAYS (case-insensitive): a verdict that does not say what went wrong is a defect."""

    kind: Kind
    target: str = ""
    status: str = ""
    says: tuple[str, ...] = ()


def rejected(*says: str) -> Verdict:
    return Verdict("rejected", says=says)


def check(target: str, status: str, *says: str) -> Verdict:
    return Verdict("check", target, status, says)


def finding(kind: str, severity: str, *says: str) -> Verdict:
    return Verdict("finding", kind, severity, says)


NOT_PENALISED = Verdict("not-penalised")


def _missing_words(message: str, says: tuple[str, ...]) -> list[str]:
    return [word for word in says if word.lower() not in message.lower()]


def problems(result: Result, verdict: Verdict, baseline_score: float | None) -> list[str]:
    """What is wrong with RESULT for VERDICT; empty when the verdict holds."""
    if verdict.kind == "rejected":
        rejections = [f.detail for f in result.findings if f.kind == "intake-rejected"]
        if not rejections:
            return [f"not rejected at intake; findings: {[f.detail for f in result.findings]}"]
        missing = _missing_words(rejections[0], verdict.says)
        return [f"rejection {rejections[0]!r} does not say {missing}"] if missing else []
    if verdict.kind == "check":
        checks = {c.id: c for c in result.checks}
        found = checks.get(verdict.target)
        if found is None:
            return [f"no check {verdict.target}"]
        if found.status != verdict.status:
            return [f"{verdict.target} is {found.status}, not {verdict.status}: {found.message}"]
        missing = _missing_words(found.message, verdict.says)
        return [f"{verdict.target} message {found.message!r} does not say {missing}"] if missing else []
    if verdict.kind == "finding":
        candidates = [f for f in result.findings if f.kind == verdict.target and f.severity == verdict.status]
        if not any(not _missing_words(f.detail, verdict.says) for f in candidates):
            seen = [(f.kind, f.severity, f.detail) for f in result.findings]
            return [f"no {verdict.status} finding {verdict.target} saying {verdict.says}; findings: {seen}"]
        return []
    errors = [f.detail for f in result.findings if f.severity == "error"]
    out = [f"error findings on an honest submission: {errors}"] if errors else []
    if result.score != baseline_score:
        lost = {c.id: c.message for c in result.checks if c.status == "fail"}
        out.append(f"score {result.score} differs from the honest baseline {baseline_score}; failed: {lost}")
    return out
