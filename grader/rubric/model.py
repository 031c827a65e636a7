"""The rubric as validated data: which files a submission holds, how runs are limited, and the graded items.

A rubric names checks; the checks are code in the orchestrator. Validation here catches a broken rubric when
it is loaded (an unknown check, a notebook key that does not exist, points that do not add up to the
documented total) instead of halfway through grading a class.

Cross-field problems are raised as ``RubricProblems`` carrying the field path of each problem, so that the
loader can point at the YAML line. Model names are listed here rather than imported from ``reference.models``
so that loading a rubric does not import torch; a test keeps the two lists equal.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.records import Mode

CheckKind = Literal[
    "file_present",
    "notebook_valid",
    "notebook_executed",
    "no_pretrained",
    "runs",
    "model_shape",
    "model_params",
    "resnet_structure",
    "optimizer",
    "criterion",
    "augmentation",
    "batchnorm",
    "swish",
    "val_accuracy",
    "learns",
    "predictions_format",
    "holdout_accuracy",
    "predictions_agreement",
    "manual",
]
CHECK_KINDS: tuple[str, ...] = get_args(CheckKind)
MODES: tuple[Mode, ...] = get_args(Mode)

ModelName = Literal[
    "lenet5",
    "lenet5_bn",
    "lenet5_swish",
    "lenet5_bn_swish",
    "simplenn",
    "simplenn_bn",
    "resnet20",
    "vgg_a",
    "vgg_a_bn",
]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
DataApi = Literal["train_flag", "mode", "torchvision"]

# Checks that need the rubric's predictions file, and checks that look at one notebook (all the others but
# file_present, which looks at a notebook or a file, and manual).
PREDICTIONS_CHECKS = frozenset({"predictions_format", "holdout_accuracy", "predictions_agreement"})
NOTEBOOK_CHECKS = frozenset(CHECK_KINDS) - PREDICTIONS_CHECKS - {"file_present", "manual"}
_FILES = ("report", "predictions")

_STATIC_CAPABLE: tuple[Mode, ...] = ("static", "quick", "full")
_NEEDS_RUN: tuple[Mode, ...] = ("quick", "full")
# Where a check is automatic unless an item says otherwise. Accuracy thresholds are unreachable on the quick
# subset, so val_accuracy reads the stored outputs in static and quick mode (a claim, labelled as such) and
# the grader's own measurement in a full run; agreement needs full-data predictions.
DEFAULT_MODES: dict[str, tuple[Mode, ...]] = {
    "file_present": _STATIC_CAPABLE,
    "notebook_valid": _STATIC_CAPABLE,
    "notebook_executed": _STATIC_CAPABLE,
    "no_pretrained": _STATIC_CAPABLE,
    "runs": _NEEDS_RUN,
    "model_shape": _NEEDS_RUN,
    "model_params": _NEEDS_RUN,
    "resnet_structure": _NEEDS_RUN,
    "optimizer": _NEEDS_RUN,
    "criterion": _NEEDS_RUN,
    "augmentation": _NEEDS_RUN,
    "batchnorm": _NEEDS_RUN,
    "swish": _NEEDS_RUN,
    "val_accuracy": _STATIC_CAPABLE,
    "learns": _NEEDS_RUN,
    "predictions_format": _STATIC_CAPABLE,
    "holdout_accuracy": _STATIC_CAPABLE,
    "predictions_agreement": ("full",),
    "manual": (),
}

# Numeric parameters a check cannot do without; fractions are accuracies or agreement rates in [0, 1].
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "model_params": ("expected",),
    "val_accuracy": ("threshold",),
    "holdout_accuracy": ("threshold",),
    "predictions_agreement": ("min_agreement",),
}
_FRACTION_PARAMS = ("threshold", "min_agreement", "plausible_max")

_KEY = r"^[a-z][a-z0-9_]*$"
_ITEM_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Loc = tuple[str | int, ...]


class RubricProblems(ValueError):
    """Problems found across fields, each with the path of the field it concerns."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {message}" for loc, message in problems))
        self.problems = problems


