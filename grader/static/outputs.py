"""What an executed notebook claims in its saved outputs: the learning curves, the best accuracy, the errors.

These are the student's claims, not evidence the grader trusts for accuracy points (those come from running
the code or scoring predictions); they let the static mode report "claims 88%, never finished" cheaply.

Lines are read from stream outputs (stdout and stderr), one line at a time, case-insensitively. A value is
taken only when its line is unambiguous:

* ``VAL_ACCURACY`` matches ``Validation accuracy: 0.6512``, ``val acc = 65.12%``, ``val_accuracy: 0.65``;
  ``VAL_LOSS``, ``TRAIN_ACCURACY`` and ``TRAIN_LOSS`` are the same shape (the template prints
  ``Training loss: %.4f, Training accuracy: %.4f`` and ``Validation loss: %.4f, Validation accuracy: %.4f``).
  A separator ``:`` or ``=`` is required, so prose like "val acc improved from 0.5 to 0.6" is ignored.
* ``BEST`` matches the template's ``Best validation accuracy: 0.7206``; any other line that says "best" is
  skipped by the curve patterns, and so is a line with two values for the same series.

Accuracies may be fractions or percents. Rule: a series (the validation curve, the training curve) is in
percent when any of its values carries a ``%`` sign or lies in (1, 100]; then all its values are divided by
100. The claimed best is a percent when it carries ``%``, exceeds 1, or equals a raw value of a percent
validation curve. Values outside [0, 100] are dropped with a note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from grader.static.ipython import cell_source

_NUMBER = r"(?:tensor\()?(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|nan|inf)\)?\s*(?P<percent>%)?"
_SEP = r"\s*[:=]\s*"
_VAL = r"\bval(?:idation)?[\s_]*"
_TRAIN = r"\btrain(?:ing)?[\s_]*"
_ACC = r"acc(?:uracy)?"
VAL_ACCURACY = re.compile(_VAL + _ACC + _SEP + _NUMBER, re.IGNORECASE)
VAL_LOSS = re.compile(_VAL + "loss" + _SEP + _NUMBER, re.IGNORECASE)
TRAIN_ACCURACY = re.compile(_TRAIN + _ACC + _SEP + _NUMBER, re.IGNORECASE)
TRAIN_LOSS = re.compile(_TRAIN + "loss" + _SEP + _NUMBER, re.IGNORECASE)
BEST = re.compile(r"\bbest\b[\w\s]*?" + _VAL + _ACC + r"(?:\s+is\s*|" + _SEP + ")" + _NUMBER, re.IGNORECASE)
_BEST_WORD = re.compile(r"\bbest\b", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SAME_VALUE = 5e-5


@dataclass
class StoredOutputs:
    """The claims in a notebook's saved outputs. Cell indices are 0-based positions in ``nb.cells``."""

    val_accuracies: list[float] = field(default_factory=list)
    train_accuracies: list[float] = field(default_factory=list)
    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    claimed_best_val_accuracy: float | None = None
    best_source: Literal["printed", "curve-max"] | None = None
    # Every printed "best validation accuracy" with its cell: one per training run, sweep members included.
    # The best of them is the claim, so a later, weaker experiment does not replace the notebook's best run.
    best_runs: list[tuple[int, float]] = field(default_factory=list)
    error_cells: list[tuple[int, str, str]] = field(default_factory=list)
    unexecuted_code_cells: list[int] = field(default_factory=list)
    executed: bool = False
    execution_order_ok: bool = True
    notes: list[str] = field(default_factory=list)


