"""Read a ``predictions.csv`` strictly, with messages a student can act on.

The file is parsed by hand rather than with pandas so that every problem can name its physical line (the
header is line 1) and say what was expected. Harmless deviations (CRLF, a UTF-8 BOM, blank lines, spaces
around cells, rows out of order, header case) are accepted and recorded in ``Predictions.notes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tools.layout import NUM_CLASSES

from .format import ACCEPTED_HEADERS, DEFAULT_ROWS
from .problems import PredictionsError
from .rows import parse_header, parse_rows
from .text import MAX_BYTES, read_bounded, text_lines


@dataclass(frozen=True)
class Predictions:
    """Labels indexed by Id (``labels[i]`` is the class predicted for test image ``i``)."""

    labels: np.ndarray
    header: tuple[str, str]
    notes: list[str] = field(default_factory=list)


def read_predictions(
    path: Path,
    headers: Sequence[tuple[str, str]] = ACCEPTED_HEADERS,
    expected_rows: int = DEFAULT_ROWS,
    *,
    num_classes: int = NUM_CLASSES,
    max_bytes: int = MAX_BYTES,
) -> Predictions:
    """Parse and validate a predictions file; raise ``PredictionsError`` listing every problem found."""
    if expected_rows < 1 or not headers:
        raise ValueError(
            f"need accepted headers and a positive expected_rows, got {headers!r}, {expected_rows}"
        )
    name = path.name
    notes: list[str] = []
    lines = text_lines(read_bounded(path, max_bytes), name, notes)
    content = [(number, text) for number, text in lines if text.strip()]
    blank = [number for number, text in lines if not text.strip()]
    if not content:
        raise PredictionsError(
            f"{name} is empty; expected the header line '{','.join(headers[0])}' "
            f"followed by {expected_rows:,} rows 'id,label'"
        )
    if blank:
        notes.append(f"{len(blank):,} blank line(s) ignored (first: line {blank[0]})")
    header_line, header_text = content[0]
    header = parse_header(header_line, header_text, name, headers, notes)
    rows = content[1:]
    if not rows:
        raise PredictionsError(
            f"{name} has the header '{','.join(header)}' but no data rows; expected {expected_rows:,} rows"
        )
    labels = parse_rows(rows, name, header, expected_rows, num_classes, notes)
    return Predictions(labels=labels, header=header, notes=notes)
