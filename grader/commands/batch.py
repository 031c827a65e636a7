"""``grader batch``: every submission of a class download, graded in parallel and resumably."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.batch import format_summary, grade_batch
from grader.commands import default_of
from grader.commands.grade import add_grading_arguments, grading_options

VERB = "batch"
SUMMARY = "grade a class: a folder of submissions or an LMS download"


def batch(args: argparse.Namespace) -> int:
    options = grading_options(args)
    gpus = [gpu.strip() for gpu in args.gpus.split(",") if gpu.strip()] if args.gpus else None
    try:
        summary = grade_batch(
            Path(args.input),
            options,
            workers=args.workers,
            gpus=gpus,
            submission_timeout_s=args.timeout_s,
            similarity_threshold=None if args.no_similarity else args.similarity_threshold,
            reports=not args.no_reports,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        print(f"interrupted: the graded results are kept in {args.out}; run the same command to go on")
        return 130
    print(format_summary(summary))
    if options.mode != "static" and not options.sandbox:
        print("warning: student code ran WITHOUT the sandbox (--no-sandbox)")
    print(f"summary: {Path(args.out) / 'batch-summary.json'}")
    if not args.no_reports and (Path(args.out) / "index.html").is_file():
        print(
            f"dashboard: {Path(args.out) / 'index.html'} (student pages: grader report OUT --rubric RUBRIC)"
        )
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Grade every submission under INPUT: per-student zips or folders, or a Canvas, Sakai or "
        "Gradescope download, in parallel worker processes. A second run grades only what changed or was "
        "not finished. Besides OUT/<id>/result.json it writes OUT/batch-summary.json, "
        "OUT/similarity.json, the class dashboard OUT/index.html and OUT/gradebook.csv.",
    )
    parser.add_argument("input", help="the folder holding the submissions")
    add_grading_arguments(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=default_of(grade_batch, "workers"),
        help="submissions graded at once (default %(default)s)",
    )
    parser.add_argument(
        "--gpus",
        default=default_of(grade_batch, "gpus"),
        help="GPU ids the workers are pinned to round-robin, e.g. 0,1 (default: all)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=default_of(grade_batch, "submission_timeout_s"),
        help="wall-clock limit per submission (default: the rubric's notebook limits plus ten minutes)",
    )
    parser.add_argument(
        "--similarity-threshold",
        type=float,
        default=default_of(grade_batch, "similarity_threshold"),
        help="notebook pairs at least this similar are listed in OUT/similarity.json (default %(default)s)",
    )
    parser.add_argument("--no-similarity", action="store_true", help="skip the similarity pass at the end")
    parser.add_argument(
        "--no-reports", action="store_true", help="skip the dashboard and gradebook at the end"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=batch)
