"""What a predictions file is: the header, then one ``id,label`` row per test image, ids 0..N-1 in order.

The homework notebooks, the reference solution and the sample file write this format; the grader reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

HEADER: tuple[str, str] = ("Id", "Label")
# The F19 handout's sample file says Category; a file with either header is read.
ACCEPTED_HEADERS: tuple[tuple[str, str], ...] = (HEADER, ("Id", "Category"))
DEFAULT_ROWS = 10_000


def header_line(header: tuple[str, str] = HEADER) -> str:
    return ",".join(header)


def predictions_text(labels: Iterable[int]) -> str:
    """The whole file for LABELS (the class of test image i at position i), with "\\n" line endings."""
    rows = "".join(f"{image_id},{int(label)}\n" for image_id, label in enumerate(labels))
    return header_line() + "\n" + rows


def write_predictions(labels: Iterable[int], path: Path) -> Path:
    path.write_text(predictions_text(labels), encoding="utf-8", newline="")
    return path
