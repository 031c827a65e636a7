"""gradebook.csv: one row per submission, fixed columns, one column per rubric item, manual cells empty."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from grader.report import write_gradebook
from grader.report.gradebook import FIXED_COLUMNS
from tests.report.helpers import F20, class_results, make_result, write_batch


def test_columns_rows_and_values(tmp_path: Path) -> None:
    results = class_results()
    out = write_batch(tmp_path / "out", *reversed(results))
    path = write_gradebook(out, F20)
    assert path == out / "gradebook.csv"
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(FIXED_COLUMNS) + [item.id for item in F20.items]
    assert list(frame["submission_id"]) == sorted(r.submission_id for r in results)
    bob = frame.set_index("submission_id").loc["bob"]
    source = next(r for r in results if r.submission_id == "bob")
    assert float(bob["total"]) == source.score and float(bob["max_score"]) == 100
    assert bob["deductions"].startswith("format: -6.6 points")
    assert float(bob["lab1.f.params"]) == 1 and float(bob["lab1.f.accuracy"]) == 0
    manual = [item.id for item in F20.items if item.check == "manual"]
    assert all(bob[item_id] == "" for item_id in manual)  # for TAs to fill in, not 0
    automatic = [item.id for item in F20.items if item.check != "manual"]
    assert sum(float(bob[item_id]) for item_id in automatic) == sum(c.points for c in source.checks)


def test_formula_like_ids_cannot_run_in_a_spreadsheet(tmp_path: Path) -> None:
    out = write_batch(tmp_path / "out", make_result("=HYPERLINK(1)"), make_result("plain"))
    with (write_gradebook(out, F20)).open(newline="") as handle:
        ids = [row["submission_id"] for row in csv.DictReader(handle)]
    assert ids == ["'=HYPERLINK(1)", "plain"]


def test_an_empty_folder_gives_a_header_only(tmp_path: Path) -> None:
    lines = write_gradebook(tmp_path, F20).read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("submission_id,total,max_score,bonus,deductions,tf.1.1,")
