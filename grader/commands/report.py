"""``grader report``: every student report, the class dashboard and the gradebook of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.manual.refresh import Refreshed, refresh
from grader.report import results_folder
from grader.rubric import load_rubric, resolve_rubric

VERB = "report"
SUMMARY = "HTML reports, class dashboard and gradebook.csv of OUT"


def report(args: argparse.Namespace) -> int:
    return report_folder(Path(args.out), args.rubric, answer_keys=args.answer_keys)


def report_folder(out_dir: Path, rubric_name: str | Path, *, answer_keys: bool = False) -> int:
    """Render every page of OUT_DIR, the TAs' grades merged first, and print where they are; 1 when a record
    or a report failed, since a page that is missing would otherwise go unnoticed."""
    out_dir = results_folder(out_dir)
    done = refresh(out_dir, load_rubric(resolve_rubric(rubric_name)), answer_keys=answer_keys)
    return print_refreshed(done, out_dir)


def print_refreshed(done: Refreshed, out_dir: Path) -> int:
    """What REFRESH rendered and what it could not; 1 when anything failed."""
    for sid, why in done.failed:
        print(f"  {sid}: no report: {why}")
    for path, why in done.unreadable:
        print(f"  skipped {path}: {why}")
    print(f"{done.reports} student reports in {out_dir}/<submission-id>/report.html")
    print(f"dashboard: {done.dashboard}")
    print(f"gradebook: {done.gradebook}")
    return 1 if done.failed or done.unreadable else 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Write OUT/<id>/report.html for every result in OUT, the class dashboard "
        "OUT/index.html and OUT/gradebook.csv. Exits 1 when a record or a report failed.",
    )
    parser.add_argument("out", help="the --out folder of 'grader grade' or 'grader batch'")
    parser.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    parser.add_argument(
        "--answer-keys",
        action="store_true",
        help="show the answer keys of manual items in the student reports (for TAs; off by default)",
    )
    parser.set_defaults(func=report)
