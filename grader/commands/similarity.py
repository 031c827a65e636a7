"""``grader similarity``: notebook pairs of a graded class that share unusually much code."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.batch.similarity import SIMILARITY_FILE, find_similar


def similarity(args: argparse.Namespace) -> int:
    pairs = find_similar(Path(args.out), rubric=args.rubric, threshold=args.threshold)
    for pair in pairs:
        print(f"{pair.score:6.1%}  {pair.notebook}  {pair.a}  {pair.b}")
    print(f"{len(pairs)} pairs at or above {args.threshold:.0%}: {Path(args.out) / SIMILARITY_FILE}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("similarity", help="find notebook pairs with much shared code in a graded OUT")
    parser.add_argument("out", help="the OUT folder of `grader grade` or `grader batch`")
    parser.add_argument("--threshold", type=float, default=0.6, help="lowest score listed (default 0.6)")
    parser.add_argument(
        "--rubric", default=None, help="rubric naming the notebooks (default: the one in the results)"
    )
    parser.set_defaults(func=similarity)
