"""``python -m reference EXPERIMENT --data DIR --out OUT``: one subcommand per lab, each a module of
reference.experiments exposing HELP, add_arguments(parser) and run(args) -> exit status."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import torch

from reference.data import CourseDataError

EXPERIMENTS = ("lab1", "lab2", "lab3", "project2")


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", required=True, help="course data folder (from `python -m grader data build`)"
    )
    parser.add_argument("--out", required=True, help="folder for results.json, summary.md, plots and logs")
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epoch budget")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--deterministic", action="store_true", help="deterministic kernels where possible")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reference", description="Reference solutions of the labs."
    )
    subparsers = parser.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")
    for name in EXPERIMENTS:
        module = importlib.import_module(f"reference.experiments.{name}")
        sub = subparsers.add_parser(name, help=module.HELP.replace("%", "%%"), description=module.__doc__)
        _add_common_arguments(sub)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        return args.run(args)
    except (CourseDataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
