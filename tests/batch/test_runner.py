"""Batch grading: one bad submission never stops the class, and options that fail everyone fail at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.batch.resume import BATCH_ERROR
from grader.errors import GraderError
from grader.pipeline import GradeOptions, grade_submission
from grader.records import read_result
from grader.samples.synthetic_class import make_class
from tests.batch.helpers import FAULTS, RUBRIC, static_options


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


@pytest.mark.parametrize(
    ("mode", "data", "message"),
    [
        ("quick", None, "--data is required in quick mode"),
        ("static", "absent", "the course data folder .*absent does not exist"),
    ],
)
def test_options_that_fail_every_submission_fail_the_batch_and_the_pipeline_alike(
    tmp_path: Path, mode: str, data: str | None, message: str
) -> None:
    (zipped,) = make_class(tmp_path / "in", 1, rows=100)
    options = GradeOptions(
        rubric=RUBRIC, out_dir=tmp_path / "out", mode=mode, data_dir=tmp_path / data if data else None
    )
    with pytest.raises(GraderError, match=message):
        grade_batch(tmp_path / "in", options, progress=False)
    assert not (tmp_path / "out").exists()  # refused before any worker started
    with pytest.raises(GraderError, match=message):
        grade_submission(zipped, options)
