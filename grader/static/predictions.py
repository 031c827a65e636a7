"""The grader's reading of a student's ``predictions.csv``: the course format's strict reader
(``tools.predictions``), with a file it refuses reported as the input's fault, a ``GraderError``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.errors import GraderError
from tools import predictions as course_format
from tools.predictions import Predictions

__all__ = ["Predictions", "PredictionsError", "read_predictions"]


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