def parse_stored_outputs(nb: Any) -> StoredOutputs:
    """Read the curves, the best accuracy and the execution state from NB (an nbformat 4 notebook).

    ``executed`` means every code cell with source has an execution count; ``execution_order_ok`` means the
    counts that exist increase from top to bottom (cells run out of order, or edited after running, break it).
    """
    result = StoredOutputs()
    raw: dict[str, list[tuple[float, bool]]] = {
        "val_acc": [],
        "train_acc": [],
        "val_loss": [],
        "train_loss": [],
    }
    bests: list[tuple[int, float, bool]] = []
    counts: list[int] = []
    skipped: list[str] = []
    has_code = False
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count")
        if isinstance(count, int):
            counts.append(count)
        elif cell_source(cell).strip():
            result.unexecuted_code_cells.append(index)
        has_code = has_code or bool(cell_source(cell).strip())
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                result.error_cells.append(
                    (index, str(output.get("ename", "")), str(output.get("evalue", "")))
                )
            elif kind == "stream":
                found = _scan_text(_text(output.get("text", "")), raw, skipped)
                bests += [(index, value, sign) for value, sign in found]
    if skipped:
        result.notes.append(
            f"skipped {len(skipped)} line(s) with two values for one series, e.g. {skipped[0]!r}"
        )
    result.executed = has_code and not result.unexecuted_code_cells
    result.execution_order_ok = all(a < b for a, b in zip(counts, counts[1:], strict=False))
    val_percent = _series_in_percent(raw["val_acc"])
    result.val_accuracies = _normalised(raw["val_acc"], val_percent, "validation accuracy", result.notes)
    result.train_accuracies = _normalised(
        raw["train_acc"], _series_in_percent(raw["train_acc"]), "training accuracy", result.notes
    )
    result.val_losses = [value for value, _ in raw["val_loss"]]
    result.train_losses = [value for value, _ in raw["train_loss"]]
    raw_values = [v for v, _ in raw["val_acc"]]
    for index, value, sign in bests:
        percent = sign or value > 1 or (val_percent and any(abs(value - v) < _SAME_VALUE for v in raw_values))
        claimed = _normalised([(value, percent)], percent, "best validation accuracy", result.notes)
        result.best_runs += [(index, claimed[0])] if claimed else []
    if result.best_runs:
        result.claimed_best_val_accuracy = max(value for _, value in result.best_runs)
        result.best_source = "printed"
    if result.best_source is None and result.val_accuracies:
        result.claimed_best_val_accuracy, result.best_source = max(result.val_accuracies), "curve-max"
        result.notes.append(
            "no 'Best validation accuracy' line; the best is the maximum of the printed curve"
        )
    return result


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _scan_text(
    text: str, raw: dict[str, list[tuple[float, bool]]], skipped: list[str]
) -> list[tuple[float, bool]]:
    """Add this output's curve points to RAW; return its 'best' claims in order."""
    bests: list[tuple[float, bool]] = []
    for line in _LINE_BREAK.split(text):
        best = _scan_line(line, raw, skipped)
        if best is not None:
            bests.append(best)
    return bests


_SERIES = {
    "val_acc": VAL_ACCURACY,
    "val_loss": VAL_LOSS,
    "train_acc": TRAIN_ACCURACY,
    "train_loss": TRAIN_LOSS,
}


def _scan_line(
    line: str, raw: dict[str, list[tuple[float, bool]]], skipped: list[str]
) -> tuple[float, bool] | None:
    """Add one line's curve points to RAW; return its 'best' claim, if it is one."""
    claimed = BEST.search(line)
    if claimed:
        return float(claimed["value"]), claimed["percent"] is not None
    if _BEST_WORD.search(line):
        return None
    for series, pattern in _SERIES.items():
        found = list(pattern.finditer(line))
        if len(found) == 1:
            raw[series].append((float(found[0]["value"]), found[0]["percent"] is not None))
        elif len(found) > 1:
            skipped.append(line.strip()[:120])
    return None


class EpochCounter:
    """Counts the validation-accuracy lines of output as it streams, read exactly as the stored outputs are.

    Text arrives in pieces that may split a line; each stream keeps its unfinished last line until the rest
    of it comes (a carriage return ends a line, as for the stored outputs, so progress bars count once). Only
    the last ``MAX_PARTIAL_CHARS`` of an unfinished line are kept: a flood printed without a line break must
    cost the grader neither memory nor a rescan of everything so far at each piece.
    """

    MAX_PARTIAL_CHARS = 4096

    def __init__(self) -> None:
        self.epochs = 0
        self._partial: dict[str, str] = {}

    def feed(self, text: str, stream: str = "stdout") -> int:
        """Read TEXT of STREAM; return how many validation-accuracy lines have been seen so far."""
        *lines, partial = _LINE_BREAK.split(self._partial.get(stream, "") + text)
        self._partial[stream] = partial[-self.MAX_PARTIAL_CHARS :]
        for line in lines:
            raw: dict[str, list[tuple[float, bool]]] = {series: [] for series in _SERIES}
            _scan_line(line, raw, [])
            self.epochs += len(raw["val_acc"])
        return self.epochs


def _series_in_percent(values: list[tuple[float, bool]]) -> bool:
    """A value in (1, 100] or a ``%`` sign decides; impossible values (over 100) decide nothing."""
    return any(sign or 1 < value <= 100 for value, sign in values)


def _normalised(values: list[tuple[float, bool]], percent: bool, what: str, notes: list[str]) -> list[float]:
    """Fractions in [0, 1]; impossible values (negative, over 100%, NaN) are dropped with a note."""
    kept = []
    for value, _ in values:
        fraction = value / 100 if percent else value
        if math.isfinite(fraction) and 0 <= fraction <= 1:
            kept.append(fraction)
        else:
            notes.append(f"dropped an impossible {what} of {value}")
    if percent and kept:
        notes.append(f"{what} was printed in percent; divided by 100")
    return kept
