"""Fixtures of the execution tests: a work dir per test, and a skip when the sandbox cannot run here."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute.sandbox import sandbox_unavailable_reason


@pytest.fixture
def needs_sandbox() -> None:
    reason = sandbox_unavailable_reason()
    if reason is not None:
        pytest.skip(f"the sandbox cannot run here: {reason}")


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return work
