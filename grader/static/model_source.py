"""Names of the ``nn.Module`` classes a notebook defines, read from its source without running it."""

from __future__ import annotations

import ast
from typing import Any

from grader.static.ipython import cell_source, parse_cell
from grader.static.names import dotted_name, import_aliases, resolve


def find_module_classes(nb: Any) -> list[str]:
    """Classes in NB's code cells that subclass ``torch.nn.Module``, directly or through one another.

    Any ``torch.nn`` class counts as a base (``nn.Sequential`` subclasses are modules too), and ``nn`` is read
    as ``torch.nn`` when the notebook's import of it cannot be parsed. Names come in definition order, once.
    """
    trees = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            tree = parse_cell(cell_source(cell))[0]
            if tree is not None:
                trees.append(tree)
    aliases = {"nn": "torch.nn", **import_aliases(trees)}
    classes = []
    for tree in trees:
        in_cell = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        classes += sorted(in_cell, key=lambda node: (node.lineno, node.col_offset))
    bases = {id(node): [resolve(dotted_name(base), aliases) or "" for base in node.bases] for node in classes}
    modules: set[str] = set()
    changed = True
    while changed:  # a subclass of a module class is a module class, whatever order they were written in
        changed = False
        for node in classes:
            if node.name not in modules and any(
                b.startswith("torch.nn.") or b in modules for b in bases[id(node)]
            ):
                modules.add(node.name)
                changed = True
    return list(dict.fromkeys(node.name for node in classes if node.name in modules))
