"""Read a student's ``predictions.csv`` strictly, with messages a student can act on, and score it.

The file is parsed by hand rather than with pandas so that every problem can name its physical line (the
header is line 1) and say what was expected. Harmless deviations (CRLF, a UTF-8 BOM, blank lines, spaces
around cells, rows out of order, header case) are accepted and recorded in ``Predictions.notes``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.errors import GraderError
from tools.layout import NUM_CLASSES

DEFAULT_HEADERS: tuple[tuple[str, str], ...] = (("Id", "Label"), ("Id", "Category"))
DEFAULT_ROWS = 10_000
# 10,000 rows of "9999,9" take about 70 KB; anything this large is not a predictions file.
MAX_BYTES = 5_000_000

_UTF8_BOM = b"\xef\xbb\xbf"
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one): export it as CSV"),
    (b"\x93NUMPY", "a NumPy .npy file: write it with pandas.DataFrame.to_csv or csv.writer"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel/Office file: export it as CSV"),
)
_CONTROL_BYTES = frozenset(range(0, 32)) - {9, 10, 13} | {127}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z _-]*")
_MISSING = frozenset({"", "nan", "none", "null", "na", "n/a"})
_EXAMPLES = 5


class PredictionsError(GraderError):
    """``predictions.csv`` cannot be scored; the message names the file, the line and what was expected."""


@dataclass(frozen=True)
class Predictions:
    """Labels indexed by Id (``labels[i]`` is the class predicted for test image ``i``)."""

    labels: np.ndarray
    header: tuple[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Problems:
    """Problems grouped by kind, so 10,000 float labels read as one problem with a count, not 10,000 lines."""

    by_kind: dict[str, list[tuple[int | None, str]]] = field(default_factory=dict)

    def add(self, kind: str, line: int | None, message: str) -> None:
        self.by_kind.setdefault(kind, []).append((line, message))

    def raise_if_any(self, name: str) -> None:
        if not self.by_kind:
            return
        entries = [_describe(group) for group in self.by_kind.values()]
        if len(entries) == 1:
            raise PredictionsError(f"{name}: {entries[0]}")
        raise PredictionsError(f"{name}: {len(entries)} problems:\n" + "\n".join(f"  - {e}" for e in entries))


def _describe(group: list[tuple[int | None, str]]) -> str:
    line, message = group[0]
    text = message if line is None else f"line {line}: {message}"
    if len(group) > 1:
        more = [str(other) for other, _ in group[1 : 1 + _EXAMPLES] if other is not None]
        tail = f", e.g. lines {', '.join(more)}" if more else ""
        text += f" (the same problem on {len(group) - 1:,} more lines{tail})"
    return text


def read_predictions(
    path: Path,
    headers: Sequence[tuple[str, str]] = DEFAULT_HEADERS,
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
    lines = _text_lines(_read_bounded(path, max_bytes), name, notes)
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
    header = _parse_header(header_line, header_text, name, headers, notes)
    rows = content[1:]
    if not rows:
        raise PredictionsError(
            f"{name} has the header '{','.join(header)}' but no data rows; expected {expected_rows:,} rows"
        )
    labels = _parse_rows(rows, name, header, expected_rows, num_classes, notes)
    return Predictions(labels=labels, header=header, notes=notes)


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    name = path.name
    try:
        if not path.exists():
            raise PredictionsError(f"{name} not found (looked for {path})")
        if not path.is_file():
            raise PredictionsError(f"{name} is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise PredictionsError(_too_large(name, size, max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PredictionsError(f"{name} cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise PredictionsError(_too_large(name, len(data), max_bytes))
    return data


def _too_large(name: str, size: int, max_bytes: int) -> str:
    return (
        f"{name} is {size / 1e6:.1f} MB; a predictions file for 10,000 images is about 70 KB, "
        f"so files over {max_bytes / 1e6:.1f} MB are refused"
    )


def _text_lines(data: bytes, name: str, notes: list[str]) -> list[tuple[int, str]]:
    """Decode to (1-based line number, text) pairs, refusing binary content and non-UTF-8 bytes by line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PredictionsError(
            f"{name} is UTF-16 encoded (Excel's 'Unicode Text'); save it as 'CSV UTF-8' or plain ASCII CSV"
        )
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise PredictionsError(f"{name} is {what}, not a CSV text file")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
        notes.append("UTF-8 byte order mark (BOM) at the start (accepted)")
    _refuse_binary(data, name)
    if b"\r\n" in data:
        notes.append("CRLF (Windows) line endings (accepted)")
    separator = b"\n"
    if b"\r" in data and b"\n" not in data:
        separator = b"\r"
        notes.append("CR (classic Mac) line endings (accepted)")
    raw_lines = data.split(separator)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        raw = raw.rstrip(b"\r")
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise PredictionsError(_not_utf8(name, number, raw, exc.start)) from None
    return lines


