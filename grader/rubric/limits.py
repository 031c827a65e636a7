"""Resource limits of a notebook run, as a rubric sets them: defaults with per-mode overrides."""

from __future__ import annotations

from pydantic import Field, model_validator

from grader.records import Mode

from .base import MODES, Loc, RubricProblems, Strict


class LimitOverrides(Strict):
    cell_timeout_s: float | None = Field(default=None, gt=0)
    notebook_timeout_s: float | None = Field(default=None, gt=0)
    memory_mb: int | None = Field(default=None, gt=0)
    max_processes: int | None = Field(default=None, gt=0)
    max_file_mb: float | None = Field(default=None, gt=0)
    max_disk_mb: float | None = Field(default=None, gt=0)


class Limits(Strict):
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
        """Static mode executes nothing, so only the defaults (``max_file_mb`` above all) apply to it; audit
        mode runs notebooks as submitted, as full mode does, until it stops them."""
        base = self.model_dump(exclude={"quick", "full"})
        if mode in ("quick", "full", "audit"):
            overrides = self.quick if mode == "quick" else self.full
            base.update(overrides.model_dump(exclude_none=True))
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