class _Strict(BaseModel):
    """Unknown fields are errors, so a misspelt ``pionts:`` is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NotebookSpec(_Strict):
    key: str = Field(pattern=_KEY)
    filename: str
    lab: str
    model: ModelName | None = None

    @field_validator("filename")
    @classmethod
    def _plain_notebook_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or not value.endswith(".ipynb"):
            raise ValueError(f"{value!r} must be a bare file name ending in .ipynb")
        return value


class PredictionsSpec(_Strict):
    filename: str = "predictions.csv"
    headers: list[tuple[str, str]] = Field(min_length=1)
    rows: int = Field(default=10_000, gt=0)
    produced_by: str


class ReportSpec(_Strict):
    filename: str = Field(description="glob pattern, e.g. '*.pdf'")


class LimitOverrides(_Strict):
    cell_timeout_s: float | None = Field(default=None, gt=0)
    notebook_timeout_s: float | None = Field(default=None, gt=0)
    memory_mb: int | None = Field(default=None, gt=0)
    max_processes: int | None = Field(default=None, gt=0)
    max_file_mb: float | None = Field(default=None, gt=0)
    max_disk_mb: float | None = Field(default=None, gt=0)


class Limits(_Strict):
    """Resource limits for one grading mode."""

    cell_timeout_s: float = Field(gt=0)
    notebook_timeout_s: float = Field(gt=0)
    memory_mb: int = Field(gt=0)
    max_processes: int = Field(gt=0)
    max_file_mb: float = Field(gt=0)
    max_disk_mb: float = Field(default=2048, gt=0, description="all one notebook's run may write")


class LimitsSpec(Limits):
    """Defaults for every mode, with per-mode overrides where quick and full differ (time, memory)."""

    quick: LimitOverrides = LimitOverrides()
    full: LimitOverrides = LimitOverrides()

    def for_mode(self, mode: Mode) -> Limits:
        """Static mode executes nothing, so only the defaults (``max_file_mb`` above all) apply to it."""
        base = self.model_dump(exclude={"quick", "full"})
        if mode in ("quick", "full"):
            base.update(getattr(self, mode).model_dump(exclude_none=True))
        return Limits(**base)

    @model_validator(mode="after")
    def _cell_within_notebook(self) -> LimitsSpec:
        problems: list[tuple[Loc, str]] = []
        for mode in MODES:
            limits = self.for_mode(mode)
            if limits.cell_timeout_s > limits.notebook_timeout_s:
                problems.append(
                    (
                        (mode,) if mode != "static" else (),
                        f"cell_timeout_s {limits.cell_timeout_s:g} exceeds notebook_timeout_s "
                        f"{limits.notebook_timeout_s:g} in {mode} mode",
                    )
                )
        if problems:
            raise RubricProblems(problems)
        return self


class Subset(_Strict):
    """Images per split in quick mode (taken from the front of each split)."""

    train: int = Field(gt=0)
    val: int = Field(gt=0)
    test: int = Field(gt=0)


class QuickSpec(_Strict):
    """Quick mode: settings rewritten per notebook key (e.g. ``EPOCHS: 1``) and the data subset."""

    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    subset: Subset

    @field_validator("overrides")
    @classmethod
    def _literal_settings(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        problems: list[tuple[Loc, str]] = []
        for key, settings in value.items():
            for name, setting in settings.items():
                if not _IDENTIFIER.fullmatch(name):
                    problems.append(((key, name), "not a Python variable name"))
                elif isinstance(setting, bool) or not isinstance(setting, int | float | str):
                    problems.append(
                        ((key, name), f"{setting!r} must be a number or a string (it replaces a literal)")
                    )
        if problems:
            raise RubricProblems(problems)
        return value


class Partial(_Strict):
    """Linear credit from ``min_fraction`` at ``floor`` up to 1 at the item's ``params.threshold``."""

    floor: float
    min_fraction: float = Field(default=0.0, ge=0.0, le=1.0)


class Item(_Strict):
    id: str = Field(pattern=_ITEM_ID)
    title: str
    points: float = Field(ge=0)
    bonus: bool = False
    check: CheckKind
    notebook: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    partial: Partial | None = None
    answer_key: str | None = None
    modes: tuple[Mode, ...] | None = None

    @property
    def automatic_modes(self) -> tuple[Mode, ...]:
        """Modes in which the check runs automatically; in the others the item is skipped with a note."""
        return self.modes if self.modes is not None else DEFAULT_MODES[self.check]

    def automatic_in(self, mode: Mode) -> bool:
        return self.check != "manual" and mode in self.automatic_modes

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        problems: list[tuple[Loc, str]] = []
        if self.check == "manual":
            if not (self.answer_key or "").strip():
                problems.append((("answer_key",), "a manual item needs an answer key for the TAs"))
            if self.modes:
                problems.append((("modes",), "a manual item is never automatic; remove modes"))
            if self.partial is not None:
                problems.append((("partial",), "a manual item gets no automatic partial credit"))
        for name in REQUIRED_PARAMS.get(self.check, ()):
            if name not in self.params:
                problems.append((("params",), f"check {self.check} needs params.{name}"))
        for name, value in self.params.items():
            if name in REQUIRED_PARAMS.get(self.check, ()) and not _is_number(value):
                problems.append(
                    (("params", name), f"{value!r} is not a number (in YAML write 0.0001, not 1e-4)")
                )
            elif name in _FRACTION_PARAMS and _is_number(value) and not 0 < value <= 1:
                problems.append((("params", name), f"{value!r} must be a fraction in (0, 1], e.g. 0.63"))
        if self.partial is not None:
            threshold = self.params.get("threshold")
            if not _is_number(threshold):
                problems.append((("partial",), "partial credit needs a numeric params.threshold"))
            elif not self.partial.floor < threshold:
                problems.append(
                    (
                        ("partial", "floor"),
                        f"floor {self.partial.floor:g} must be below threshold {threshold:g}",
                    )
                )
        if problems:
            raise RubricProblems(problems)
        return self


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class IntegritySpec(_Strict):
    """How far what a run shows may stray before the grader distrusts it; each breach is a finding."""

    claim_tolerance: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="how far a validation accuracy printed during the grader's run may be from the measured",
    )
    max_val_test_gap: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="validation accuracy this far above held-out accuracy is memorisation, not learning",
    )


