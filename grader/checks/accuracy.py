"""Accuracy checks. Only accuracy the grader computed on its own labels counts; what a notebook printed is
reported beside it as the claim."""

from __future__ import annotations

import numpy as np

from grader.checks.common import (
    failed,
    inconclusive,
    measured_predictions,
    missing_notebook,
    passed,
    skipped,
)
from grader.checks.files import pretrained_use
from grader.checks.training import fresh_val_accuracy
from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.evidence.consistency import contradicted
from grader.records import CheckOutcome
from grader.rubric.item import Item
from tools.predictions import agreement


def _claimed(nb: NotebookEvidence) -> dict:
    stored = nb.stored
    if stored is None:
        return {}
    return {
        "claimed": stored.claimed_best_val_accuracy,
        "claimed_from": stored.best_source,
        "claimed_epochs": len(stored.val_accuracies),
    }


def _voided(nb: NotebookEvidence) -> CheckOutcome | None:
    """The handout bans pretrained models: accuracy from a notebook that uses them does not count. Only
    evidence of pretrained weights voids it; a blocked download or the submission's own files do not."""
    banned = pretrained_use(nb, severities=("error",))
    if banned:
        return failed(f"accuracy not counted: {nb.spec.filename} uses pretrained weights ({banned[0]})")
    return None


def _plausibility(item: Item, outcome: CheckOutcome) -> CheckOutcome:
    """Above the rubric's ``plausible_max``: flagged for a TA; not counted when ``implausible: void``."""
    limit, value = item.params.get("plausible_max"), outcome.evidence.get("value")
    if limit is None or outcome.status != "pass":
        return outcome
    if not isinstance(value, float) or value <= limit:
        return outcome
    evidence = {**outcome.evidence, "implausible": True, "plausible_max": limit}
    if item.params.get("implausible", "flag") == "void":
        return failed(
            f"{value:.2%} is above the plausible {limit:.0%} for this model: not counted", **evidence
        )
    return passed(f"{outcome.message}; above the plausible {limit:.0%}: flagged for a TA", **evidence)


def val_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    outcome = _plausibility(item, _val_accuracy(ev, item))
    return _audited(ev.notebooks[item.notebook], outcome) if ev.mode == "audit" else outcome


def _audited(nb: NotebookEvidence, outcome: CheckOutcome) -> CheckOutcome:
    """Audit mode: a claim that meets the item counts only when the curve is consistent with the model the
    grader measured at the audited epoch; a claim that fails the item fails whatever the audit found."""
    audit = nb.audit
    evidence = {**outcome.evidence, "audit": audit.model_dump() if audit else None}
    if audit is not None and audit.verdict == "inconsistent":
        claim = "the claimed accuracy earns nothing" if outcome.status == "pass" else outcome.message
        return failed(f"{claim}: {nb.spec.filename} is {audit.message}", **evidence)
    if outcome.status != "pass":
        return outcome.model_copy(update={"evidence": evidence})
    if audit is None or audit.verdict == "inconclusive":
        why = audit.message if audit else f"{nb.spec.filename} was not audited"
        cause = (audit.cause if audit else None) or "harness"
        return inconclusive(f"{outcome.message}; the claim was not checked: {why}", cause, **evidence)
    return passed(f"{outcome.message}; {audit.message}", **evidence)


def _val_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    """Static mode reads the submitted outputs (a claim); full mode measures the trained model."""
    nb = ev.notebooks[item.notebook]
    if (voided := _voided(nb)) is not None:
        return voided
    threshold, max_epochs = item.params["threshold"], item.params.get("max_epochs")
    if ev.mode == "full":
        return _reproduced_val_accuracy(ev, nb, threshold)
    problem = missing_notebook(nb)
    if problem:
        return problem
    if (finding := contradicted(nb)) is not None:
        return failed(f"the claimed accuracy earns nothing: {finding.detail}", **_claimed(nb))
    claim = _claimed(nb)
    value = claim["claimed"]
    if value is None:
        return failed(
            "the submitted notebook prints no validation accuracy (expected lines like "
            "'Validation loss: 1.0000, Validation accuracy: 0.6500')",
            **claim,
        )
    evidence = {"value": value, "source": "claimed in the submitted outputs", **claim}
    if max_epochs is not None and claim["claimed_epochs"] > max_epochs:
        return failed(
            f"trained for {claim['claimed_epochs']} epochs, more than the {max_epochs} allowed", **evidence
        )
    if value < threshold:
        return failed(f"best validation accuracy claimed {value:.2%}, below {threshold:.0%}", **evidence)
    return passed(f"best validation accuracy claimed {value:.2%} (at least {threshold:.0%})", **evidence)


