"""Load a rubric YAML file, reporting every problem with the file, the YAML line and the field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from grader.errors import GraderError
from grader.paths import RUBRICS_DIR

from .base import Loc, RubricProblems
from .model import Rubric


class RubricError(GraderError):
    """The rubric file cannot be used; the message names the file, the line and the field."""


def available_rubrics() -> list[str]:
    return sorted(path.stem for path in RUBRICS_DIR.glob("*.yaml"))


def resolve_rubric(name_or_path: str | Path) -> Path:
    """A path to a YAML file, or the name of one of the rubrics shipped with the grader (``rubrics/``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = RUBRICS_DIR / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(available_rubrics()) or "none"
    raise RubricError(f"rubric {str(name_or_path)!r} is neither a file nor a shipped rubric ({names})")


# libyaml's loader when PyYAML was built with it: a batch parses the rubric once per submission.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rubric(path: Path) -> Rubric:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(f"rubric file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"rubric file {path} cannot be read: {exc}") from None
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict) or root is None:
        raise RubricError(
            f"{path}: expected a mapping of rubric fields at the top level, found {type(data).__name__}"
        )
    problems = _duplicate_keys(root)
    if not problems:
        try:
            rubric = Rubric.model_validate(data)
        except ValidationError as exc:
            problems = [(_line(root, loc), loc, message) for loc, message in _flatten(exc, data)]
        else:
            return rubric
    lines = [f"line {line}, {_path(loc, data)}: {message}" for line, loc, message in problems]
    if len(lines) == 1:
        raise RubricError(f"{path}: {lines[0]}")
    raise RubricError(f"{path}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _flatten(exc: ValidationError, data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """One (field path, message) per problem; ``RubricProblems`` expand into their own located problems."""
    out: list[tuple[Loc, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, RubricProblems):
            out += [((*loc, *inner), message) for inner, message in cause.problems]
        elif isinstance(cause, ValueError):
            out.append((loc, str(cause)))
        else:
            out.append((loc, _with_input(error)))
    return out


def _with_input(error: Any) -> str:
    message = error["msg"]
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "extra_forbidden":
        return "unknown field (misspelt?)"
    return f"{message} (got {error['input']!r})" if not isinstance(error["input"], dict | list) else message


def _path(loc: Loc, data: dict[str, Any]) -> str:
    """``items[3] (id 'lab1.f').check``: the index for the machine, the id for the person reading."""
    text = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f" (id {node['id']!r})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "top level"


def _line(root: yaml.Node, loc: Loc) -> int:
    """The 1-based YAML line of the deepest node along ``loc`` that exists (the parent of a missing field)."""
    node = root
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _duplicate_keys(root: yaml.Node) -> list[tuple[int, Loc, str]]:
    """PyYAML keeps the last of two equal keys silently; a rubric with two ``points:`` is a mistake."""
    problems: list[tuple[int, Loc, str]] = []

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if key.value in first:
                    problems.append(
                        (line, (*loc, key.value), f"key appears twice (first on line {first[key.value]})")
                    )
                else:
                    first[key.value] = line
                walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                walk(child, (*loc, index))

    walk(root, ())
    return problems
