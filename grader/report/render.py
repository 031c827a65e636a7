"""The Jinja environment of the reports: autoescaping everywhere, and the few formatting filters they share.

Templates ship inside the package (``grader/report/templates``), so reports render from an installed wheel.
``StrictUndefined`` makes a misspelt variable an error in the tests instead of a silently empty cell.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

# Reports embed their images as data: URIs and run no script; the policy makes sure nothing else loads.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STATUS_LABELS = {
    "pass": "pass",
    "fail": "fail",
    "error": "error",
    "skipped": "skipped",
    "manual": "TA grades",
    "inconclusive": "not checked",
}


def points(value: float | None) -> str:
    return "—" if value is None else f"{round(value, 2):g}"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}%}"


def link(*parts: str) -> str:
    """A relative URL from path segments (submission ids come from file names and may hold '#' or '?')."""
    return "/".join(quote(part, safe="") for part in parts)


def evidence_rows(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Evidence as (key, text) rows; nested values become indented JSON shown in a block."""
    rows = []
    for key, value in evidence.items():
        if isinstance(value, dict | list):
            text, block = json.dumps(value, indent=2, ensure_ascii=False, default=str), True
        elif isinstance(value, float):
            text, block = f"{value:.4g}", False
        elif value is None:
            text, block = "none", False
        else:
            text = str(value)
            block = len(text) > 120 or "\n" in text
        rows.append({"key": str(key), "text": text, "block": block})
    return rows


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(points=points, percent=percent, link=link, evidence_rows=evidence_rows)
    env.globals.update(csp=CONTENT_SECURITY_POLICY, status_labels=STATUS_LABELS)
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
