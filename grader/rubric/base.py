"""What every part of the rubric schema shares: strict models, problems located by field, the modes.

Cross-field problems are raised as ``RubricProblems`` carrying the field path of each problem, so that the
loader can point at the YAML line.
"""

from __future__ import annotations

import math
from typing import get_args

from pydantic import BaseModel, ConfigDict

from grader.records import Mode

MODES: tuple[Mode, ...] = get_args(Mode)

Loc = tuple[str | int, ...]


class RubricProblems(ValueError):
    """Problems found across fields, each with the path of the field it concerns."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {message}" for loc, message in problems))
        self.problems = problems


class Strict(BaseModel):
    """Unknown fields are errors, so a misspelt ``pionts:`` is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
