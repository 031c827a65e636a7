"""Code the grader sends into a sandboxed process as text: a module with its grader imports inlined.

Neither the student's kernel nor the fresh evaluation process can import the grader (it is not mounted, and
a student could shadow it). A payload module imports its siblings with ``from grader.execute.NAME import
...`` so that it reads, lints and tests as ordinary code; :func:`payload_text` replaces each such line by
the sibling's own text (once, siblings first), which leaves one self-contained script.
"""

from __future__ import annotations

import re
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SIBLING_IMPORT = re.compile(r"^from grader\.execute\.(?P<name>\w+) import .*$", re.MULTILINE)
_FUTURE = "from __future__ import annotations\n"


def payload_text(name: str, call: str = "") -> str:
    """The text of ``grader/execute/NAME.py`` with its sibling imports inlined, then CALL."""
    seen: set[str] = set()
    return _FUTURE + _inline(name, seen) + (f"\n{call}\n" if call else "")


def _inline(name: str, seen: set[str]) -> str:
    seen.add(name)
    text = (_HERE / f"{name}.py").read_text(encoding="utf-8").replace(_FUTURE, "")

    def sibling(match: re.Match[str]) -> str:
        other = match["name"]
        return "" if other in seen else _inline(other, seen)

    return _SIBLING_IMPORT.sub(sibling, text)
