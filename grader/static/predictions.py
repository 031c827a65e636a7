"""The grader's reading of a student's ``predictions.csv``: the course format's strict reader
(``tools.predictions``), with a file it refuses reported as the input's fault, a ``GraderError``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from grader.errors import GraderError
from tools import predictions as course_format
from tools.predictions import Predictions

__all__ = ["Predictions", "PredictionsError", "course_sample", "read_predictions"]

# SHA-256 (line ends read as LF) of the sample files courses hand out with the homework: a student who submits
# one unchanged has not submitted predictions. ECE661 F21+ `sample_predictions.csv` (Id,Label, 9,357 of
# 10,000 labels are 7) and ECE590 F19 `sample_labels.csv` (Id,Category, labels 0..9 in turn). The shipped
# template's own sample.csv (every label 0) is recognised as well.
KNOWN_SAMPLES = {
    "3dc174dad8217e4867294645d76c69c57f12993c9c6486e58a308a69bf6f6465": "ECE661's sample_predictions.csv",
    "8e65bae1b9d9cb9e82c4ae65575c98cc75bdc529123af4193fa3ecca94a0ea17": "ECE590 F19's sample_labels.csv",
}


class PredictionsError(GraderError):
    """``predictions.csv`` cannot be scored; the message names the file, the line and what was expected."""


def read_predictions(
    path: Path,
    headers: Sequence[tuple[str, str]] = course_format.ACCEPTED_HEADERS,
    expected_rows: int = course_format.DEFAULT_ROWS,
) -> Predictions:
    """The labels in PATH by Id; ``PredictionsError`` with the reader's message, word for word, if refused."""
    try:
        return course_format.read_predictions(path, headers, expected_rows)
    except course_format.PredictionsError as exc:
        raise PredictionsError(str(exc)) from None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def course_sample(path: Path) -> str | None:
    """Which course sample file PATH is a copy of, or None when it is not one."""
    digest = _digest(path.read_bytes())
    if digest in KNOWN_SAMPLES:
        return KNOWN_SAMPLES[digest]
    if digest == _digest(course_format.predictions_text([0] * course_format.DEFAULT_ROWS).encode()):
        return "the course template's sample.csv"
    return None
