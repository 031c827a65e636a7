"""The function behind each automatic kind of ``grader.rubric.catalogue``: from the gathered evidence to a
verdict. The catalogue says which kinds exist; this binds them, and a test keeps the two in step."""

from __future__ import annotations

from collections.abc import Callable

from grader.checks import accuracy, files, model, training
from grader.checks.common import environment_gap, inconclusive
from grader.evidence.bundle import Evidence
from grader.records import CheckOutcome, Mode
from grader.rubric.item import Item

Check = Callable[[Evidence, Item], CheckOutcome]

CHECKS: dict[str, Check] = {
    "file_present": files.file_present,
    "notebook_valid": files.notebook_valid,
    "notebook_executed": files.notebook_executed,
    "no_pretrained": files.no_pretrained,
    "runs": training.runs,
    "model_shape": model.model_shape,
    "model_params": model.model_params,
    "resnet_structure": model.resnet_structure,
    "optimizer": training.optimizer,
    "criterion": training.criterion,
    "augmentation": training.augmentation,
    "batchnorm": model.batchnorm,
    "swish": model.swish,
    "val_accuracy": accuracy.val_accuracy,
    "learns": training.learns,
    "predictions_format": accuracy.predictions_format,
    "holdout_accuracy": accuracy.holdout_accuracy,
    "predictions_agreement": accuracy.predictions_agreement,
}


# Kinds decided by the grader's run of the notebook: what a run stopped by the environment could not show.
RUN_KINDS = frozenset(
    {"runs", "model_shape", "model_params", "resnet_structure", "optimizer", "criterion", "augmentation"}
    | {"batchnorm", "swish", "learns"}
)


def _environment_blocked(ev: Evidence, item: Item, outcome: CheckOutcome) -> CheckOutcome:
    """A failed run check of a notebook whose run stopped on an import the environment lacks: not checked."""
    if outcome.status != "fail" or item.check not in RUN_KINDS or item.notebook not in ev.notebooks:
        return outcome
    module = environment_gap(ev.notebooks[item.notebook])
    if module is None:
        return outcome
    return inconclusive(
        f"not checked: the grader's run stopped where the notebook imports {module!r}, which the grading "
        f"environment does not have (an environment finding for a TA); without it: {outcome.message}",
        "environment",
        module=module,
        **outcome.evidence,
    )


def evaluate(ev: Evidence, items: list[Item]) -> dict[str, CheckOutcome]:
    """Outcomes of the items automatic in this mode; a check that crashes is an error, never a pass."""
    outcomes: dict[str, CheckOutcome] = {}
    for item in items:
        if not item.automatic_in(ev.mode):
            continue
        try:
            outcomes[item.id] = _environment_blocked(ev, item, CHECKS[item.check](ev, item))
        except Exception as exc:  # a grader fault must not sink the submission's other checks
            outcomes[item.id] = CheckOutcome(
                status="error", message=f"the check crashed: {type(exc).__name__}: {exc}"
            )
    return outcomes


def uniform_outcomes(items: list[Item], mode: Mode, outcome: CheckOutcome) -> dict[str, CheckOutcome]:
    """The same OUTCOME for every item automatic in MODE: a submission refused or not graded as a whole."""
    return {item.id: outcome.model_copy() for item in items if item.automatic_in(mode)}
