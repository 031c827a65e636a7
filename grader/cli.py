"""The ``grader`` command. Each verb calls one function of the Python API and prints what it did."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from grader.commands import (
    audit_band,
    batch,
    data,
    demo,
    grade,
    gradescope,
    manual,
    precheck,
    report,
    review,
    similarity,
    template,
)
from grader.errors import GraderError

COMMANDS = (
    data,
    grade,
    batch,
    audit_band,
    similarity,
    precheck,
    report,
    review,
    manual,
    gradescope,
    template,
    demo,
)
DESCRIPTION = "Grade the CIFAR-10 CNN homework: one submission or a whole class, with reports for TAs."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        usage="grader [-h] <verb> [options]",
        description=DESCRIPTION,
        epilog=verb_list() + "\n\nRun 'grader <verb> --help' for the options of a verb.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # The verbs are listed by verb_list, one line each; argparse would wrap a long verb's help onto two.
    verbs = parser.add_subparsers(
        dest="verb", required=True, metavar="<verb>", help=argparse.SUPPRESS, prog=parser.prog
    )
    for command in COMMANDS:
        command.register(verbs)
    return parser


def verb_list() -> str:
    width = max(len(command.VERB) for command in COMMANDS)
    return "verbs:\n" + "\n".join(f"   {command.VERB:<{width}}   {command.SUMMARY}" for command in COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
