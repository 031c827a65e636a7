"""``grader report``: every student report, the class dashboard and the gradebook of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import GraderError
from grader.manual.refresh import merge_all
from grader.report import load_batch, render_dashboard, render_student_report, write_gradebook
from grader.rubric import load_rubric, resolve_rubric

VERB = "report"
SUMMARY = "HTML reports, class dashboard and gradebook.csv of OUT"


def report(args: argparse.Namespace) -> int:
    return report_folder(Path(args.out), args.rubric, answer_keys=args.answer_keys)


def report_folder(out_dir: Path, rubric_name: str | Path, *, answer_keys: bool = False) -> int:
    """Render every page of OUT_DIR and print where they are; 1 when a record or a report failed, since a
    page that is missing would otherwise go unnoticed."""
    if not out_dir.is_dir():
        raise GraderError(f"results folder {out_dir} does not exist")
    rubric = load_rubric(resolve_rubric(rubric_name))
    merge_all(out_dir, rubric)  # the TAs' grades first, so every page shows them
    batch = load_batch(out_dir)
    failed = 0
    for folder, result in batch.results:
        try:
            render_student_report(folder, rubric, answer_keys=answer_keys)
        except GraderError as exc:
            failed += 1
            print(f"  {result.submission_id}: no report: {exc}")
    for path, why in batch.unreadable:
        print(f"  skipped {path}: {why}")
    print(f"{len(batch.results) - failed} student reports in {out_dir}/<submission-id>/report.html")
    print(f"dashboard: {render_dashboard(out_dir, rubric)}")
    print(f"gradebook: {write_gradebook(out_dir, rubric)}")
    return 1 if failed or batch.unreadable else 0


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
