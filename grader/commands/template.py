"""``grader template build|check``: the student template derived from the reference notebooks."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import GraderError
from grader.paths import REFERENCE_NOTEBOOKS
from grader.template import TERMS, build_template, check_template

VERB = "template"
SUMMARY = "derive the student template from the reference notebooks"


def _targets(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(term, folder) for each template to act on: one with --term, every term's own folder without."""
    if args.term is None:
        if args.out is not None:
            raise GraderError("--out needs --term: say which term's template goes there")
        return [(term, Path(spec.folder)) for term, spec in TERMS.items()]
    return [(args.term, Path(args.out or TERMS[args.term].folder))]


def template_build(args: argparse.Namespace) -> int:
    for term, out in _targets(args):
        written = build_template(Path(args.reference), out, term)
        print(f"{term}: {len(written)} file(s) written to {out}")
    return 0


def template_check(args: argparse.Namespace) -> int:
    status = 0
    for term, out in _targets(args):
        differences = check_template(Path(args.reference), out, term)
        for line in differences:
            print(f"{out}/{line}")
        if differences:
            print(f"run `grader template build --term {term}` to regenerate the template")
            status = 1
        else:
            print(f"{out} ({term}) is in sync with {args.reference}")
    return status


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Derive the student template (notebooks with placeholders for the solution code, "
        "sample CSV and README) from the reference notebooks, or check that the committed one is in sync.",
    )
    actions = parser.add_subparsers(dest="template_verb", required=True, title="verbs")
    for name, func, text in (
        ("build", template_build, "write the template notebooks, sample CSV and README"),
        ("check", template_check, "exit 1 when the committed template differs from a fresh build"),
    ):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument(
            "--reference",
            default=str(REFERENCE_NOTEBOOKS),
            help="the reference notebooks (default %(default)s)",
        )
        action.add_argument(
            "--term",
            choices=sorted(TERMS),
            help="the term whose template to act on (default: every term, each in its own folder)",
        )
        action.add_argument(
            "--out",
            help="the template folder, with --term (default: the term's folder, "
            + ", ".join(f"{spec.folder} for {term}" for term, spec in TERMS.items())
            + "; run from the repository root)",
        )
        action.set_defaults(func=func)
