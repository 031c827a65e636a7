"""The F20 rubric with its quick mode sized for the suite's small synthetic course data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grader.rubric import RUBRICS_DIR


def tuned_f20_rubric(
    path: Path,
    subset: dict[str, int],
    quick_limits: dict[str, Any] | None = None,
    lenet5_epochs: int | None = None,
) -> Path:
    """Write to PATH the F20 rubric with this quick SUBSET, and optionally quick limits and Lab 1 epochs."""
    data = yaml.safe_load((RUBRICS_DIR / "ece590-hw2-f20.yaml").read_text())
    data["quick"]["subset"] = subset
    if quick_limits is not None:
        data["limits"]["quick"] = quick_limits
    if lenet5_epochs is not None:
        data["quick"]["overrides"]["lenet5"]["EPOCHS"] = lenet5_epochs
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
