"""``OUT/gradebook.csv``: one row per submission, ready to merge into an LMS gradebook.

Items that still await a TA are left empty rather than 0, so a TA can tell "not graded yet" from "graded: no
points"; once a TA graded one, its cell holds the TA's points.
Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) get a leading
apostrophe: submission ids come from student file names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grader.records import Result, write_json_atomically
from grader.report.collect import Batch, load_batch
from grader.rubric.model import Rubric

GRADEBOOK_FILE = "gradebook.csv"
FIXED_COLUMNS = ("submission_id", "total", "max_score", "bonus", "deductions")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_gradebook(out_dir: Path, rubric: Rubric, batch: Batch | None = None) -> Path:
    """Write ``OUT_DIR/gradebook.csv`` from every readable result (BATCH, when the caller has just read
    them); return its path."""
    out_dir = Path(out_dir)
    results = [result for _, result in (batch if batch is not None else load_batch(out_dir)).results]
    frame = gradebook_frame(results, rubric)
    path = out_dir / GRADEBOOK_FILE
    write_json_atomically(path, frame.to_csv(index=False, lineterminator="\n"))
    return path


def gradebook_frame(results: list[Result], rubric: Rubric) -> pd.DataFrame:
    """The fixed columns, then one per rubric item in rubric order (points; empty where a TA has yet to
    grade it)."""
    item_ids = [item.id for item in rubric.items]
    rows = []
    for result in sorted(results, key=lambda r: r.submission_id):
        row: dict[str, object] = {
            "submission_id": spreadsheet_cell(result.submission_id),
            "total": result.score,
            "max_score": result.max_score,
            "bonus": result.bonus,
            "deductions": spreadsheet_cell("; ".join(result.deductions)),
        }
        points = {check.id: None if check.awaits_ta else check.points for check in result.checks}
        row.update({item_id: points.get(item_id) for item_id in item_ids})
        rows.append(row)
    columns = list(FIXED_COLUMNS) + item_ids
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({item_id: "Float64" for item_id in item_ids})


def spreadsheet_cell(text: str) -> str:
    """TEXT safe to open in a spreadsheet: a leading formula character is quoted with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
