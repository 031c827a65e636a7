"""The one way the grader sends code into a sandboxed process: a module of :mod:`grader.execute.inkernel` as
text, with its sibling imports inlined, then one call whose arguments are data.

Neither the student's kernel nor the fresh evaluation process can import the grader (it is not mounted, and
a student could shadow it). An in-kernel module imports its siblings with ``from grader.execute.inkernel.NAME
import ...`` so that it reads, lints and tests as ordinary code; the payload replaces each such statement by
the sibling's own text (once, siblings first), which leaves one self-contained script. The call's arguments
travel as a Python literal that :func:`ast.literal_eval` reads back unchanged: the compiler turns it into
values, so no code is built from them and nothing the student's code could have replaced decodes them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

INKERNEL_DIR = Path(__file__).resolve().parent / "inkernel"
SIBLING_IMPORT = re.compile(
    r"^from grader\.execute\.inkernel\.(?P<name>\w+) import (?:\([^)]*\)|[^\n(]*)$", re.MULTILINE
)
_FUTURE = "from __future__ import annotations\n"


def payload_source(module: str, entry: str, **arguments: object) -> str:
    """The text of ``inkernel/MODULE.py`` with its siblings inlined, then ``ENTRY(**ARGUMENTS)``."""
    if not entry.isidentifier():
        raise ValueError(f"{entry!r} is not a function name")
    literal = repr(arguments)
    try:
        same = ast.literal_eval(literal) == arguments
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise ValueError(f"the arguments of {module}.{entry} are not plain data: {literal[:200]}")
    return _FUTURE + _inline(module, set()) + f"\n{entry}(**{literal})\n"


def _inline(name: str, seen: set[str]) -> str:
    seen.add(name)
    text = (INKERNEL_DIR / f"{name}.py").read_text(encoding="utf-8").replace(_FUTURE, "")

    def sibling(match: re.Match[str]) -> str:
        other = match["name"]
        return "" if other in seen else _inline(other, seen)

    return SIBLING_IMPORT.sub(sibling, text)


def guard_source(
    events_fd: int, *, cuda_on_cpu: bool = False, inherited: dict[str, str] | None = None
) -> str:
    """The guard, installed on the pipe whose write end is open in the kernel as ``events_fd``; with
    ``cuda_on_cpu``, the run has no GPU and runs the notebook's CUDA calls on the CPU. INHERITED maps files an
    earlier notebook's run wrote (paths relative to the work folder) to that notebook."""
    files = {str(rel): str(notebook) for rel, notebook in (inherited or {}).items()}
    return payload_source(
        "guard", "install", events_fd=int(events_fd), cuda_on_cpu=bool(cuda_on_cpu), inherited=files
    )


def seed_source(seed: int) -> str:
    """Seeding of ``random``, numpy and torch with ``seed``."""
    return payload_source("seeding", "seed_generators", seed=int(seed))


def probe_source(report_fd: int, nonce: str) -> str:
    """The probes, reporting on the pipe open in the kernel as ``report_fd`` under ``nonce``."""
    return payload_source("probes", "run_probes", report_fd=report_fd, nonce=nonce)


def fresh_model_boot() -> str:
    """The fresh process's command line program: it loads its libraries, then runs what arrives on stdin."""
    return payload_source("fresh_boot", "boot")


def fresh_model_source(nonce: str) -> str:
    """The fresh process's program: rebuild, describe and predict, then send the result under ``nonce``."""
    return payload_source("fresh_model", "main", nonce=nonce)
