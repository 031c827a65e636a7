"""``grader audit-band``: measure the seed noise that audit mode compares claimed curves within."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.band import measure_band
from grader.commands import default_of

VERB = "audit-band"
SUMMARY = "measure audit mode's band of seed noise from the reference (once per rubric)"


def run_audit_band(args: argparse.Namespace) -> int:
    band = measure_band(
        args.rubric,
        Path(args.data),
        Path(args.out),
        seeds=args.seeds,
        notebooks=args.notebooks or (),
        sandbox=not args.no_sandbox,
    )
    for key, entry in band.notebooks.items():
        print(
            f"{key}: epoch {entry.epoch}, seeds {len(entry.seeds)}, mean {entry.mean:.2%}, "
            f"std {entry.std * 100:.2f} points, band ±{entry.band * 100:.2f} points"
        )
    print(f"band: {args.out}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Grade the rubric's reference notebooks in audit mode with several seeds and write the "
        "band (mean, std, max(c*std, floor)) at each audited epoch to FILE, for 'grader grade --mode audit "
        "--band FILE'.",
    )
    parser.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    parser.add_argument("--data", required=True, help="the course data the class is graded on")
    parser.add_argument("--out", required=True, help="the band file to write (JSON)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=default_of(measure_band, "seeds"),
        help="reference runs (default: the rubric's audit.band.seeds)",
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        help="notebook keys to measure (default: the rubric's audit.epochs)",
    )
    parser.add_argument("--no-sandbox", action="store_true", help="run the reference without bubblewrap")
    parser.set_defaults(func=run_audit_band)
