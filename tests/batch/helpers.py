"""What the batch tests share: static options, a quiet batch, the results on disk, a batch in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.batch import BatchSummary, grade_batch
from grader.pipeline import GradeOptions
from tests.polling import poll_until

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


def start_batch(inbox: Path, out: Path, log: Path) -> subprocess.Popen:
    """``grader batch`` in a process group of its own, so a test can kill it with its workers."""
    command = [sys.executable, "-m", "grader", "batch", str(inbox), "--rubric", RUBRIC, "--out", str(out)]
    command += ["--workers", "2", "--quiet"]
    with open(log, "w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def result_count(out: Path) -> int:
    return len(list(out.glob("*/result.json")))


def wait_for_results(out: Path, count: int, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    def enough() -> bool:
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        return result_count(out) >= count

    poll_until(enough, timeout_s=timeout_s, what=f"{count} results written")
