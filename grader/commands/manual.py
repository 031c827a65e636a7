"""``grader manual export|import``: the TAs' grades of a results folder as a CSV, for grading in a
spreadsheet; an import is checked whole before anything is written, then merged into the results and
their reports."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from grader.commands.report import print_refreshed
from grader.manual.refresh import refresh
from grader.manual.spreadsheet import export_csv, import_csv
from grader.report import results_folder
from grader.rubric import load_rubric, resolve_rubric

VERB = "manual"
SUMMARY = "export or import the TAs' grades of OUT as a CSV (for grading in a spreadsheet)"


def export(args: argparse.Namespace) -> int:
    out = results_folder(args.out)
    rows = export_csv(out, Path(args.csv))
    print(f"{rows} gradable items written to {args.csv}; fill in 'points' (and 'comment') and import it")
    return 0


def import_(args: argparse.Namespace) -> int:
    out = results_folder(args.out)
    rubric = load_rubric(resolve_rubric(args.rubric))
    done = import_csv(out, Path(args.csv), grader=args.grader or getpass.getuser())
    print(f"{done.written} grades imported, {done.unchanged} unchanged, {done.empty} rows without points")
    return print_refreshed(refresh(out, rubric), out)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(VERB, description=SUMMARY)
    actions = parser.add_subparsers(dest="action", required=True, metavar="{export,import}")
    out_help = "the --out folder of 'grader grade' or 'grader batch'"
    exporting = actions.add_parser(
        "export",
        description="Write one row per submission and item a TA grades, with the grades stored so far.",
    )
    exporting.add_argument("out", help=out_help)
    exporting.add_argument("--csv", required=True, help="the CSV file to write")
    exporting.set_defaults(func=export)
    importing = actions.add_parser(
        "import",
        description="Check every row, then store the grades and render the reports, dashboard and "
        "gradebook again. A bad row (unknown id, points not a number or over the item's maximum) stops "
        "the import with nothing written. Empty points leave a grade as it is.",
    )
    importing.add_argument("out", help=out_help)
    importing.add_argument("--csv", required=True, help="a CSV written by 'grader manual export'")
    importing.add_argument(
        "--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric"
    )
    importing.add_argument("--grader", help="the TA's name stored with each grade (default: the login name)")
    importing.set_defaults(func=import_)
