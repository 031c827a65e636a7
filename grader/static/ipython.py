"""Turn a notebook code cell into plain Python for ``ast``, keeping line numbers and the shell lines aside.

IPython accepts ``!cmd``, ``%magic``, ``%%cell_magic`` and ``obj?``, none of which is Python. Each such line
is replaced by ``pass`` at the same indentation (so blocks stay valid and line numbers stay true), and the
shell text is kept so that a scan can still see ``!wget`` or ``%pip install``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

_MAGIC_LINE = re.compile(r"^(?P<indent>\s*)(?:(?P<assign>[A-Za-z_]\w*\s*=\s*))?(?P<text>[!%].*)$")
_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks Python itself counts
_HELP_LINE = re.compile(r"^(?P<indent>\s*)[\w.]+\s*\?{1,2}\s*$")
# Cell magics whose body is still Python; the body of any other one (%%bash, %%html...) is not.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system", "!"})


@dataclass
class CellSource:
    """A cell as Python text plus the shell commands its magics held, each with its 1-based line number."""

    python: str
    shell: list[tuple[int, str]] = field(default_factory=list)


def cell_source(cell: Any) -> str:
    """A cell's source as one string (raw notebook JSON may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(str(line) for line in source) if isinstance(source, list) else str(source)


def to_python(source: str) -> CellSource:
    """Replace IPython-only syntax in SOURCE by ``pass`` lines; keep shell commands for scanning."""
    lines = _NEWLINE.split(source)
    shell: list[tuple[int, str]] = []
    out: list[str] = []
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        name = magic[0] if magic else ""
        out.append("")
        if name in _SHELL_CELL_MAGICS:
            shell += [(number, line) for number, line in enumerate(lines[1:], start=2)]
            return CellSource("\n".join(out + [""] * (len(lines) - 1)), shell)
        if name not in _PYTHON_CELL_MAGICS and not name.startswith("writefile"):
            return CellSource("\n".join(out + [""] * (len(lines) - 1)), shell)
        lines = lines[1:]
    continued = False  # the previous shell line ended with a backslash
    for number, line in enumerate(lines, start=len(out) + 1):
        magic = _MAGIC_LINE.match(line)
        help_line = _HELP_LINE.match(line)
        if continued:
            shell.append((number, line))
            out.append("")
        elif magic:
            shell.append((number, magic.group("text").lstrip("!%")))
            out.append(magic.group("indent") + "pass")
        elif help_line:
            out.append(help_line.group("indent") + "pass")
        else:
            out.append(line)
        continued = (continued or magic is not None) and line.rstrip().endswith("\\")
    return CellSource("\n".join(out), shell)


def parse_cell(source: str) -> tuple[ast.Module | None, CellSource, SyntaxError | None]:
    """The cell's syntax tree (None when it does not parse), its cleaned text, and the parse error."""
    cleaned = to_python(source)
    try:
        return ast.parse(cleaned.python), cleaned, None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        error = exc if isinstance(exc, SyntaxError) else SyntaxError(str(exc) or type(exc).__name__)
        return None, cleaned, error
