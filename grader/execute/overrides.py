"""Rewrite top-level ``NAME = literal`` settings of a notebook, such as ``EPOCHS = 1`` for a quick run.

Only the literal's own characters change, so the student's code, comments and line endings stay as written
and the record of each change can point a student at the exact cell and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nbformat import NotebookNode

Value = int | float | str

# IPython escapes (%magic, !shell) are not Python; blanking them keeps every other line's offsets intact.
_ESCAPE_LINE = re.compile(r"^([ \t]*)[%!][^\r\n]*", re.MULTILINE)
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Override:
    """One setting as applied (cell index and 1-based line in it) or, with ``reason``, why it was not."""

    name: str
    new: Value
    cell: int | None = None
    line: int | None = None
    old: str | None = None
    reason: str | None = None
    kind: str = "setting"  # "sweep": a sweep's list cut to its first members (grader.execute.sweeps)

    @property
    def applied(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class _Site:
    name: str
    line: int
    start: int  # character span of the assigned value in the cell source
    end: int
    literal: bool


def cell_source(cell: NotebookNode) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def parse_cell(source: str) -> ast.Module | None:
    """Parse the cell as Python, retrying with IPython escape lines blanked (``%%time`` cells included)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    masked = _ESCAPE_LINE.sub(lambda m: m.group(1) + "pass" if m.group(1) else "", source)
    try:
        return ast.parse(masked)
    except SyntaxError:
        return None


def code_cells(nb: NotebookNode) -> Iterator[tuple[int, NotebookNode, str, ast.Module | None]]:
    """(index, cell, source, parsed tree or None) of each code cell: what every rewrite walks."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            source = cell_source(cell)
            yield index, cell, source, parse_cell(source)


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def source_offsets(source: str, node: ast.expr) -> tuple[int, int]:
    """The character span of NODE in SOURCE: ast columns count UTF-8 bytes, slicing needs characters."""
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]

    def offset(line: int, col_bytes: int) -> int:
        start = line_starts[line - 1]
        return start + len(source[start:].encode()[:col_bytes].decode())

    assert node.end_lineno is not None and node.end_col_offset is not None
    return offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)


def _sites(source: str, tree: ast.Module, names: set[str]) -> list[_Site]:
    sites = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if not (isinstance(target, ast.Name) and target.id in names):
            continue
        start, end = source_offsets(source, value)
        sites.append(_Site(target.id, stmt.lineno, start, end, _is_literal(value)))
    return sites


def assigned_literals(nb: NotebookNode, name: str) -> list[Value | None]:
    """The values of NAME's top-level assignments, cell by cell: None where one assigns an expression."""
    values: list[Value | None] = []
    for _, _, source, tree in code_cells(nb):
        if tree is None:
            continue
        values += [
            ast.literal_eval(source[site.start : site.end]) if site.literal else None
            for site in _sites(source, tree, {name})
        ]
    return values


def apply_overrides(nb: NotebookNode, overrides: dict[str, Value]) -> list[Override]:
    """Rewrite, in place, every top-level literal assignment of the given names in the code cells.

    A name assigned in several cells is rewritten everywhere, so a later cell cannot undo the override; an
    assignment to an expression is left alone and reported, and so is a name with no assignment at all.
    """
    results: list[Override] = []
    unparsed: list[str] = []
    for index, cell, source, tree in code_cells(nb):
        if tree is None:
            unparsed.append(str(index))
            continue
        sites = _sites(source, tree, set(overrides))
        for site in sorted(sites, key=lambda s: s.start, reverse=True):
            old, value = source[site.start : site.end], overrides[site.name]
            if not site.literal:
                results.append(
                    Override(site.name, value, index, site.line, old, "assigned an expression, not a literal")
                )
                continue
            results.append(Override(site.name, value, index, site.line, old))
            source = source[: site.start] + repr(value) + source[site.end :]
        if any(site.literal for site in sites):
            cell.source = source
    seen = {o.name for o in results}
    reason = "no top-level assignment in any code cell"
    if unparsed:
        reason += f" (cells {', '.join(unparsed)} are not valid Python and were not searched)"
    results += [Override(name, value, reason=reason) for name, value in overrides.items() if name not in seen]
    order = list(overrides)
    return sorted(results, key=lambda o: (order.index(o.name), o.cell is None, o.cell or 0, o.line or 0))
