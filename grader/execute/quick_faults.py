"""Whether a cell's error in a quick run traces to what quick mode changed, so it is not the student's fault.

A quick run shortens ``EPOCHS`` and sweeps; a notebook written for the real run may then break on its own
terms: ``plt.plot(range(30), history)`` against 5 epochs of history, ``np.arange(EPOCHS)`` against a list
another cell filled, an array shaped by the epoch count. Such an error is a shape or length error in a cell
that reads a changed setting, a sweep's list, or the epoch count as the notebook wrote it, and whose message
names the old or the new value (an IndexError need not). Any other error stays the student's: a NameError, a
missing file, or a model whose shapes are wrong in a training cell that merely reads ``EPOCHS``.
"""

from __future__ import annotations

import ast
import re
import typing as t

from grader.execute.overrides import parse_cell

# the errors a length or shape mismatch raises (numpy, matplotlib, torch, the student's own assert)
SHAPE_ERRORS = frozenset({"ValueError", "IndexError", "RuntimeError", "AssertionError"})


def _ints(text: str | None) -> set[int]:
    """The integer a change wrote or replaced (``30``), or a sweep's member count; empty for anything else."""
    try:
        value = ast.literal_eval(text or "")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return set()
    if isinstance(value, list | tuple):
        return {len(value)}
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


def _mentions(evalue: str, change: dict[str, t.Any]) -> bool:
    numbers = {int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", evalue)}
    return bool(numbers & (_ints(change.get("old")) | _ints(str(change.get("new")))))


def quick_mode_cause(
    source: str, cell: int, ename: str, evalue: str, changes: list[dict[str, t.Any]]
) -> dict[str, t.Any] | None:
    """The change (an entry of the run's ``overrides_applied``) that explains cell CELL's ENAME, or None.

    Only changes that were applied, in CELL or before it, count; the cell must read the changed name or
    hold the replaced integer itself (``range(30)`` where ``EPOCHS = 30`` became 5).
    """
    if ename not in SHAPE_ERRORS:
        return None
    tree = parse_cell(source)
    if tree is None:
        return None
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    ints = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)
    }
    for change in changes:
        if not change.get("applied") or change.get("cell") is None or change["cell"] > cell:
            continue
        setting = change.get("kind") == "setting"
        replaced = {n for n in _ints(change.get("old")) if n > 1} if setting else set()
        if change["name"] not in names and not replaced & ints:
            continue
        if ename == "IndexError" or _mentions(evalue, change):
            return change
    return None