def _reproduced_val_accuracy(ev: Evidence, nb: NotebookEvidence, threshold: float) -> CheckOutcome:
    value, _, problem = fresh_val_accuracy(ev, nb)
    if problem:
        return problem
    evidence = {
        "value": value,
        "source": "computed by the grader in a fresh process",
        "fresh_process": nb.evaluation.summary() if nb.evaluation else None,
        **_claimed(nb),
    }
    if value < threshold:
        return failed(
            f"validation accuracy of the trained model is {value:.2%}, below {threshold:.0%}", **evidence
        )
    return passed(f"validation accuracy of the trained model is {value:.2%}", **evidence)


def predictions_format(ev: Evidence, item: Item) -> CheckOutcome:
    if ev.predictions is None:
        return failed(ev.predictions_error or "no predictions file")
    return passed(
        f"{ev.rubric.predictions.filename} is well formed ({len(ev.predictions.labels):,} rows)",
        header=list(ev.predictions.header),
        notes=ev.predictions.notes,
    )


def holdout_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    return _plausibility(item, _holdout_accuracy(ev, item))


def _holdout_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    if ev.labels.test is None:
        return skipped("the held-out labels are not available here (they stay with the TAs)")
    if ev.predictions is None:
        return failed(f"cannot score the held-out test set: {ev.predictions_error or 'no predictions file'}")
    if (other_term := _other_term(ev)) is not None:
        return other_term
    if (voided := _voided(ev.notebooks[ev.rubric.predictions.produced_by])) is not None:
        return voided
    value = float(np.mean(ev.predictions.labels == ev.labels.test))
    threshold = item.params["threshold"]
    evidence = {"value": value, "rows": len(ev.labels.test)}
    if value < threshold:
        return failed(f"held-out test accuracy {value:.2%}, below {threshold:.0%}", **evidence)
    return passed(f"held-out test accuracy {value:.2%} (at least {threshold:.0%})", **evidence)


def _other_term(ev: Evidence) -> CheckOutcome | None:
    """Predictions made for one term's test set mean nothing against another term's labels (the images are in
    another order, under another relabelling): not checked, as neither the student nor the file is wrong."""
    terms = ev.rubric.predictions.terms
    if terms is None or ev.labels.term in terms:
        return None
    return inconclusive(
        f"{ev.rubric.predictions.filename} is for the test set of {', '.join(terms)}; the course data here "
        f"is {ev.labels.term or 'of an unknown term'}, whose labels cannot score it",
        "environment",
        data_term=ev.labels.term,
        rubric_terms=list(terms),
    )


def predictions_agreement(ev: Evidence, item: Item) -> CheckOutcome:
    """The submitted predictions against the trained model's own, measured in a fresh process after the run.

    In quick mode the run saw the first images of the test set only, and the rows compared are those.
    """
    nb = ev.notebooks[ev.rubric.predictions.produced_by]
    produced, problem = measured_predictions(nb, "test")
    if problem:
        return problem
    if ev.predictions is None:
        return failed(f"nothing to compare: {ev.predictions_error or 'no predictions file'}")
    rows = min(len(produced), len(ev.predictions.labels))
    if rows == 0:
        return failed("the grader's run produced no test predictions to compare with")
    value = agreement(ev.predictions.labels[:rows], produced[:rows])
    wanted = item.params["min_agreement"]
    evidence = {"value": value, "rows": rows, "source": "the trained model, in a fresh process"}
    if value < wanted:
        return failed(
            f"the submitted predictions agree with the grader's run of the notebook on only {value:.1%} of "
            f"{rows:,} test images (< {wanted:.0%})",
            **evidence,
        )
    return passed(
        f"the submitted predictions agree with the grader's run on {value:.1%} of {rows:,} test images",
        **evidence,
    )