def _refuse_binary(data: bytes, name: str) -> None:
    """NUL or many control bytes mean a binary file; naming the line helps with a half-corrupted one."""
    head = data[:8192]
    controls = [i for i, byte in enumerate(head) if byte in _CONTROL_BYTES]
    first_nul = data.find(b"\x00")
    if first_nul < 0 and len(controls) <= max(2, len(head) // 50):
        return
    position = first_nul if first_nul >= 0 else controls[0]
    line = data[:position].count(b"\n") + 1
    raise PredictionsError(
        f"{name} is not CSV text: line {line} holds binary data (byte 0x{data[position]:02x}); "
        "expected lines such as '0,3'"
    )


def _not_utf8(name: str, number: int, raw: bytes, start: int) -> str:
    guess = ""
    try:
        raw.decode("cp1252")
        guess = " The file looks Latin-1/Windows-1252 encoded."
    except UnicodeDecodeError:
        pass
    return (
        f"{name}: line {number} is not valid UTF-8 (byte 0x{raw[start]:02x} at column {start + 1}).{guess} "
        "Save it as UTF-8 (or plain ASCII) CSV; a predictions file needs only digits, commas and the header."
    )


def _cells(text: str) -> list[str]:
    try:
        return next(csv.reader([text]))
    except csv.Error as exc:
        return [f"<unparsable: {exc}>"]


def _separator_hint(text: str) -> str | None:
    for separator, label in ((";", "semicolons"), ("\t", "tabs")):
        if separator in text:
            return f"'{_show(text)}' is separated by {label}; use commas, e.g. '0,3'"
    if len(text.split()) == 2 and "," not in text:
        return f"'{_show(text)}' is separated by spaces; use commas, e.g. '0,3'"
    return None


def _show(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_header(
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
            f"{name}: line {number}: header '{_show(text)}' has an extra unnamed first column "
            "(pandas wrote its index); save with df.to_csv(path, index=False)"
        )
    if len(cells) == 2 and all(_INTEGER.fullmatch(cell) for cell in cells):
        raise PredictionsError(
            f"{name}: line {number} is '{_show(text)}', a data row: the header line is missing; "
            f"the first line must be {accepted}"
        )
    raise PredictionsError(f"{name}: line {number}: header is '{_show(text)}'; expected {accepted}")


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
            f"label '{_show(text)}' is a printed tensor; write label.item(), a plain integer",
        )
    if _WORD.fullmatch(text):
        return (
            "label_name",
            f"label '{_show(text)}' is not an integer: "
            f"labels must be the class index 0..{top}, not the class name",
        )
    return "label_text", f"label '{_show(text)}' is not an integer class index 0..{top}"


def _parse_rows(
    rows: list[tuple[int, str]],
    name: str,
    header: tuple[str, str],
    expected_rows: int,
    num_classes: int,
    notes: list[str],
) -> np.ndarray:
    problems = _Problems()
    parsed: list[tuple[int, int, int | None]] = []  # line, id, label (None when the label did not parse)
    padded = False
    for number, text in rows:
        raw_cells = _cells(text)
        cells = [cell.strip() for cell in raw_cells]
        padded = padded or cells != raw_cells
        if len(cells) != 2:
            hint = _separator_hint(text) if len(cells) == 1 else None
            message = hint or (
                f"expected 2 columns ({','.join(header)}), found {len(cells)}: '{_show(text)}'"
            )
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
            problems.add("id_text", number, f"{header[0]} '{_show(id_text)}' is not an integer")
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


def _check_labels(parsed: list[tuple[int, int, int | None]], problems: _Problems, num_classes: int) -> None:
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
    problems: _Problems,
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
        shown = ", ".join(str(i) for i in missing[:_EXAMPLES]) + (", ..." if len(missing) > _EXAMPLES else "")
        verb = "is" if len(missing) == 1 else "are"
        problems.add(
            "missing_ids", None, f"{len(missing):,} of the {id_name}s 0..{last} {verb} missing: {shown}"
        )


def _fraction_equal(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> float:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} have shape {a.shape} but {b_name} have shape {b.shape}; they must match")
    if a.size == 0:
        raise ValueError(f"{a_name} and {b_name} are empty; there is nothing to compare")
    return float(np.mean(a == b))


def accuracy(labels: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of predicted labels equal to the hidden labels, computed in the grader's process."""
    return _fraction_equal(labels, truth, "predicted labels", "true labels")


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of positions where two predictions agree (submitted file vs predictions from a re-run)."""
    return _fraction_equal(a, b, "the first predictions", "the second predictions")
