"""The rubric as validated data: which files a submission holds, how runs are limited, and the graded items.

A rubric names checks; the checks are code in the orchestrator. Validation here catches a broken rubric when
it is loaded (an unknown check, a notebook key that does not exist, points that do not add up to the
documented total) instead of halfway through grading a class.

Model names are listed here rather than imported from ``reference.models`` so that loading a rubric does not
import torch; a test keeps the two lists equal.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, PositiveInt, field_validator, model_validator

from grader.paths import REPOSITORY_ROOT
from grader.records import Mode

from .base import Loc, RubricProblems, Strict
from .catalogue import NOTEBOOK_CHECKS, PREDICTIONS_CHECKS
from .item import Item
from .limits import Limits, LimitsSpec

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

_FILES = ("report", "predictions")

_KEY = r"^[a-z][a-z0-9_]*$"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class NotebookSpec(Strict):
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


class PredictionsSpec(Strict):
    filename: str = "predictions.csv"
    headers: list[tuple[str, str]] = Field(min_length=1)
    rows: int = Field(default=10_000, gt=0)
    produced_by: str
    terms: tuple[str, ...] | None = Field(
        default=None,
        min_length=1,
        description=(
            "the course-data terms (`grader data build --term`) whose test set the predictions are for: "
            "another term's test images are in another order, so its labels cannot score them"
        ),
    )


class ReportSpec(Strict):
    filename: str = Field(description="glob pattern, e.g. '*.pdf'")


class Subset(Strict):
    """Images per split in quick mode (taken from the front of each split)."""

    train: int = Field(gt=0)
    val: int = Field(gt=0)
    test: int = Field(gt=0)


class QuickSpec(Strict):
    """Quick mode: the data subset, settings rewritten per notebook key (e.g. ``EPOCHS: 1``) where the
    notebook's own epochs do not fit its budget, and how far sweeps are cut."""

    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    subset: Subset
    epochs_setting: str = Field(default="EPOCHS", description="the setting that holds the number of epochs")
    budget: dict[str, PositiveInt] = Field(
        default_factory=dict,
        description=(
            "training images x epochs a notebook may run in quick mode (per notebook key): within it the "
            "notebook keeps its own epochs on fewer training images, beyond it the overrides apply"
        ),
    )
    min_train: int = Field(default=500, gt=0, description="the fewest training images a budgeted run gets")
    sweep_keep: int = Field(default=1, gt=0, description="members of each sweep's list a quick run keeps")

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


class IntegritySpec(Strict):
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


class BandSpec(Strict):
    """How wide the seed noise around the reference's accuracy at the audited epoch is taken to be."""

    seeds: int = Field(default=3, ge=2, description="reference runs `grader audit-band` measures by default")
    c: float = Field(default=3.0, gt=0, description="the band is c standard deviations of those runs")
    floor: float = Field(
        default=0.02, gt=0, le=1, description="the narrowest band, so that three close runs do not make one"
    )


class AuditSpec(Strict):
    """Audit mode: after how many printed epochs each notebook's run is stopped and its model measured."""

    epochs: dict[str, PositiveInt] = Field(
        default_factory=dict, description="epochs per notebook key, e.g. {lenet5: 3, resnet: 5}"
    )
    share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="for a notebook not in `epochs`: this share of its claimed epochs (at least 1)",
    )
    band: BandSpec = BandSpec()

    def epochs_for(self, key: str, claimed_epochs: int) -> int | None:
        """The epoch to audit a notebook at, never past its claimed curve; None when the rubric sets none."""
        if key in self.epochs:
            wanted = self.epochs[key]
        elif self.share is not None:
            wanted = max(1, math.ceil(self.share * claimed_epochs))
        else:
            return None
        return min(wanted, claimed_epochs) if claimed_epochs > 0 else wanted


# What `make setup` installs into the kernels' environment (pyproject.toml lists them; a test keeps the two in
# step): the packages real submissions import besides torch, torchvision, numpy and Pillow.
DEFAULT_PACKAGES = ("torchsummary", "torchinfo", "tqdm", "seaborn", "scikit-learn", "pandas", "matplotlib")
_DISTRIBUTION = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


class EnvironmentSpec(Strict):
    """The course environment: the packages (distribution names, as pip installs them) a student's notebook
    may import. An import of anything else stops a run for a reason that is not the student's mistake."""

    packages: tuple[str, ...] = Field(default=DEFAULT_PACKAGES)

    @field_validator("packages")
    @classmethod
    def _package_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        problems: list[tuple[Loc, str]] = [
            ((index,), f"{name!r} is not a package name as pip spells it (e.g. scikit-learn)")
            for index, name in enumerate(value)
            if not _DISTRIBUTION.fullmatch(name)
        ]
        if problems:
            raise RubricProblems(problems)
        return value


class Rubric(Strict):
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
    audit: AuditSpec = AuditSpec()
    environment: EnvironmentSpec = EnvironmentSpec()
    # The term's student template, a folder of notebooks (relative: to the grader's repository): the
    # boilerplate the similarity pass does not count. None: the F20 template derived from the reference.
    # The loader checks that it holds notebooks.
    template: str | None = Field(default=None, min_length=1)
    items: list[Item] = Field(min_length=1)

    @property
    def template_dir(self) -> Path | None:
        return None if self.template is None else REPOSITORY_ROOT / self.template

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
        for key in [*self.quick.overrides, *self.quick.budget]:
            if key not in keys:
                problems.append(
                    (
                        ("quick", "overrides" if key in self.quick.overrides else "budget", key),
                        f"{key!r} is not a notebook key; the keys are {known}",
                    )
                )
        problems += [
            (("audit", "epochs", key), f"{key!r} is not a notebook key; the keys are {known}")
            for key in self.audit.epochs
            if key not in keys
        ]
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
