"""The TAs' grades as a CSV for those who grade in a spreadsheet: one row per submission and gradable item.

Export lists every item a TA grades (manual ones and the checks left inconclusive) of every result, with
the stored grade where there is one. Import checks every row against the results before it writes any: a
row naming no result, an item that is not graded by hand, points that are not a number or lie outside 0 to
the item's maximum are each reported with the spreadsheet row and the field, and nothing is written. A row
whose points are empty is left as it is, and one that equals the stored grade is not written again, so
importing an export unchanged changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from grader.errors import GraderError
from grader.manual.store import GradeEntry, ManualStore, StoredGrade
from grader.manual.validate import InvalidGrade, gradable_checks, grade_entry
from grader.records import Result
from grader.report import load_batch
from grader.report.gradebook import FORMULA_STARTS, spreadsheet_cell

COLUMNS = ("submission_id", "item_id", "title", "max_points", "status", "points", "comment", "grader")
REQUIRED = ("submission_id", "item_id", "points")
MAX_REPORTED = 20  # errors listed before "and N more"


@dataclass(frozen=True)
class Imported:
    written: int
    unchanged: int
    empty: int


def export_csv(out_dir: Path, csv_path: Path) -> int:
    """Write CSV_PATH from OUT_DIR's results and grade store; the number of rows."""
    store = ManualStore(out_dir)
    stored = {(g.submission_id, g.item_id): g for g in store.grades()}
    rows = []
    for _, result in load_batch(out_dir).results:
        for check in gradable_checks(result):
            grade = stored.get((result.submission_id, check.id))
            status = "ungraded"
            if grade is not None:
                status = "stale" if grade.stale_for(result.input_sha256) else "graded"
            rows.append(
                {
                    "submission_id": spreadsheet_cell(result.submission_id),
                    "item_id": check.id,
                    "title": spreadsheet_cell(check.title),
                    "max_points": f"{check.max_points:g}",
                    "status": status,
                    "points": f"{grade.points:g}" if grade is not None else "",
                    "comment": spreadsheet_cell(grade.comment) if grade is not None else "",
                    "grader": spreadsheet_cell(grade.grader) if grade is not None else "",
                }
            )
    pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(csv_path, index=False, quoting=csv.QUOTE_MINIMAL)
    return len(rows)


def import_csv(out_dir: Path, csv_path: Path, *, grader: str) -> Imported:
    """Check every row of CSV_PATH, then write them in one transaction; GraderError listing every bad row
    (by its spreadsheet row number, the header being row 1) when any is bad, with nothing written."""
    table = _read(csv_path)
    results = {result.submission_id: result for _, result in load_batch(out_dir).results}
    store = ManualStore(out_dir)
    stored = {(g.submission_id, g.item_id): g for g in store.grades()}
    entries: list[GradeEntry] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    unchanged = empty = 0
    for index, row in enumerate(table.to_dict("records")):
        number = index + 2
        sid, item_id = _uncell(row["submission_id"]).strip(), row["item_id"].strip()
        result = results.get(sid)
        if result is None:
            errors.append(f"row {number}, submission_id: no result in {out_dir} has the id {sid!r}")
            continue
        if (sid, item_id) in seen:
            errors.append(f"row {number}: {sid} {item_id} is already on row {seen[sid, item_id]}")
            continue
        seen[sid, item_id] = number
        if not row["points"].strip():
            empty += 1
            continue
        comment = _uncell(row.get("comment", "")).strip()
        try:
            entry = grade_entry(result, item_id, row["points"], comment=comment, grader=grader)
        except InvalidGrade as exc:
            errors.append(f"row {number}, {exc.field}: {exc}")
            continue
        before = stored.get((sid, item_id))
        if before is not None and _same(before, entry, result):
            unchanged += 1
            continue
        entries.append(entry)
    if errors:
        listed = errors[:MAX_REPORTED]
        more = f"\n  and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
        raise GraderError(
            f"{csv_path}: nothing imported, {len(errors)} row{'s' if len(errors) != 1 else ''} "
            "to fix:\n  " + "\n  ".join(listed) + more
        )
    store.put_many(entries)
    return Imported(written=len(entries), unchanged=unchanged, empty=empty)


def _read(csv_path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise GraderError(f"{csv_path} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise GraderError(f"{csv_path} is not a readable CSV file: {exc}") from None
    missing = [column for column in REQUIRED if column not in table.columns]
    if missing:
        raise GraderError(
            f"{csv_path}: the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the header of 'grader manual export' is {','.join(COLUMNS)})"
        )
    return table


def _same(before: StoredGrade, entry: GradeEntry, result: Result) -> bool:
    fresh = not before.stale_for(result.input_sha256)
    return fresh and (before.points, before.comment) == (entry.points, entry.comment)


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text
