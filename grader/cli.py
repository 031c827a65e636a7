"""The ``grader`` command. Each verb calls one function of the Python API and prints what it did."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.coursedata import build_course_data
from grader.coursedata.show import class_table, contact_sheet
from grader.errors import GraderError
from grader.grading import GradeOptions, grade_submission


def _cmd_data_build(args: argparse.Namespace) -> int:
    summary = build_course_data(
        args.source,
        Path(args.out),
        relabel_seed=args.relabel_seed,
        term=args.term,
        val_size=args.val_size,
        split_seed=args.split_seed,
        force=args.force,
    )
    counts = summary.counts
    print(
        f"built {summary.out}: train {counts['train']}, val {counts['val']}, test {counts['test']} "
        f"in {summary.seconds:.1f} s"
    )
    if args.relabel_seed is not None:
        print(
            f"classes relabelled with seed {args.relabel_seed} (the permutation is in hidden/manifest.json)"
        )
    return 0


def _cmd_data_show(args: argparse.Namespace) -> int:
    data_dir = Path(args.data)
    print(class_table(data_dir))
    png = contact_sheet(
        data_dir, Path(args.png) if args.png else data_dir.parent / f"{data_dir.name}-samples.png"
    )
    print(f"sample images: {png}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    options = GradeOptions(
        rubric=args.rubric,
        out_dir=Path(args.out),
        data_dir=Path(args.data) if args.data else None,
        mode=args.mode,
        sandbox=not args.no_sandbox,
    )
    result = grade_submission(Path(args.submission), options)
    print(
        f"{result.submission_id}: {result.score:g} / {result.max_score:g}"
        + (f" (bonus {result.bonus:g})" if result.bonus else "")
        + f" in {result.mode} mode"
    )
    for check in result.checks:
        if check.status in ("fail", "error"):
            print(f"  {check.status:5} {check.id}: {check.message}")
    if options.mode != "static" and not options.sandbox:
        print("  warning: student code ran WITHOUT the sandbox (--no-sandbox)")
    print(f"result: {Path(args.out) / result.submission_id / 'result.json'}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """The main job on an embedded default: synthetic data unless CIFAR10_DIR points at the real pickles."""
    out = Path(args.out)
    source = args.source or os.environ.get("CIFAR10_DIR") or "synthetic:6000"
    data_dir = out / "course-data"
    print(f"building course data from {source}")
    _cmd_data_build(
        argparse.Namespace(
            source=source,
            out=data_dir,
            relabel_seed=args.relabel_seed,
            term="F20",
            val_size=None,
            split_seed=0,
            force=True,
        )
    )
    return _cmd_data_show(argparse.Namespace(data=data_dir, png=out / "course-data-samples.png"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    data = verbs.add_parser("data", help="build and inspect the course's CIFAR-10 data")
    data_verbs = data.add_subparsers(dest="data_verb", required=True)
    build = data_verbs.add_parser("build", help="build the course layout from CIFAR-10")
    build.add_argument(
        "--source", required=True, help="cifar-10-batches-py folder, cifar-10-python.tar.gz, or synthetic[:N]"
    )
    build.add_argument("--out", required=True, help="folder to create (with a TA-only hidden/ inside)")
    build.add_argument(
        "--relabel-seed",
        type=int,
        default=None,
        help="apply a secret class permutation without fixed points (anti-cheat)",
    )
    build.add_argument("--term", default="F20", help="term tag in the zip names, e.g. F20 (default)")
    build.add_argument(
        "--val-size",
        type=int,
        default=None,
        help="validation images taken from the training set (default: a tenth, 5000 for CIFAR-10)",
    )
    build.add_argument("--split-seed", type=int, default=0, help="seed of the train/val split (default 0)")
    build.add_argument("--force", action="store_true", help="replace OUT if it exists")
    build.set_defaults(func=_cmd_data_build)
    show = data_verbs.add_parser("show", help="print class counts and save a contact sheet")
    show.add_argument("data", help="a folder made by `grader data build`")
    show.add_argument("--png", default=None, help="where to save the contact sheet")
    show.set_defaults(func=_cmd_data_show)

    grade = verbs.add_parser("grade", help="grade one submission (a zip or a folder)")
    grade.add_argument("submission", help="the submission: a zip or a folder")
    grade.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    grade.add_argument("--data", default=None, help="course data made by `grader data build` (with hidden/)")
    grade.add_argument("--out", required=True, help="results go to OUT/<submission-id>/")
    grade.add_argument(
        "--mode",
        choices=("static", "quick", "full"),
        default="static",
        help="static: no execution; quick: a small subset with short runs (CPU); full: as submitted",
    )
    grade.add_argument(
        "--no-sandbox", action="store_true", help="run student code without bubblewrap (the result says so)"
    )
    grade.set_defaults(func=_cmd_grade)

    demo = verbs.add_parser("demo", help="run the main job on the embedded default (no download, no GPU)")
    demo.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    demo.add_argument(
        "--source", default=None, help="override the data source (default: $CIFAR10_DIR or synthetic)"
    )
    demo.add_argument("--relabel-seed", type=int, default=7)
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
