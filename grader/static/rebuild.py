"""What a fresh process needs to rebuild a notebook's model without running the notebook: its definitions,
and the expressions that may have constructed the model.

The fresh process (`grader.execute.inkernel.fresh_model`) runs none of the student's training, data loading or
plotting: only imports, ``def`` and ``class`` statements, and assignments whose every call is cheap to make
(a torch.nn layer, a torchvision transform, a class the notebook defines, a builtin). Each statement is run
on its own, so one that fails (a missing torchsummary) costs nothing but itself. The model is then built
from candidate expressions, tried in order until one gives a module whose ``load_state_dict(strict=True)``
accepts the exported weights: that strict load is what proves the rebuilt model is the trained one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from grader.static.ipython import cell_source, parse_cell
from grader.static.names import dotted_name, import_aliases, resolve

CHEAP_CALL_PREFIXES = (
    "torch.nn.",
    "torchvision.transforms.",
    "torch.device",
    "torch.cuda.is_available",
    "torch.backends.",
    "functools.partial",
    "os.path.",
    "os.environ.get",
)
CHEAP_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "int", "float", "str", "bool", "range", "len", "min", "max", "zip"}
)
# methods that move or re-mode a module and return it: `net = Net().to(device)` builds a Net
MODULE_METHODS = frozenset(
    {"to", "cuda", "cpu", "float", "double", "half", "bfloat16", "train", "eval", "apply", "requires_grad_"}
)


@dataclass(frozen=True)
class Definition:
    cell: int
    line: int
    source: str


def _trees(nb: Any) -> list[tuple[int, ast.Module]]:
    trees = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            tree = parse_cell(cell_source(cell))[0]
            if tree is not None:
                trees.append((index, tree))
    return trees


def _defined_classes(trees: list[tuple[int, ast.Module]]) -> set[str]:
    return {node.name for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def _cheap(value: ast.AST, aliases: dict[str, str], classes: set[str]) -> bool:
    """Every call in VALUE builds a layer, a transform, a notebook class, or a builtin value."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in MODULE_METHODS:
                continue  # `.to(device)` on something whose own calls are checked as well
            name = resolve(dotted_name(node.func), aliases) or ""
            if not (
                name.startswith(CHEAP_CALL_PREFIXES)
                or name in CHEAP_BUILTINS
                or name in classes
                or name.rsplit(".", 1)[-1] in classes
            ):
                return False
        elif isinstance(node, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return False
    return True


def _included(node: ast.stmt, aliases: dict[str, str], classes: set[str]) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = all(
            isinstance(t, ast.Name)
            or (isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts))
            for t in targets
        )
        return names and _cheap(node.value, aliases, classes)
    if isinstance(node, ast.If):  # `if torch.cuda.is_available(): device = ...`
        return _cheap(node.test, aliases, classes) and all(
            _included(child, aliases, classes) for child in [*node.body, *node.orelse]
        )
    if isinstance(node, ast.Try):  # `try: import torchsummary except ImportError: ...`
        return all(
            _included(child, aliases, classes) for child in [*node.body, *node.orelse, *node.finalbody]
        )
    return isinstance(node, ast.Pass)


def definitions(nb: Any) -> list[Definition]:
    """The notebook's top-level statements a fresh process may run to define the model, in notebook order."""
    trees = _trees(nb)
    aliases = {"nn": "torch.nn", **import_aliases(tree for _, tree in trees)}
    classes = _defined_classes(trees)
    found = []
    for cell, tree in trees:
        for node in tree.body:
            if _included(node, aliases, classes):
                found.append(Definition(cell, node.lineno, ast.unparse(node)))
    return found


def _strip_module_methods(value: ast.expr) -> ast.expr:
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in MODULE_METHODS
    ):
        value = value.func.value
    return value


def constructor_candidates(nb: Any, variable: str | None, class_name: str) -> list[str]:
    """Expressions that may build the exported model, most specific first.

    The last assignments to the variable that held it (``net = ResNet(BasicBlock, [3, 3, 3]).to(device)``
    gives ``ResNet(BasicBlock, [3, 3, 3])``), then every call of its class anywhere in the notebook (inside
    a function or a sweep too), then the class called with no arguments.
    """
    trees = _trees(nb)
    assigned: list[str] = []
    calls: list[str] = []
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and variable is not None:
                if any(isinstance(t, ast.Name) and t.id == variable for t in node.targets):
                    assigned.append(ast.unparse(_strip_module_methods(node.value)))
            elif isinstance(node, ast.Call):
                name = dotted_name(node.func) or ""
                if name.rsplit(".", 1)[-1] == class_name:
                    calls.append(ast.unparse(node))
    ordered = [*reversed(assigned), *reversed(calls), f"{class_name}()"]
    return list(dict.fromkeys(ordered))
