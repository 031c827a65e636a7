"""Findings that compare what a run printed or scored with what the grader measured on the same model.

A notebook can detect the grader and print any accuracy it likes; a lookup table can memorise the validation
labels; a predictions file can hold the public test labels under the course's relabelling. None of these is
visible to one check alone: they are contradictions between evidence, flagged here for the checks and the TA.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.execute.inkernel.fresh_model import NORMALIZED, TO_TENSOR
from grader.records import CheckOutcome, Finding

GUESSED_PREPROCESSING = frozenset({NORMALIZED, TO_TENSOR})
CHANCE = 0.1
LEARNS_Z = 3.0  # one-sided test against guessing: accuracy must exceed chance by this many standard errors


def chance_bar(images: int) -> float:
    """The accuracy a model must exceed on IMAGES balanced images to be above guessing."""
    return CHANCE + LEARNS_Z * math.sqrt(CHANCE * (1 - CHANCE) / images)


def above_chance(accuracy: float, images: int) -> bool:
    return images > 0 and accuracy >= chance_bar(images)


def _accuracy(predicted: np.ndarray | None, labels: np.ndarray | None) -> float | None:
    """Share of PREDICTED matching LABELS over the images both cover; None when either is missing."""
    if predicted is None or labels is None:
        return None
    rows = min(len(predicted), len(labels))
    return float(np.mean(predicted[:rows] == labels[:rows])) if rows else None


def measured_val_accuracy(ev: Evidence, nb: NotebookEvidence) -> float | None:
    """Validation accuracy of the fresh-process predictions on the grader's labels, when both exist."""
    return _accuracy(nb.evaluation.val if nb.evaluation else None, ev.labels.val)


def measured_test_accuracy(ev: Evidence, nb: NotebookEvidence) -> float | None:
    """Held-out accuracy of the fresh-process predictions on the hidden labels of the images the run saw."""
    return _accuracy(nb.evaluation.test if nb.evaluation else None, ev.labels.run_test)


def claim_findings(ev: Evidence) -> list[Finding]:
    """A validation accuracy printed during the grader's run that the measured model contradicts."""
    tolerance = ev.rubric.integrity.claim_tolerance
    found = []
    for nb in ev.notebooks.values():
        stored, measured = nb.run_stored, measured_val_accuracy(ev, nb)
        if stored is None or measured is None or not stored.val_accuracies:
            continue
        last = stored.val_accuracies[-1]
        best = stored.claimed_best_val_accuracy if stored.claimed_best_val_accuracy is not None else last
        # the exported weights are the state after some printed epoch: the last one, or a best checkpoint
        # reloaded, of the last model a dev notebook's experiments trained
        printed = [*stored.val_accuracies, best, *(value for _, value in stored.best_runs)]
        if min(abs(measured - value) for value in printed) <= tolerance:
            continue
        # the grader guessed the preprocessing: a model it finds above chance may just see other inputs
        guessed = nb.evaluation is not None and nb.evaluation.preprocessing in GUESSED_PREPROCESSING
        guessed = guessed and above_chance(measured, len(nb.evaluation.val))
        detail = (
            f"{nb.spec.filename} printed a best validation accuracy of {best:.2%} (last {last:.2%}) "
            f"during the grader's run, but the grader measured {measured:.2%} on the same trained model "
            f"in a fresh process (more than {tolerance:.0%} apart)"
        )
        if guessed:
            detail += (
                "; the grader had to guess the preprocessing (no transform_val found), so a TA should look"
            )
        finding = Finding(
            kind="claim-contradicted",
            severity="warning" if guessed else "error",
            detail=detail,
            notebook=nb.spec.filename,
        )
        nb.findings.append(finding)
        found.append(finding)
    return found


def contradicted(nb: NotebookEvidence) -> Finding | None:
    return next((f for f in nb.findings if f.kind == "claim-contradicted" and f.severity == "error"), None)


def _memorised(ev: Evidence, notebook: str | None, outcome: CheckOutcome) -> Finding:
    filename = ev.notebooks[notebook].spec.filename if notebook else None
    return Finding(
        kind="memorised-labels",
        severity="error",
        detail=f"{filename}: {outcome.message}",
        notebook=filename,
    )


def outcome_findings(ev: Evidence, outcomes: Mapping[str, CheckOutcome]) -> list[Finding]:
    """Accuracy above what the required model reaches, or memorised labels, flagged for a TA whatever the
    rubric made of it; one finding per notebook and kind."""
    found = []
    for item in ev.rubric.items:
        outcome = outcomes.get(item.id)
        if outcome is not None and outcome.evidence.get("memorised"):
            found.append(_memorised(ev, item.notebook, outcome))
        if outcome is None or not outcome.evidence.get("implausible"):
            continue
        value, limit = outcome.evidence.get("value"), item.params.get("plausible_max")
        notebook = ev.notebooks[item.notebook].spec.filename if item.notebook else None
        found.append(
            Finding(
                kind="implausible-accuracy",
                severity="warning",
                detail=(
                    f"{item.id}: {value:.2%} is above the {limit:.0%} this model reaches in practice; "
                    "a TA should check the work behind it (held-out labels can be recovered from the "
                    "public CIFAR-10 test set)"
                ),
                notebook=notebook,
            )
        )
    return list({(f.kind, f.notebook): f for f in found}.values())
