"""``grader precheck``: the student's check before submitting, with a fix for each failure."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.precheck import DEFAULT_RUBRIC, format_precheck, precheck


def run_precheck(args: argparse.Namespace) -> int:
    report = precheck(
        Path(args.dir),
        args.rubric,
        Path(args.data) if args.data else None,
        sandbox=False if args.no_sandbox else None,
        out_dir=Path(args.out) if args.out else None,
    )
    print(format_precheck(report))
    return 0 if report.ok else 1


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "precheck", help="check your homework folder before submitting (quick mode, CPU, no hidden labels)"
    )
    parser.add_argument("dir", nargs="?", default=".", help="the folder with your notebooks (default: here)")
    parser.add_argument(
        "--rubric", default=DEFAULT_RUBRIC, help=f"the homework's rubric (default {DEFAULT_RUBRIC})"
    )
    parser.add_argument("--data", default=None, help="the course data folder (default: DIR/data)")
    parser.add_argument("--out", default=None, help="keep the executed notebooks and logs here")
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run without bubblewrap even where it is installed"
    )
    parser.set_defaults(func=run_precheck)
