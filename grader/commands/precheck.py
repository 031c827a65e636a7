"""``grader precheck``: the student's check before submitting, with a fix for each failure."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands import default_of
from grader.execute.host import TRANSPORT_ENV, TRANSPORTS
from grader.precheck import format_precheck, precheck

VERB = "precheck"
SUMMARY = "check your homework before submitting (quick mode, CPU)"


def run_precheck(args: argparse.Namespace) -> int:
    report = precheck(
        Path(args.dir),
        args.rubric,
        Path(args.data) if args.data else None,
        sandbox=False if args.no_sandbox else None,
        out_dir=Path(args.out) if args.out else None,
        transport=args.kernel_transport,
    )
    print(format_precheck(report))
    return 0 if report.ok else 1


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Check your homework folder before submitting: the quick checks, on CPU, without the "
        "hidden labels. Prints what will fail with a fix for each, and exits 1 when something fails.",
    )
    parser.add_argument("dir", nargs="?", default=".", help="the folder with your notebooks (default: here)")
    parser.add_argument(
        "--rubric", default=default_of(precheck, "rubric"), help="the homework's rubric (default %(default)s)"
    )
    parser.add_argument(
        "--data", default=default_of(precheck, "data_dir"), help="the course data folder (default: DIR/data)"
    )
    parser.add_argument(
        "--out", default=default_of(precheck, "out_dir"), help="keep the executed notebooks and logs here"
    )
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run without bubblewrap even where it is installed"
    )
    parser.add_argument(
        "--kernel-transport",
        choices=TRANSPORTS,
        default=default_of(precheck, "transport"),
        help=f"how the unsandboxed kernel talks to the pre-check (default: ipc, or tcp on 127.0.0.1 where "
        f"unix sockets are missing, as on Windows; also {TRANSPORT_ENV}=tcp); a sandboxed kernel uses ipc",
    )
    parser.set_defaults(func=run_precheck)
