"""Fixtures of the execution tests: a work dir per test, the record of a run in it, and a skip when the
sandbox cannot run here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.execute.channels import Channel
from grader.execute.report import RunRecord
from grader.execute.sandbox import sandbox_unavailable_reason
from tests.execute.helpers import make_spec

NONCE = "0123456789abcdef" * 2


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


@pytest.fixture
def make_record(work_dir: Path) -> Iterator[Callable[..., RunRecord]]:
    """Records of runs in ``work_dir`` that never started, artifacts beside it; their pipes close after."""
    made: list[RunRecord] = []

    def make(data_dir: Path | None = None, *, sandboxed: bool = True) -> RunRecord:
        artifacts = work_dir.with_name(work_dir.name + ".grader")
        channels = Channel(1 << 20), Channel(1 << 24)
        spec = make_spec(work_dir, data_dir)
        made.append(
            RunRecord(work_dir / "student.ipynb", spec, sandboxed, work_dir, artifacts, *channels, NONCE)
        )
        return made[-1]

    yield make
    for run in made:
        run.events.collect(0)
        run.reports.collect(0)
