"""One graded item of a rubric: its check, the check's params, partial credit and the modes it runs in.

What each check kind needs (its params, its default modes) comes from the catalogue; what an item needs from
the rest of the rubric (a notebook key, the predictions section) is checked by ``Rubric``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from grader.records import Mode

from .base import Loc, RubricProblems, Strict, is_number
from .catalogue import CATALOGUE, CHECK_KINDS

# The catalogue's names, spelt out for pydantic, which then lists them all when a rubric names another.
CheckKind = Literal[CHECK_KINDS]

# Fractions are accuracies or agreement rates in [0, 1].
_FRACTION_PARAMS = ("threshold", "min_agreement", "plausible_max")
_ITEM_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Partial(Strict):
    """Linear credit from ``min_fraction`` at ``floor`` up to 1 at the item's ``params.threshold``."""

    floor: float
    min_fraction: float = Field(default=0.0, ge=0.0, le=1.0)


class Item(Strict):
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
        return self.modes if self.modes is not None else CATALOGUE[self.check].modes

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
        required = CATALOGUE[self.check].required_params
        for name in required:
            if name not in self.params:
                problems.append((("params",), f"check {self.check} needs params.{name}"))
        for name, value in self.params.items():
            if name in required and not is_number(value):
                problems.append(
                    (("params", name), f"{value!r} is not a number (in YAML write 0.0001, not 1e-4)")
                )
            elif name in _FRACTION_PARAMS and is_number(value) and not 0 < value <= 1:
                problems.append((("params", name), f"{value!r} must be a fraction in (0, 1], e.g. 0.63"))
        if self.partial is not None:
            threshold = self.params.get("threshold")
            if not is_number(threshold):
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
