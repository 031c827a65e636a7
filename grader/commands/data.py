"""``grader data build`` and ``grader data show``."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.coursedata import build_course_data
from grader.coursedata.show import class_table, contact_sheet


def data_build(args: argparse.Namespace) -> int:
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


def data_show(args: argparse.Namespace) -> int:
    data_dir = Path(args.data)
    print(class_table(data_dir))
    png = contact_sheet(
        data_dir, Path(args.png) if args.png else data_dir.parent / f"{data_dir.name}-samples.png"
    )
    print(f"sample images: {png}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
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
    build.set_defaults(func=data_build)
    show = data_verbs.add_parser("show", help="print class counts and save a contact sheet")
    show.add_argument("data", help="a folder made by `grader data build`")
    show.add_argument("--png", default=None, help="where to save the contact sheet")
    show.set_defaults(func=data_show)
