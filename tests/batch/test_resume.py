"""Resuming: a second run skips what is graded, and a killed batch restarts and grades only the unfinished."""

from __future__ import annotations

import os
import signal
import zipfile
from pathlib import Path

import pytest

from grader.batch import BatchSummary, grade_batch
from grader.batch.resume import BATCH_ERROR, exclusive, finished_result
from grader.batch.runner import error_result
from grader.batch.summary import SUMMARY_FILE
from grader.errors import GraderError
from grader.records import read_result, write_result
from grader.rubric import load_rubric, resolve_rubric
from grader.samples.synthetic_class import make_class
from tests.batch.helpers import RUBRIC, quiet_batch, results, start_batch, static_options, wait_for_results


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


def test_a_result_counts_as_finished_only_for_the_same_content_rubric_and_mode(tmp_path: Path) -> None:
    rubric = load_rubric(resolve_rubric(RUBRIC))
    path = tmp_path / "alice" / "result.json"
    assert finished_result(path, "abc", rubric.name, "static") is None  # nothing there yet
    result = error_result(rubric, "static", "alice", "abc", "the worker died")
    assert any(f.kind == BATCH_ERROR for f in result.findings)
    write_result(result, path)
    assert finished_result(path, "abc", rubric.name, "static") is None  # a batch error is retried
    write_result(result.model_copy(update={"findings": []}), path)
    assert finished_result(path, "abc", rubric.name, "static") is not None
    assert finished_result(path, "abd", rubric.name, "static") is None
    assert finished_result(path, "abc", "another-rubric", "static") is None
    assert finished_result(path, "abc", rubric.name, "quick") is None


def test_a_second_batch_into_the_same_out_is_refused(tmp_path: Path) -> None:
    with (
        exclusive(tmp_path / "out" / ".batch"),
        pytest.raises(GraderError, match="another batch is grading into"),
    ):
        quiet_batch(tmp_path / "in", tmp_path / "out")


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
