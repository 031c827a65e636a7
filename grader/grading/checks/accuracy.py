"""Accuracy checks. Only accuracy the grader computed on its own labels counts; what a notebook printed is
reported beside it as the claim."""

from __future__ import annotations

import numpy as np

from grader.grading.checks.common import failed, missing_notebook, passed, run_unusable, skipped
from grader.grading.checks.files import banned_use
from grader.grading.evidence import Evidence, NotebookEvidence
from grader.predictions import agreement
from grader.result import CheckOutcome
from grader.rubric.model import Item


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
    """The handout bans pretrained models: accuracy from a notebook that uses them does not count."""
    banned = banned_use(nb, severities=("error",))
    if banned:
        return failed(f"accuracy not counted: {nb.spec.filename} uses pretrained weights ({banned[0]})")
    return None


def val_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    """Static mode reads the submitted outputs (a claim); full mode computes it from the run's predictions."""
    nb = ev.notebooks[item.notebook]
    if (voided := _voided(nb)) is not None:
        return voided
    threshold, max_epochs = item.params["threshold"], item.params.get("max_epochs")
    if ev.mode == "full":
        return _reproduced_val_accuracy(ev, nb, threshold)
    problem = missing_notebook(nb)
    if problem:
        return problem
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
    problem = run_unusable(nb)
    if problem:
        return problem
    if nb.val_predictions is None or ev.labels.val is None:
        why = (nb.probe.get("errors") or {}).get("predictions") or "no predictions came back from the run"
        return failed(f"could not measure validation accuracy: {why}", **_claimed(nb))
    value = float((nb.val_predictions == ev.labels.val[: len(nb.val_predictions)]).mean())
    evidence = {"value": value, "source": "computed by the grader from the run", **_claimed(nb)}
    if value < threshold:
        return failed(
            f"validation accuracy of the trained `net` is {value:.2%}, below {threshold:.0%}", **evidence
        )
    return passed(f"validation accuracy of the trained `net` is {value:.2%}", **evidence)


def predictions_format(ev: Evidence, item: Item) -> CheckOutcome:
    if ev.predictions is None:
        return failed(ev.predictions_error or "no predictions file")
    return passed(
        f"{ev.rubric.predictions.filename} is well formed ({len(ev.predictions.labels):,} rows)",
        header=list(ev.predictions.header),
        notes=ev.predictions.notes,
    )


def holdout_accuracy(ev: Evidence, item: Item) -> CheckOutcome:
    if ev.labels.test is None:
        return skipped("the held-out labels are not available here (they stay with the TAs)")
    if ev.predictions is None:
        return failed(f"cannot score the held-out test set: {ev.predictions_error or 'no predictions file'}")
    if (voided := _voided(ev.notebooks[ev.rubric.predictions.produced_by])) is not None:
        return voided
    value = float(np.mean(ev.predictions.labels == ev.labels.test))
    threshold = item.params["threshold"]
    evidence = {"value": value, "rows": len(ev.labels.test)}
    if value < threshold:
        return failed(f"held-out test accuracy {value:.2%}, below {threshold:.0%}", **evidence)
    return passed(f"held-out test accuracy {value:.2%} (at least {threshold:.0%})", **evidence)


def predictions_agreement(ev: Evidence, item: Item) -> CheckOutcome:
    """The submitted predictions against those the grader's run of the notebook produced."""
    nb = ev.notebooks[ev.rubric.predictions.produced_by]
    problem = run_unusable(nb)
    if problem:
        return problem
    if ev.predictions is None:
        return failed(f"nothing to compare: {ev.predictions_error or 'no predictions file'}")
    produced = nb.produced_predictions.labels if nb.produced_predictions else nb.test_predictions
    if produced is None or len(produced) != len(ev.predictions.labels):
        return failed("the grader's run produced no predictions for the whole test set to compare with")
    value = agreement(ev.predictions.labels, produced)
    wanted = item.params["min_agreement"]
    evidence = {"value": value, "source": "predictions file" if nb.produced_predictions else "probe"}
    if value < wanted:
        return failed(
            f"the submitted predictions agree with the re-run on only {value:.1%} (< {wanted:.0%})",
            **evidence,
        )
    return passed(f"the submitted predictions agree with the re-run on {value:.1%}", **evidence)
