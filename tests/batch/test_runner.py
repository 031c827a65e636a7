"""Batch grading: resumable, one bad submission never stops the class, and a killed batch restarts cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.batch import BatchSummary, grade_batch
from grader.batch.runner import BATCH_ERROR, SUMMARY_FILE
from grader.pipeline import GradeOptions
from grader.records import read_result
from grader.samples.synthetic_class import make_class

RUBRIC = "ece590-hw2-f20"
FAULTS = Path(__file__).resolve().parent  # holds batch_faults.py, imported by the workers


def static_options(out: Path) -> GradeOptions:
    return GradeOptions(rubric=RUBRIC, out_dir=out, mode="static")


def quiet_batch(inbox: Path, out: Path, **kwargs) -> BatchSummary:
    """A static batch of 2 workers without the end-of-batch similarity pass and reports."""
    return grade_batch(
        inbox,
        static_options(out),
        workers=2,
        similarity_threshold=None,
        reports=False,
        progress=False,
        **kwargs,
    )


def results(out: Path) -> dict[str, dict]:
    """Every readable result.json under OUT, without its timings."""
    found = {}
    for path in sorted(out.glob("*/result.json")):
        data = json.loads(path.read_text())
        data.pop("timings")
        found[path.parent.name] = data
    return found


def test_a_second_run_skips_what_is_graded_and_regrades_what_changed(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 3, rows=100)
    first = quiet_batch(inbox, out)
    assert (first.total, first.graded, first.skipped, first.failed, first.errored) == (3, 3, 0, 0, 0)
    assert first.mean_score is not None and first.max_score == 100
    assert BatchSummary.model_validate_json((out / SUMMARY_FILE).read_text()) == first
    graded = results(out)

    again = quiet_batch(inbox, out)
    assert (again.graded, again.skipped) == (0, 3)
    assert results(out) == graded

    with zipfile.ZipFile(inbox / "student001.zip", "a") as archive:
        archive.writestr("notes.txt", "one more file")
    third = quiet_batch(inbox, out)
    assert {e.id: e.status for e in third.entries} == {
        "student000": "skipped",
        "student001": "graded",
        "student002": "skipped",
    }
    assert (
        read_result(out / "student001" / "result.json").input_sha256 != graded["student001"]["input_sha256"]
    )


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
def test_one_broken_submission_never_stops_the_batch(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox, out = tmp_path / "in", tmp_path / "out"
    (good,) = make_class(tmp_path / "one", 1, rows=100)
    for name in ("alice", "s-refused", "s-crash", "s-killed", "s-hangs"):
        (inbox / f"{name}.zip").parent.mkdir(exist_ok=True)
        (inbox / f"{name}.zip").write_bytes(good.read_bytes())
    (inbox / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    summary = grade_batch(
        inbox,
        static_options(out),
        workers=2,
        grade_fn="batch_faults:grade",
        submission_timeout_s=12,
        progress=False,
    )
    status = {e.id: e.status for e in summary.entries}
    assert status == {
        "alice": "graded",
        "corrupt": "graded",
        "s-crash": "error",
        "s-hangs": "error",
        "s-killed": "error",
        "s-refused": "failed",
    }
    assert (summary.graded, summary.failed, summary.errored) == (2, 1, 3)
    errors = {e.id: e.error for e in summary.entries}
    assert "RuntimeError: the grader broke on purpose" in errors["s-crash"]
    assert "killed by SIGKILL" in errors["s-killed"]
    assert "longer than 12 s" in errors["s-hangs"]
    assert "refused on purpose" in errors["s-refused"]
    # the rejected zip is graded, with the intake's reason
    corrupt = read_result(out / "corrupt" / "result.json")
    assert any(f.kind == "intake-rejected" for f in corrupt.findings)
    # every submission the batch could not grade has a result the gradebook can show
    for sub_id in ("s-crash", "s-hangs", "s-killed", "s-refused"):
        result = read_result(out / sub_id / "result.json")
        assert result.score == 0 and any(f.kind == BATCH_ERROR for f in result.findings)
        automatic = [c for c in result.checks if c.status != "manual"]
        assert automatic and all(c.status in ("error", "skipped") for c in automatic)
        assert any(c.status == "error" and errors[sub_id] in c.message for c in automatic)

    # errors are retried on the next run; what was graded is not
    rerun = grade_batch(inbox, static_options(out), workers=2, progress=False)
    assert {e.id: e.status for e in rerun.entries} == {
        "alice": "skipped",
        "corrupt": "skipped",
        "s-crash": "graded",
        "s-hangs": "graded",
        "s-killed": "graded",
        "s-refused": "graded",
    }


def start_batch(inbox: Path, out: Path, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "grader", "batch", str(inbox), "--rubric", RUBRIC, "--out", str(out)]
    command += ["--workers", "2", "--quiet"]
    with open(log, "w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_results(out: Path, count: int, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(list(out.glob("*/result.json"))) < count:
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "no results appeared"
        time.sleep(0.05)


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


@pytest.mark.slow
def test_a_killed_batch_restarts_and_grades_only_the_unfinished(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    make_class(inbox, 32, rows=100)
    reference = grade_batch(inbox, static_options(tmp_path / "uninterrupted"), workers=2, progress=False)
    assert reference.graded == 32

    out = tmp_path / "out"
    proc = start_batch(inbox, out, tmp_path / "batch.log")
    try:
        wait_for_results(out, 16, proc)  # halfway
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    finished = results(out)  # every result.json on disk is whole: none is half written
    assert 16 <= len(finished) < 32

    summary = grade_batch(inbox, static_options(out), workers=2, progress=False)
    assert (summary.skipped, summary.graded, summary.failed, summary.errored) == (
        len(finished),
        32 - len(finished),
        0,
        0,
    )
    assert results(out) == results(tmp_path / "uninterrupted")


@pytest.mark.slow
def test_workers_die_with_the_batch(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 32, rows=100)
    proc = start_batch(inbox, out, tmp_path / "batch.log")
    try:
        wait_for_results(out, 2, proc)
        os.kill(proc.pid, signal.SIGKILL)  # the batch process alone, not its workers
        proc.wait()
        time.sleep(1.0)
        assert live_processes_in_group(proc.pid) == 0
        count = len(list(out.glob("*/result.json")))
        time.sleep(1.0)
        assert len(list(out.glob("*/result.json"))) == count < 32
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
