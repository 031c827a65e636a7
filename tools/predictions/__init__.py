"""The course's ``predictions.csv``: its format, a writer, the strict reader the grader uses, and scoring.

Defined here once, in the course's own package, so that the notebooks, the reference solution and the
grader agree on the format without any of them importing another.
"""

from .format import ACCEPTED_HEADERS, DEFAULT_ROWS, HEADER, header_line, predictions_text, write_predictions
from .problems import PredictionsError
from .read import Predictions, read_predictions
from .score import accuracy, agreement
from .text import MAX_BYTES

__all__ = [
    "ACCEPTED_HEADERS",
    "DEFAULT_ROWS",
    "HEADER",
    "MAX_BYTES",
    "Predictions",
    "PredictionsError",
    "accuracy",
    "agreement",
    "header_line",
    "predictions_text",
    "read_predictions",
    "write_predictions",
]
