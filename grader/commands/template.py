"""``grader template build|check``: the student template derived from the reference notebooks."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.paths import REFERENCE_NOTEBOOKS
from grader.template import build_template, check_template

VERB = "template"
SUMMARY = "derive the student template from the reference notebooks"


def template_build(args: argparse.Namespace) -> int:
    written = build_template(Path(args.reference), Path(args.out))
    print(f"{len(written)} file(s) written to {args.out}" if written else f"{args.out} is already up to date")
    return 0


def template_check(args: argparse.Namespace) -> int:
    differences = check_template(Path(args.reference), Path(args.out))
    for line in differences:
        print(line)
    if differences:
        print("run `grader template build` to regenerate the template")
        return 1
    print(f"{args.out} is in sync with {args.reference}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Derive the student template (notebooks with placeholders for the solution code, "
        "sample.csv and README) from the reference notebooks, or check that the committed one is in sync.",
    )
    actions = parser.add_subparsers(dest="template_verb", required=True, title="verbs")
    for name, func, text in (
        ("build", template_build, "write the template notebooks, sample.csv and README"),
        ("check", template_check, "exit 1 when the committed template differs from a fresh build"),
    ):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument(
            "--reference",
            default=str(REFERENCE_NOTEBOOKS),
            help="the reference notebooks (default %(default)s)",
        )
        action.add_argument(
            "--out",
            default="student_template",
            help="the template folder (default %(default)s, run from the repository root)",
        )
        action.set_defaults(func=func)
