"""What makes a batch resumable: one batch at a time per OUT, and a finished result is not graded again.

A submission whose ``OUT/<id>/result.json`` is readable and has the same content hash, rubric and mode is
skipped. Results are written atomically, so a batch killed at any moment and started again grades only what
was unfinished. Error results written by the batch (a ``batch-error`` finding) are retried on the next run.
The lock is an ``flock``: a batch needs a POSIX system, and says so where there is no ``fcntl`` (Windows).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from grader.batch.layouts import Submission
from grader.errors import GraderError
from grader.execute.host import fcntl
from grader.records import Mode, Result, read_result

BATCH_DIR = ".batch"
# The finding kind of a result the batch wrote for a submission it could not grade.
BATCH_ERROR = "batch-error"


@contextmanager
def exclusive(work: Path) -> Iterator[IO[str]]:
    """Hold ``WORK/lock``, so a second batch cannot write into the same OUT at the same time."""
    with _lock(work, "LOCK_EX") as handle:
        yield handle


@contextmanager
def shared(work: Path) -> Iterator[IO[str]]:
    """Hold ``WORK/lock`` together with the other tasks of one batch spread over machines: a batch of its
    own (``exclusive``) is refused while any of them holds it."""
    with _lock(work, "LOCK_SH") as handle:
        yield handle


@contextmanager
def _lock(work: Path, kind: str) -> Iterator[IO[str]]:
    if fcntl is None:
        raise GraderError("batch grading needs file locks (fcntl), which this system lacks: run it on Linux")
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "lock", "w") as handle:
        try:
            fcntl.flock(handle, getattr(fcntl, kind) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GraderError(f"another batch is grading into {work.parent}; wait for it to end") from None
        yield handle


def overlaps(sub: Submission, out_dir: Path) -> bool:
    """True for the output folder itself when OUT lies inside the input (``grader batch . --out out``)."""
    path, out = sub.path.resolve(), out_dir.resolve()
    return path == out or out.is_relative_to(path) or path.is_relative_to(out)


def finished_result(path: Path, sha256: str, rubric: str, mode: Mode) -> Result | None:
    """The existing result when it is for this content, rubric and mode and was not a batch error."""
    try:
        result = read_result(path)
    except (OSError, ValueError):
        return None
    same = result.input_sha256 == sha256 and result.rubric == rubric and result.mode == mode
    return result if same and not any(f.kind == BATCH_ERROR for f in result.findings) else None
