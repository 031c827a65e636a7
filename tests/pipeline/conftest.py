"""A rubric sized for the small synthetic course data of the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rubrics import tuned_f20_rubric


@pytest.fixture(scope="session")
def small_rubric(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The F20 rubric with a quick-mode subset that fits the small synthetic data."""
    subset = {"train": 400, "val": 100, "test": 100}
    return tuned_f20_rubric(tmp_path_factory.mktemp("rubric") / "f20-small.yaml", subset)
