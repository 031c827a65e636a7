"""``grader demo``: the main job on an embedded default, with no download and no GPU."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from grader.commands.data import data_build, data_show


def demo(args: argparse.Namespace) -> int:
    """Synthetic course data unless CIFAR10_DIR points at the real pickles."""
    out = Path(args.out)
    source = args.source or os.environ.get("CIFAR10_DIR") or "synthetic:6000"
    data_dir = out / "course-data"
    print(f"building course data from {source}")
    data_build(
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
    return data_show(argparse.Namespace(data=data_dir, png=out / "course-data-samples.png"))


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("demo", help="run the main job on the embedded default (no download, no GPU)")
    parser.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    parser.add_argument(
        "--source", default=None, help="override the data source (default: $CIFAR10_DIR or synthetic)"
    )
    parser.add_argument("--relabel-seed", type=int, default=7)
    parser.set_defaults(func=demo)
