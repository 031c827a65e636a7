"""The verdict a corpus case must end in, and how to read it off a ``result.json`` and the case's folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import nbformat

from grader.records import SUBMISSION_DIR, Result

Kind = Literal[
    "rejected", "check", "check-about", "finding", "not-penalised", "no-leak", "unchanged", "printed"
]


@dataclass(frozen=True)
class Verdict:
    """``rejected``: refused at intake; ``check``: check TARGET ends in STATUS; ``check-about``: the check
    whose id or title holds every word of TARGET ends in STATUS (an item whose id the rubric may choose);
    ``finding``: a finding of kind TARGET and severity STATUS; ``not-penalised``: the score equals the honest
    baseline's; ``no-leak``: none of the named secrets (SAYS) appears in any file of the case's output
    folder but the submission's own copy; ``unchanged``: what SAYS names (``host``, ``neighbour``,
    ``static-results``) is as it was; ``printed``: the notebook TARGET of the grader's run printed every text
    of SAYS.

    The message must contain every word of SAYS (case-insensitive; ``a|b`` accepts either): a verdict that
    does not say what went wrong is a defect."""

    kind: Kind
    target: str = ""
    status: str = ""
    says: tuple[str, ...] = ()


def rejected(*says: str) -> Verdict:
    return Verdict("rejected", says=says)


def check(target: str, status: str, *says: str) -> Verdict:
    return Verdict("check", target, status, says)


def check_about(words: str, status: str, *says: str) -> Verdict:
    return Verdict("check-about", words, status, says)


def finding(kind: str, severity: str, *says: str) -> Verdict:
    return Verdict("finding", kind, severity, says)


def no_leak(*secrets: str) -> Verdict:
    """None of these secrets (names of :func:`tests.corpus.arena.arena_secrets`) in the case's output."""
    return Verdict("no-leak", says=secrets)


def unchanged(*what: str) -> Verdict:
    return Verdict("unchanged", says=what)


def printed(notebook: str, *texts: str) -> Verdict:
    return Verdict("printed", notebook, says=texts)


NOT_PENALISED = Verdict("not-penalised")


@dataclass(frozen=True)
class Around:
    """What a verdict beyond result.json looks at: the case's output folder, the secrets of the arena, and
    the problems found with each watched thing (empty when it is as it was)."""

    folder: Path
    secrets: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)
    watched: Mapping[str, list[str]] = field(default_factory=dict)


def _missing_words(message: str, says: tuple[str, ...]) -> list[str]:
    text = message.lower()
    return [word for word in says if not any(w.lower() in text for w in word.split("|"))]


def _leaks(around: Around, names: tuple[str, ...]) -> list[str]:
    out = []
    own = around.folder / SUBMISSION_DIR
    files = [p for p in sorted(around.folder.rglob("*")) if p.is_file() and not p.is_relative_to(own)]
    for name in names:
        if name not in around.secrets:
            out.append(f"no secret named {name!r}")
            continue
        for path in files:
            data = path.read_bytes()
            for secret in around.secrets[name]:
                if secret and secret in data:
                    out.append(f"{name} ({secret[:40]!r}) appears in {path.relative_to(around.folder)}")
    return out


def _printed(around: Around, notebook: str) -> str:
    path = around.folder / "notebooks" / notebook
    if not path.is_file():
        return ""
    return "".join(
        str(output.get("text", "")) + str(output.get("evalue", ""))
        for cell in nbformat.read(path, as_version=4).cells
        for output in cell.get("outputs", [])
    )


def problems(
    result: Result, verdict: Verdict, baseline_score: float | None, around: Around | None = None
) -> list[str]:
    """What is wrong with RESULT (and the case's folder, AROUND) for VERDICT; empty when the verdict holds."""
    if verdict.kind == "rejected":
        rejections = [f.detail for f in result.findings if f.kind == "intake-rejected"]
        if not rejections:
            return [f"not rejected at intake; findings: {[f.detail for f in result.findings]}"]
        missing = _missing_words(rejections[0], verdict.says)
        return [f"rejection {rejections[0]!r} does not say {missing}"] if missing else []
    if verdict.kind in ("check", "check-about"):
        if verdict.kind == "check":
            found = {c.id: c for c in result.checks}.get(verdict.target)
        else:
            words = verdict.target.lower().split()
            found = next(
                (c for c in result.checks if all(w in f"{c.id} {c.title}".lower() for w in words)), None
            )
        if found is None:
            return [f"no check {verdict.target}"]
        if found.status != verdict.status:
            return [f"{found.id} is {found.status}, not {verdict.status}: {found.message}"]
        missing = _missing_words(found.message, verdict.says)
        return [f"{found.id} message {found.message!r} does not say {missing}"] if missing else []
    if verdict.kind == "finding":
        candidates = [f for f in result.findings if f.kind == verdict.target and f.severity == verdict.status]
        if not any(not _missing_words(f.detail, verdict.says) for f in candidates):
            seen = [(f.kind, f.severity, f.detail) for f in result.findings]
            return [f"no {verdict.status} finding {verdict.target} saying {verdict.says}; findings: {seen}"]
        return []
    if verdict.kind in ("no-leak", "unchanged", "printed"):
        if around is None:
            return [f"a {verdict.kind} verdict needs the case's folder"]
        if verdict.kind == "no-leak":
            return _leaks(around, verdict.says)
        if verdict.kind == "unchanged":
            return [p for name in verdict.says for p in around.watched.get(name, [f"{name} is not watched"])]
        text = _printed(around, verdict.target)
        missing = _missing_words(text, verdict.says)
        return [f"{verdict.target} did not print {missing}; it printed {text[-600:]!r}"] if missing else []
    errors = [f.detail for f in result.findings if f.severity == "error"]
    out = [f"error findings on an honest submission: {errors}"] if errors else []
    if result.score != baseline_score:
        lost = {c.id: c.message for c in result.checks if c.status == "fail"}
        out.append(f"score {result.score} differs from the honest baseline {baseline_score}; failed: {lost}")
    return out
