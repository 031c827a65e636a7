"""The in-kernel modules are plain standard-library Python: nothing the sandbox lacks (the grader, a
third-party package the grader has) may be imported by the code the kernel runs.

Exception: torch, torchvision, numpy and PIL are the student's own libraries, which the probes and the fresh
process use to look at the student's model. They may be imported inside functions only, so that a payload
runs its module-level code (the guard, the seeding) whether or not they are installed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from grader.execute.payload import INKERNEL_DIR, SIBLING_IMPORT

STUDENT_LIBRARIES = frozenset({"torch", "torchvision", "numpy", "PIL"})
MODULES = sorted(INKERNEL_DIR.glob("*.py"))
SIBLINGS = frozenset(path.stem for path in MODULES)
SIBLING_PREFIX = "grader.execute.inkernel."


def imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, and whether it sits inside a function."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, in_function))
            visit(
                child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            )

    visit(tree, False)
    return found


def test_the_payload_modules_are_all_there() -> None:
    assert {"guard", "patches", "seeding", "probes", "describe", "framing", "fresh_boot", "fresh_model"} <= (
        SIBLINGS
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.stem)
def test_imports_only_the_standard_library_and_its_siblings(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    inlined = {match["name"] for match in SIBLING_IMPORT.finditer(text)}
    for node, in_function in imports(ast.parse(text)):
        where = f"{path.name}:{node.lineno}: {ast.unparse(node)}"
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import: {where}"
            names = [node.module or ""]
        else:
            names = [alias.name for alias in node.names]
        for name in names:
            top = name.split(".")[0]
            if name.startswith(SIBLING_PREFIX):
                sibling = name.removeprefix(SIBLING_PREFIX)
                assert sibling in SIBLINGS and not in_function, f"a sibling import at module level: {where}"
                assert sibling in inlined, f"the payload would not inline it: {where}"
            elif top in STUDENT_LIBRARIES:
                assert in_function, f"{top} may be imported inside a function only: {where}"
            else:
                assert top == "__future__" or top in sys.stdlib_module_names, f"not standard library: {where}"