class Rubric(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    course: str
    term: str
    data_api: DataApi
    total_points: float = Field(gt=0, description="non-bonus points, as documented in the handout")
    bonus_points: float = Field(default=0.0, ge=0)
    cap: float = Field(gt=0, description="the most a submission can score, bonus included")
    format_deduction: float = Field(ge=0, lt=1, description="fraction of the earned total lost to bad layout")
    notebooks: list[NotebookSpec] = Field(min_length=1)
    predictions: PredictionsSpec | None
    report: ReportSpec | None
    limits: LimitsSpec
    quick: QuickSpec
    integrity: IntegritySpec = IntegritySpec()
    items: list[Item] = Field(min_length=1)

    def notebook(self, key: str) -> NotebookSpec:
        return next(spec for spec in self.notebooks if spec.key == key)

    def item(self, item_id: str) -> Item:
        return next(item for item in self.items if item.id == item_id)

    def limits_for(self, mode: Mode) -> Limits:
        return self.limits.for_mode(mode)

    @model_validator(mode="after")
    def _cross_references(self) -> Rubric:
        problems: list[tuple[Loc, str]] = []
        keys = [spec.key for spec in self.notebooks]
        known = ", ".join(keys)
        problems += _duplicates(keys, "notebooks", "key")
        problems += _duplicates([spec.filename for spec in self.notebooks], "notebooks", "filename")
        problems += _duplicates([item.id for item in self.items], "items", "id")
        if self.predictions is not None and self.predictions.produced_by not in keys:
            problems.append(
                (
                    ("predictions", "produced_by"),
                    f"{self.predictions.produced_by!r} is not a notebook key; the keys are {known}",
                )
            )
        for key in self.quick.overrides:
            if key not in keys:
                problems.append(
                    (("quick", "overrides", key), f"{key!r} is not a notebook key; the keys are {known}")
                )
        for index, item in enumerate(self.items):
            problems += [
                (("items", index, *loc), message) for loc, message in self._item_problems(item, keys)
            ]
        problems += self._totals()
        if problems:
            raise RubricProblems(problems)
        return self

    def _item_problems(self, item: Item, keys: list[str]) -> list[tuple[Loc, str]]:
        known = ", ".join(keys)
        if item.notebook is not None and item.notebook not in keys:
            return [(("notebook",), f"{item.notebook!r} is not a notebook key; the keys are {known}")]
        if item.check in NOTEBOOK_CHECKS and item.notebook is None:
            return [(("notebook",), f"check {item.check} needs a notebook (one of {known})")]
        if item.check in PREDICTIONS_CHECKS and self.predictions is None:
            return [(("check",), f"check {item.check} needs the rubric's predictions section")]
        if item.check == "file_present" and item.notebook is None:
            target = item.params.get("file")
            if target not in _FILES:
                return [
                    (
                        ("params", "file"),
                        "file_present needs a notebook or params.file: report or predictions",
                    )
                ]
            if getattr(self, target) is None:
                return [(("params", "file"), f"the rubric has no {target} section")]
        return []

    def _totals(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        regular = sum(item.points for item in self.items if not item.bonus)
        bonus = sum(item.points for item in self.items if item.bonus)
        if not math.isclose(regular, self.total_points, abs_tol=1e-9):
            problems.append(
                (
                    ("total_points",),
                    f"{self.total_points:g}, but the non-bonus items add up to {regular:g}",
                )
            )
        if not math.isclose(bonus, self.bonus_points, abs_tol=1e-9):
            problems.append(
                (
                    ("bonus_points",),
                    f"{self.bonus_points:g}, but the bonus items add up to {bonus:g}",
                )
            )
        return problems


def _duplicates(values: list[str], section: str, field: str) -> list[tuple[Loc, str]]:
    first: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for index, value in enumerate(values):
        if value in first:
            problems.append(
                ((section, index, field), f"{value!r} is used twice ({section}[{first[value]}] has it too)")
            )
        else:
            first[value] = index
    return problems
