"""The class dashboard: ``OUT/index.html``, what a TA reads first after a batch.

Scores at a glance, which rubric items the class fails, which submissions need a human look (integrity
findings, failed integrity checks, rejected uploads, runs without the sandbox, near-identical notebooks from
``OUT/similarity.json``), and a link to every student report.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from grader.records import Result, write_json_atomically
from grader.report.causes import group_failures
from grader.report.collect import Batch, load_batch
from grader.report.plots import histogram_png
from grader.report.render import link, render_template
from grader.report.student import REPORT_FILE
from grader.rubric.model import Rubric

DASHBOARD_FILE = "index.html"
SIMILARITY_FILE = "similarity.json"
FLAG_SEVERITIES = ("error", "warning")
MAX_REASONS = 6


class SimilarPair(BaseModel):
    model_config = ConfigDict(extra="ignore")

    a: str
    b: str
    score: float
    notebook: str | None = None


@dataclass
class ItemStats:
    id: str
    title: str
    points: float
    bonus: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pass_rate(self) -> float | None:
        """Passes among the submissions where the check ran (skipped ones are not counted)."""
        ran = self.counts.get("pass", 0) + self.counts.get("fail", 0) + self.counts.get("error", 0)
        return self.counts.get("pass", 0) / ran if ran else None


def render_dashboard(out_dir: Path, rubric: Rubric, batch: Batch | None = None) -> Path:
    """Write ``OUT_DIR/index.html`` from every readable ``OUT_DIR/*/result.json`` (BATCH, when the caller
    has just read them); return its path."""
    out_dir = Path(out_dir)
    batch = batch if batch is not None else load_batch(out_dir)
    results = [result for _, result in batch.results]
    scores = [result.score for result in results]
    pairs, similarity_note = read_similarity(out_dir)
    reports = {result.submission_id: (folder / REPORT_FILE).is_file() for folder, result in batch.results}
    page = render_template(
        "dashboard.html.j2",
        rubric=rubric,
        out_name=out_dir.resolve().name,
        summary=_summary(scores),
        histogram_png=histogram_png(scores, rubric.cap),
        items=item_stats(results, rubric),
        awaiting=awaiting_ta(results),
        flagged=[(result, reasons) for result in results if (reasons := flag_reasons(result))],
        pairs=pairs,
        similarity_note=similarity_note,
        submissions=[
            {
                "result": result,
                "href": link(result.submission_id, REPORT_FILE) if reports[result.submission_id] else None,
                "failed": sum(check.status in ("fail", "error") for check in result.checks),
                "causes": group_failures(result).causes,
                "flags": len(flag_reasons(result)),
            }
            for result in results
        ],
        report_links={sid: link(sid, REPORT_FILE) for sid, exists in reports.items() if exists},
        unreadable=[(path.relative_to(out_dir).as_posix(), why) for path, why in batch.unreadable],
        modes=sorted({result.mode for result in results}),
    )
    path = out_dir / DASHBOARD_FILE
    write_json_atomically(path, page)
    return path


def _summary(scores: list[float]) -> dict[str, Any]:
    if not scores:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
    return {
        "count": len(scores),
        "mean": statistics.fmean(scores),
        "median": statistics.median(scores),
        "min": min(scores),
        "max": max(scores),
    }


def item_stats(results: list[Result], rubric: Rubric) -> list[ItemStats]:
    """Status counts per automatic rubric item, in rubric order (manual items are all 'TA grades')."""
    stats = {
        item.id: ItemStats(item.id, item.title, item.points, item.bonus)
        for item in rubric.items
        if item.check != "manual"
    }
    for result in results:
        for check in result.checks:
            if check.id in stats:
                counts = stats[check.id].counts
                counts[check.status] = counts.get(check.status, 0) + 1
    return list(stats.values())


def awaiting_ta(results: list[Result]) -> dict[str, float]:
    """What the scores still leave out: the grades TAs have yet to give, and the most points a student waits
    for (TA-graded items are in the scores once graded)."""
    waiting = [[check for check in result.checks if check.awaits_ta] for result in results]
    return {
        "grades": sum(len(checks) for checks in waiting),
        "points": max((sum(check.max_points for check in checks) for checks in waiting), default=0.0),
    }


def flag_reasons(result: Result) -> list[str]:
    """Why a submission needs a human look; empty when it does not."""
    reasons = []
    if result.sandboxed is False:
        reasons.append("student code ran WITHOUT the sandbox")
    for finding in result.findings:
        if finding.kind == "intake-rejected":
            reasons.append(f"rejected at intake: {finding.detail}")
        elif finding.severity in FLAG_SEVERITIES:
            where = ", ".join(
                part
                for part in (
                    finding.notebook,
                    f"cell {finding.cell}" if finding.cell is not None else None,
                    f"line {finding.line}" if finding.line is not None else None,
                )
                if part
            )
            reasons.append(
                f"{finding.severity} {finding.kind}: {finding.detail}" + (f" ({where})" if where else "")
            )
    rejected = any(finding.kind == "intake-rejected" for finding in result.findings)
    for check in [] if rejected else result.checks:  # after a rejection every check fails: no news
        if check.id.startswith("integrity.") and check.status in ("fail", "error"):
            reasons.append(f"{check.id} {check.status}: {check.message}")
    if len(reasons) > MAX_REASONS:
        reasons = reasons[:MAX_REASONS] + [f"... and {len(reasons) - MAX_REASONS} more (see the report)"]
    return reasons


def read_similarity(out_dir: Path) -> tuple[list[SimilarPair], str | None]:
    """Pairs from ``OUT/similarity.json``, most similar first, and a note if the file is absent or broken."""
    path = out_dir / SIMILARITY_FILE
    if not path.is_file():
        return [], f"no {SIMILARITY_FILE} in this folder"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("pairs", [])
        pairs = [SimilarPair.model_validate(entry) for entry in data]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError, TypeError) as exc:
        return [], f"{SIMILARITY_FILE} could not be read: {exc}"
    return sorted(pairs, key=lambda pair: -pair.score), None
