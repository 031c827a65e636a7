"""``grader similarity``: notebook pairs of a graded class that share unusually much code."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.batch.similarity import SIMILARITY_FILE, find_similar
from grader.commands import default_of

VERB = "similarity"
SUMMARY = "list notebook pairs of a graded class that share much code"


def similarity(args: argparse.Namespace) -> int:
    template = Path(args.template) if args.template else None
    pairs = find_similar(Path(args.out), rubric=args.rubric, threshold=args.threshold, template=template)
    for pair in pairs:
        print(f"{pair.score:6.1%}  {pair.notebook}  {pair.a}  {pair.b}")
    print(f"{len(pairs)} pairs at or above {args.threshold:.0%}: {Path(args.out) / SIMILARITY_FILE}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Compare the notebooks of a graded OUT, the term's student template and the "
        "reference notebooks not counting, and list the pairs at or above the threshold in "
        "OUT/similarity.json.",
    )
    parser.add_argument("out", help="the OUT folder of 'grader grade' or 'grader batch'")
    parser.add_argument(
        "--threshold",
        type=float,
        default=default_of(find_similar, "threshold"),
        help="lowest score listed (default %(default)s)",
    )
    parser.add_argument(
        "--rubric",
        default=default_of(find_similar, "rubric"),
        help="rubric naming the notebooks (default: the one in the results)",
    )
    parser.add_argument(
        "--template",
        metavar="DIR",
        help="the term's student template, a folder of notebooks whose code does not count "
        "(default: the rubric's template folder, else the F20 template)",
    )
    parser.set_defaults(func=similarity)
