"""The ``grader`` command. Each verb calls one function of the Python API and prints what it did."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from grader.commands import batch, data, demo, grade, gradescope, precheck, report, similarity, template
from grader.errors import GraderError

COMMANDS = (data, grade, batch, similarity, precheck, report, gradescope, template, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    for command in COMMANDS:
        command.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
