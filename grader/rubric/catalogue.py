"""The check kinds a rubric may name: when each runs by default, what it reads and the params it needs.

This is the one list of kinds. The rubric schema accepts exactly these names, ``grader.checks`` binds a
function to every automatic kind (a test keeps the two in step), and the pre-check asks it which kinds read
``predictions.csv``. It is plain data, so that loading a rubric imports neither the checks nor torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from grader.records import Mode

# What a check looks at: one notebook, the rubric's predictions file, a notebook or one of the rubric's files
# (file_present), or nothing at all (manual: a TA grades it from the answer key).
Reads = Literal["notebook", "predictions", "notebook or file", "nothing"]

_STATIC_CAPABLE: tuple[Mode, ...] = ("static", "quick", "full", "audit")
_NEEDS_RUN: tuple[Mode, ...] = ("quick", "full")
# An audited run is stopped after a few epochs of its first training: the model it has then is the notebook's
# own, but whether it ran to the end, and the models a dev notebook trains later (BatchNorm, Swish), are not
# known, so those kinds are not automatic in audit mode.
_NEEDS_MODEL: tuple[Mode, ...] = ("quick", "full", "audit")


@dataclass(frozen=True)
class CheckSpec:
    """One kind. ``modes``: where an item of this kind is automatic unless the item says otherwise.
    ``required_params``: numeric parameters the check cannot do without."""

    name: str
    modes: tuple[Mode, ...]
    reads: Reads = "notebook"
    required_params: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        return self.reads != "nothing"


# Accuracy thresholds are unreachable on the quick subset, so val_accuracy reads the stored outputs in static
# and quick mode (a claim, labelled as such) and the grader's own measurement in a full run; in audit mode the
# claim counts when the curve is consistent with the model measured at the audited epoch. Agreement needs
# full-data predictions.
_KINDS = (
    CheckSpec("file_present", _STATIC_CAPABLE, reads="notebook or file"),
    CheckSpec("notebook_valid", _STATIC_CAPABLE),
    CheckSpec("notebook_executed", _STATIC_CAPABLE),
    CheckSpec("no_pretrained", _STATIC_CAPABLE),
    CheckSpec("runs", _NEEDS_RUN),
    CheckSpec("model_shape", _NEEDS_MODEL),
    CheckSpec("model_params", _NEEDS_MODEL, required_params=("expected",)),
    CheckSpec("resnet_structure", _NEEDS_MODEL),
    CheckSpec("optimizer", _NEEDS_MODEL),
    CheckSpec("criterion", _NEEDS_MODEL),
    CheckSpec("augmentation", _NEEDS_RUN),
    CheckSpec("batchnorm", _NEEDS_RUN),
    CheckSpec("swish", _NEEDS_RUN),
    CheckSpec("val_accuracy", _STATIC_CAPABLE, required_params=("threshold",)),
    CheckSpec("learns", _NEEDS_MODEL),
    CheckSpec("predictions_format", _STATIC_CAPABLE, reads="predictions"),
    CheckSpec("holdout_accuracy", _STATIC_CAPABLE, reads="predictions", required_params=("threshold",)),
    CheckSpec("predictions_agreement", ("full",), reads="predictions", required_params=("min_agreement",)),
    CheckSpec("manual", (), reads="nothing"),
)

CATALOGUE: dict[str, CheckSpec] = {spec.name: spec for spec in _KINDS}
CHECK_KINDS: tuple[str, ...] = tuple(CATALOGUE)
DEFAULT_MODES: dict[str, tuple[Mode, ...]] = {name: spec.modes for name, spec in CATALOGUE.items()}
AUTOMATIC_CHECKS = frozenset(name for name, spec in CATALOGUE.items() if spec.automatic)
NOTEBOOK_CHECKS = frozenset(name for name, spec in CATALOGUE.items() if spec.reads == "notebook")
# kinds that only a run can decide: they read the grader's run of a notebook
RUN_CHECKS = frozenset(
    name for name, spec in CATALOGUE.items() if spec.automatic and "static" not in spec.modes
)
PREDICTIONS_CHECKS = frozenset(name for name, spec in CATALOGUE.items() if spec.reads == "predictions")
