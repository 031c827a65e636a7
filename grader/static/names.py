"""Resolve the names a notebook calls to full module paths, so that ``models.resnet18`` after
``from torchvision import models`` reads as ``torchvision.models.resnet18`` whatever the student named it."""

from __future__ import annotations

import ast
from collections.abc import Iterable


def import_aliases(trees: Iterable[ast.AST]) -> dict[str, str]:
    """Local name -> module path, from every import in TREES (a notebook's cells share one namespace)."""
    aliases: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        root = alias.name.split(".")[0]
                        aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes (``f().g`` for a call inside it); None otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Call):
        base = dotted_name(node.func)
        return None if base is None else f"{base}()"
    return None


def resolve(name: str | None, aliases: dict[str, str]) -> str | None:
    """NAME with its first part replaced by the module it was imported as (unchanged when not imported)."""
    if name is None:
        return None
    head, _, rest = name.partition(".")
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full
