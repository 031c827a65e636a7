"""Shorten hyper-parameter sweeps for a quick run: a top-level loop that trains once per learning rate or L2
strength keeps only the first members of its list.

Cutting the list, not the loop, keeps the notebook consistent with itself: the curves a later cell plots per
member, and ``l_LR[np.argmax(...)]``, see as many runs as were trained. Only the literal's characters change
(``[0.1, 0.05, 0.01]`` becomes ``[0.1]``, ``np.logspace(-4, -5, 4)`` becomes ``np.logspace(-4, -5, 1)``).
"""

from __future__ import annotations

import ast

from nbformat import NotebookNode

from grader.execute.overrides import Override, code_cells, source_offsets

# numpy's spaced ranges whose third argument is the number of members
_SPACED = frozenset({"linspace", "logspace", "geomspace"})


def _trains(loop: ast.For, epoch_names: set[str]) -> bool:
    """The loop body trains: it reads an epoch setting, calls a ``train*`` function or steps an optimizer."""
    for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id in epoch_names:
            return True
        if isinstance(node, ast.Call):
            func = node.func
            called = getattr(func, "id", None) or getattr(func, "attr", None) or ""
            if called.lower().startswith("train") or called in ("backward", "step"):
                return True
    return False


def _sweepable(node: ast.expr) -> bool:
    """A literal list or tuple of several members, or ``np.logspace(a, b, n)`` with a literal n above 1."""
    if isinstance(node, ast.List | ast.Tuple):
        return len(node.elts) > 1 and not any(isinstance(e, ast.Starred) for e in node.elts)
    spaced = isinstance(node, ast.Call) and getattr(node.func, "attr", None) in _SPACED
    if spaced and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
        count = node.args[2].value
        return isinstance(count, int) and not isinstance(count, bool) and count > 1
    return False


def _loops(tree: ast.Module, epoch_names: set[str]) -> list[ast.For]:
    return [s for s in tree.body if isinstance(s, ast.For) and _trains(s, epoch_names)]


def _assigned_lists(tree: ast.Module) -> dict[str, ast.expr]:
    lists: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            lists[stmt.targets[0].id] = stmt.value
    return lists


def _shortened(source: str, node: ast.expr, keep: int) -> str:
    """The list's new source text: its first KEEP members, or a member count of KEEP."""
    if isinstance(node, ast.List | ast.Tuple):
        members = [ast.get_source_segment(source, e) or ast.unparse(e) for e in node.elts[:keep]]
        inner = ", ".join(members) + ("," if isinstance(node, ast.Tuple) and keep == 1 else "")
        return f"[{inner}]" if isinstance(node, ast.List) else f"({inner})"
    assert isinstance(node, ast.Call)
    return str(keep)


def shorten_sweeps(nb: NotebookNode, epoch_names: set[str], keep: int = 1) -> list[Override]:
    """Rewrite, in place, each sweep's list to its first KEEP members; returns what changed, as overrides.

    A sweep is a top-level ``for x in LIST:`` whose body trains, where LIST is written in the loop header
    or assigned (top level) earlier in the same cell. A list assigned elsewhere is left alone: rewriting it
    could change a cell that is not part of the sweep.
    """
    results: list[Override] = []
    for index, cell, source, tree in code_cells(nb):
        if tree is None:
            continue
        assigned = _assigned_lists(tree)
        targets: dict[int, tuple[str, ast.expr]] = {}
        for loop in _loops(tree, epoch_names):
            header = loop.iter
            name = header.id if isinstance(header, ast.Name) else ast.unparse(header)
            node = assigned.get(header.id) if isinstance(header, ast.Name) else header
            if node is not None and _sweepable(node) and node.lineno <= loop.lineno:
                targets[id(node)] = (name, node)
        edits = []
        for name, node in targets.values():
            span = node.args[2] if isinstance(node, ast.Call) else node
            start, end = source_offsets(source, span)
            new = _shortened(source, node, keep)
            edits.append((start, end, new))
            results.append(Override(name, new, index, node.lineno, source[start:end], kind="sweep"))
        for start, end, new in sorted(edits, reverse=True):
            source = source[:start] + new + source[end:]
        if edits:
            cell.source = source
    return results
