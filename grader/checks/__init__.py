"""The function behind each automatic kind of ``grader.rubric.catalogue``: from the gathered evidence to a
verdict. The catalogue says which kinds exist; this binds them, and a test keeps the two in step."""

from __future__ import annotations

from collections.abc import Callable

from grader.checks import accuracy, files, model, training
from grader.checks.common import excused
from grader.evidence.bundle import Evidence
from grader.records import CheckOutcome, Mode
from grader.rubric.catalogue import RUN_CHECKS
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


def evaluate(ev: Evidence, items: list[Item]) -> dict[str, CheckOutcome]:
    """Outcomes of the items automatic in this mode; a check that crashes is an error, never a pass."""
    outcomes: dict[str, CheckOutcome] = {}
    for item in items:
        if not item.automatic_in(ev.mode):
            continue
        try:
            outcomes[item.id] = _excused(ev, item, CHECKS[item.check](ev, item))
        except Exception as exc:  # a grader fault must not sink the submission's other checks
            outcomes[item.id] = CheckOutcome(
                status="error", message=f"the check crashed: {type(exc).__name__}: {exc}"
            )
    return outcomes


def _excused(ev: Evidence, item: Item, outcome: CheckOutcome) -> CheckOutcome:
    """The outcome, unless it failed on a run that stopped at an import the environment lacks."""
    if ev.mode == "static" or not any(nb.import_failure for nb in ev.notebooks.values()):
        return outcome
    key = item.notebook
    if key is None and item.check in RUN_CHECKS and ev.rubric.predictions is not None:
        key = ev.rubric.predictions.produced_by  # agreement reads the run of the notebook that wrote the file
    reads_run = item.check in RUN_CHECKS or (item.check == "val_accuracy" and ev.mode in ("full", "audit"))
    if key is None or not reads_run:
        return outcome
    return excused(ev.notebooks[key], outcome)


def uniform_outcomes(items: list[Item], mode: Mode, outcome: CheckOutcome) -> dict[str, CheckOutcome]:
    """The same OUTCOME for every item automatic in MODE: a submission refused or not graded as a whole."""
    return {item.id: outcome.model_copy() for item in items if item.automatic_in(mode)}
