"""The header and the data rows of a predictions file: every problem found, each with its line.

Spaces around cells, header case and rows out of Id order are accepted and noted; everything else is a
problem, grouped by kind and explained with what was expected.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence

import numpy as np

from .problems import EXAMPLES, PredictionsError, Problems, show

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z _-]*")
_MISSING = frozenset({"", "nan", "none", "null", "na", "n/a"})


def _cells(text: str) -> list[str]:
    try:
        return next(csv.reader([text]))
    except csv.Error as exc:
        return [f"<unparsable: {exc}>"]


def _separator_hint(text: str) -> str | None:
    for separator, label in ((";", "semicolons"), ("\t", "tabs")):
        if separator in text:
            return f"'{show(text)}' is separated by {label}; use commas, e.g. '0,3'"
    if len(text.split()) == 2 and "," not in text:
        return f"'{show(text)}' is separated by spaces; use commas, e.g. '0,3'"
    return None


def parse_header(
    number: int, text: str, name: str, headers: Sequence[tuple[str, str]], notes: list[str]
) -> tuple[str, str]:
    accepted = " or ".join(f"'{a},{b}'" for a, b in headers)
    cells = [cell.strip() for cell in _cells(text)]
    if len(cells) == 1 and (hint := _separator_hint(text)):
        raise PredictionsError(f"{name}: line {number}: header {hint}")
    for expected in headers:
        if tuple(cells) == expected:
            return expected
        if [cell.lower() for cell in cells] == [cell.lower() for cell in expected]:
            notes.append(f"header '{','.join(cells)}' accepted as '{','.join(expected)}' (case ignored)")
            return expected
    if len(cells) == 3 and cells[0] in ("", "Unnamed: 0") and any(tuple(cells[1:]) == h for h in headers):
        raise PredictionsError(
            f"{name}: line {number}: header '{show(text)}' has an extra unnamed first column "
            "(pandas wrote its index); save with df.to_csv(path, index=False)"
        )
    if len(cells) == 2 and all(_INTEGER.fullmatch(cell) for cell in cells):
        raise PredictionsError(
            f"{name}: line {number} is '{show(text)}', a data row: the header line is missing; "
            f"the first line must be {accepted}"
        )
    raise PredictionsError(f"{name}: line {number}: header is '{show(text)}'; expected {accepted}")


def _label_problem(text: str, num_classes: int) -> tuple[str, str]:
    top = num_classes - 1
    if text.lower() in _MISSING:
        return "label_missing", f"the label is missing ('{text}'); every image needs a class index 0..{top}"
    if _DECIMAL.fullmatch(text):
        return (
            "label_float",
            f"label '{text}' is not an integer; write class indices as integers "
            "(e.g. df['Label'] = df['Label'].astype(int))",
        )
    if text.startswith("tensor("):
        return (
            "label_tensor",
            f"label '{show(text)}' is a printed tensor; write label.item(), a plain integer",
        )
    if _WORD.fullmatch(text):
        return (
            "label_name",
            f"label '{show(text)}' is not an integer: "
            f"labels must be the class index 0..{top}, not the class name",
        )
    return "label_text", f"label '{show(text)}' is not an integer class index 0..{top}"


def parse_rows(
    rows: list[tuple[int, str]],
    name: str,
    header: tuple[str, str],
    expected_rows: int,
    num_classes: int,
    notes: list[str],
) -> np.ndarray:
    problems = Problems()
    parsed: list[tuple[int, int, int | None]] = []  # line, id, label (None when the label did not parse)
    padded = False
    for number, text in rows:
        raw_cells = _cells(text)
        cells = [cell.strip() for cell in raw_cells]
        padded = padded or cells != raw_cells
        if len(cells) != 2:
            hint = _separator_hint(text) if len(cells) == 1 else None
            message = hint or (f"expected 2 columns ({','.join(header)}), found {len(cells)}: '{show(text)}'")
            problems.add("separator" if hint else "columns", number, message)
            continue
        id_text, label_text = cells
        label: int | None = None
        if _INTEGER.fullmatch(label_text):
            label = int(label_text)
        else:
            kind, message = _label_problem(label_text, num_classes)
            problems.add(kind, number, message)
        if not _INTEGER.fullmatch(id_text):
            problems.add("id_text", number, f"{header[0]} '{show(id_text)}' is not an integer")
            continue
        parsed.append((number, int(id_text), label))
    if padded:
        notes.append("spaces around cells ignored")

    if len(rows) != expected_rows:
        problems.add(
            "row_count",
            None,
            f"has {len(rows):,} data rows; expected {expected_rows:,} "
            f"(one per test image, ids 0..{expected_rows - 1})",
        )
    _check_labels(parsed, problems, num_classes)
    # Ids on unreadable lines are not missing, just unread: listing them would repeat those problems.
    unreadable = any(kind in problems.by_kind for kind in ("separator", "columns", "id_text"))
    _check_ids(parsed, problems, header[0], expected_rows, report_missing=not unreadable)
    problems.raise_if_any(name)

    labels = np.empty(expected_rows, dtype=np.int64)
    for _, image_id, label in parsed:
        labels[image_id] = label
    order = [image_id for _, image_id, _ in parsed]
    if order != sorted(order):
        first = next(parsed[i][0] for i in range(1, len(order)) if order[i] < order[i - 1])
        notes.append(f"rows are not in {header[0]} order (first out of order at line {first}); accepted")
    return labels


def _check_labels(parsed: list[tuple[int, int, int | None]], problems: Problems, num_classes: int) -> None:
    labels = [(number, label) for number, _, label in parsed if label is not None]
    outside = [(number, label) for number, label in labels if not 0 <= label < num_classes]
    if not outside:
        return
    values = {label for _, label in labels}
    if min(values) >= 1 and max(values) == num_classes:
        first = next(number for number, label in outside)
        problems.add(
            "label_range",
            None,
            f"labels run 1..{num_classes} (first {num_classes} on line {first}); class indices are "
            f"0..{num_classes - 1}: subtract 1 from every label",
        )
        return
    for number, label in outside:
        problems.add(
            "label_range", number, f"label {label} is outside the class indices 0..{num_classes - 1}"
        )


def _check_ids(
    parsed: list[tuple[int, int, int | None]],
    problems: Problems,
    id_name: str,
    expected_rows: int,
    report_missing: bool,
) -> None:
    last = expected_rows - 1
    ids = [image_id for _, image_id, _ in parsed]
    if ids and 0 not in ids and max(ids) == expected_rows and min(ids) >= 1:
        problems.add(
            "id_range", None, f"{id_name}s run 1..{expected_rows}; expected 0..{last}: number the rows from 0"
        )
        return
    first_line: dict[int, int] = {}
    for number, image_id, _ in parsed:
        if not 0 <= image_id <= last:
            problems.add("id_range", number, f"{id_name} {image_id} is outside 0..{last}")
        elif image_id in first_line:
            problems.add(
                "duplicate_id",
                number,
                f"{id_name} {image_id} appears again (first on line {first_line[image_id]})",
            )
        else:
            first_line[image_id] = number
    missing = sorted(set(range(expected_rows)) - first_line.keys())
    if missing and report_missing:
        shown = ", ".join(str(i) for i in missing[:EXAMPLES]) + (", ..." if len(missing) > EXAMPLES else "")
        verb = "is" if len(missing) == 1 else "are"
        problems.add(
            "missing_ids", None, f"{len(missing):,} of the {id_name}s 0..{last} {verb} missing: {shown}"
        )
