"""A long-lived grading process of a batch: one submission at a time, asked for as a JSON line on stdin and
answered as a JSON line on the pipe that was its stdout.

A process of its own per worker means a crash, a kill by the out-of-memory killer or a hang costs the one
submission it was grading: the batch sees the pipe close, records that submission as an error and starts a
new worker. Everything the pipeline or PyTorch prints goes to stderr (the worker's log), so it can never be
mistaken for an answer.

    python -m grader.batch.worker MODULE:FUNCTION

FUNCTION is called as ``FUNCTION(src: Path, options: GradeOptions)`` and returns a ``Result``.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.pipeline import GradeOptions
from grader.records import Result

DEFAULT_GRADE_FN = "grader.pipeline:grade_submission"
_PATH_OPTIONS = frozenset({"out_dir", "data_dir", "cache_dir"})
_PR_SET_PDEATHSIG = 1
_TRACEBACK_CHARS = 4000


def options_to_json(options: GradeOptions) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in asdict(options).items()}


def options_from_json(data: dict[str, Any]) -> GradeOptions:
    known = {f.name for f in fields(GradeOptions)}
    return GradeOptions(
        **{
            key: Path(value) if key in _PATH_OPTIONS and value is not None else value
            for key, value in data.items()
            if key in known
        }
    )


def resolve_function(spec: str) -> Callable[[Path, GradeOptions], Result]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def grade_one(grade: Callable[[Path, GradeOptions], Result], task: dict[str, Any]) -> dict[str, Any]:
    """The answer for one task: ``graded`` with the score, ``failed`` (a GraderError: the input's fault, as
    explained) or ``error`` (a crash of the grader, with its traceback)."""
    started = time.perf_counter()
    try:
        result = grade(Path(task["src"]), options_from_json(task["options"]))
    except GraderError as exc:
        return {"status": "failed", "error": str(exc), "seconds": time.perf_counter() - started}
    except Exception as exc:  # any grader fault: this submission errs, the batch goes on
        return {
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-_TRACEBACK_CHARS:],
            "seconds": time.perf_counter() - started,
        }
    return {
        "status": "graded",
        "score": result.score,
        "max_score": result.max_score,
        "seconds": time.perf_counter() - started,
    }


def _die_with_parent(parent_pid: int) -> None:
    """Linux: be killed when the batch dies, even by SIGKILL, so no orphan keeps writing into OUT."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _die_with_parent(int(os.environ.get("GRADER_BATCH_PARENT_PID", os.getppid())))
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    grade = resolve_function(argv[0] if argv else DEFAULT_GRADE_FN)
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(grade_one(grade, json.loads(line))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
