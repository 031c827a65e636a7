"""The worker pool: workers pinned to GPUs, and none outliving the batch that started it."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from grader.samples.synthetic_class import make_class
from tests.batch.helpers import FAULTS, quiet_batch, result_count, start_batch, wait_for_results
from tests.polling import poll_until


def live_processes_in_group(pgid: int) -> int:
    """Processes of the group that are not zombies (a zombie only waits to be reaped)."""
    live = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live += 1
    return live


def test_workers_are_pinned_round_robin_to_the_gpus(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox = tmp_path / "in"
    make_class(inbox, 2, rows=100)
    out = inbox / "results"
    # OUT inside the input is not taken for a submission
    summary = quiet_batch(inbox, out, gpus=["3", "5"], grade_fn="batch_faults:grade")
    assert (summary.total, summary.graded) == (2, 2)
    assert {(out / i / "gpu.txt").read_text() for i in ("student000", "student001")} == {"3", "5"}


@pytest.mark.slow
def test_workers_die_with_the_batch(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 32, rows=100)
    proc = start_batch(inbox, out, tmp_path / "batch.log")
    try:
        wait_for_results(out, 2, proc)
        os.kill(proc.pid, signal.SIGKILL)  # the batch process alone, not its workers
        proc.wait()
        count = result_count(out)
        poll_until(lambda: live_processes_in_group(proc.pid) == 0, what="every worker gone with the batch")
        # nothing was written after the batch died, and nothing is left that could write
        assert result_count(out) == count < 32
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
