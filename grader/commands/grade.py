"""``grader grade``: one submission, one result.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import get_args

from grader.commands import default_of
from grader.evidence.audit import BAND_FILE
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Mode

VERB = "grade"
SUMMARY = "grade one submission (a zip or a folder)"


def grading_options(args: argparse.Namespace) -> GradeOptions:
    """The options of ``add_grading_arguments``, as the pipeline takes them."""
    return GradeOptions(
        rubric=args.rubric,
        out_dir=Path(args.out),
        data_dir=Path(args.data) if args.data else None,
        mode=args.mode,
        sandbox=not args.no_sandbox,
        band=Path(args.band) if args.band else None,
    )


def grade(args: argparse.Namespace) -> int:
    options = grading_options(args)
    result = grade_submission(Path(args.submission), options)
    print(
        f"{result.submission_id}: {result.score:g} / {result.max_score:g}"
        + (f" (bonus {result.bonus:g})" if result.bonus else "")
        + f" in {result.mode} mode"
    )
    for check in result.checks:
        if check.status in ("fail", "error"):
            print(f"  {check.status:5} {check.id}: {check.message}")
    if options.mode != "static" and not options.sandbox:
        print("  warning: student code ran WITHOUT the sandbox (--no-sandbox)")
    print(f"result: {Path(args.out) / result.submission_id / 'result.json'}")
    return 0


def add_grading_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by every verb that grades (grade, batch), with the pipeline's defaults."""
    parser.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    parser.add_argument(
        "--data",
        default=default_of(GradeOptions, "data_dir"),
        help="course data made by 'grader data build' (with hidden/)",
    )
    parser.add_argument("--out", required=True, help="results go to OUT/<submission-id>/")
    parser.add_argument(
        "--mode",
        choices=get_args(Mode),
        default=default_of(GradeOptions, "mode"),
        help="static: no execution; quick: a small subset with short runs (CPU); full: as submitted; "
        "audit: as submitted until the rubric's audit epochs, then the claimed curve is checked there "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--band",
        default=default_of(GradeOptions, "band"),
        help=f"audit mode's seed-noise band, written by 'grader audit-band' (default: OUT/{BAND_FILE})",
    )
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run student code without bubblewrap (the result says so)"
    )


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Grade one submission, a zip or a folder, and write OUT/<id>/result.json with "
        "the score, every check and its evidence.",
    )
    parser.add_argument("submission", help="the submission: a zip or a folder")
    add_grading_arguments(parser)
    parser.set_defaults(func=grade)
