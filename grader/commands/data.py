"""``grader data build`` and ``grader data show``."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands import default_of
from grader.coursedata import BuildSummary, build_course_data
from grader.coursedata.show import class_table, contact_sheet

VERB = "data"
SUMMARY = "build and inspect the course's CIFAR-10 data"


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
    print(describe_build(summary, args.relabel_seed))
    return 0


def describe_build(summary: BuildSummary, relabel_seed: int | None) -> str:
    counts = summary.counts
    lines = [
        f"built {summary.out}: train {counts['train']}, val {counts['val']}, test {counts['test']} "
        f"in {summary.seconds:.1f} s"
    ]
    if relabel_seed is not None:
        lines.append(
            f"classes relabelled with seed {relabel_seed} (the permutation is in hidden/manifest.json)"
        )
    return "\n".join(lines)


def data_show(args: argparse.Namespace) -> int:
    data_dir = Path(args.data)
    show_data(data_dir, Path(args.png) if args.png else data_dir.parent / f"{data_dir.name}-samples.png")
    return 0


def show_data(data_dir: Path, png: Path) -> None:
    """Print the class counts and save the contact sheet to PNG, for a TA to see the classes are right."""
    print(class_table(data_dir))
    print(f"sample images: {contact_sheet(data_dir, png)}")


def register(verbs: argparse._SubParsersAction) -> None:
    data = verbs.add_parser(
        VERB,
        description="Build the course's CIFAR-10 layout (the zips students get, and the hidden test labels "
        "TAs keep), and inspect what was built.",
    )
    data_verbs = data.add_subparsers(dest="data_verb", required=True, title="verbs")
    build = data_verbs.add_parser(
        "build",
        help="build the course layout from CIFAR-10",
        description="Build the course layout from CIFAR-10: train and validation zips for the students, the "
        "test images, and a TA-only hidden/ folder with the test labels.",
    )
    build.add_argument(
        "--source", required=True, help="cifar-10-batches-py folder, cifar-10-python.tar.gz, or synthetic[:N]"
    )
    build.add_argument("--out", required=True, help="folder to create (with a TA-only hidden/ inside)")
    build.add_argument(
        "--relabel-seed",
        type=int,
        default=default_of(build_course_data, "relabel_seed"),
        help="apply a secret class permutation without fixed points (anti-cheat)",
    )
    build.add_argument(
        "--term",
        default=default_of(build_course_data, "term"),
        help="term tag in the zip names (default %(default)s)",
    )
    build.add_argument(
        "--val-size",
        type=int,
        default=default_of(build_course_data, "val_size"),
        help="validation images taken from the training set (default: a tenth, 5000 for CIFAR-10)",
    )
    build.add_argument(
        "--split-seed",
        type=int,
        default=default_of(build_course_data, "split_seed"),
        help="seed of the train/val split (default %(default)s)",
    )
    build.add_argument("--force", action="store_true", help="replace OUT if it exists")
    build.set_defaults(func=data_build)
    show = data_verbs.add_parser(
        "show",
        help="print class counts and save a contact sheet",
        description="Print the images per class of each split and save a contact sheet of samples.",
    )
    show.add_argument("data", help="a folder made by 'grader data build'")
    show.add_argument("--png", default=None, help="where to save the contact sheet (default: beside DATA)")
    show.set_defaults(func=data_show)
