"""Plumbing shared by the study experiments (labs 2, 3 and project 2): options, progress lines, data."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from reference.data import CourseData, load_course_data
from reference.train import EpochMetrics, TrainConfig


def add_limit_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=int, default=None, help="use only the first N images of each split (quick runs)"
    )


def load(args: argparse.Namespace, *, with_test: bool = False) -> CourseData:
    """The course data, cut to ``--limit`` images per split when given."""
    data = load_course_data(Path(args.data), with_test=with_test)
    if args.limit is not None:
        if args.limit < 1:
            raise ValueError(f"--limit must be positive, not {args.limit}")
        data = data.limit(args.limit)
    return data


def with_common(config: TrainConfig, args: argparse.Namespace, **overrides: object) -> TrainConfig:
    """The recipe with the CLI's device, compile, determinism and seed options applied."""
    if args.seed is not None:
        overrides.setdefault("seed", args.seed)
    return replace(
        config, device=args.device, compile=args.compile, deterministic=args.deterministic, **overrides
    )


def echo(tag: str) -> Callable[[EpochMetrics], None]:
    """A one-line progress report per epoch, prefixed by the run's name."""

    def report(m: EpochMetrics) -> None:
        print(
            f"[{tag}] epoch {m.epoch}: train loss {m.train_loss:.4f} acc {m.train_acc:.4f}, "
            f"val loss {m.val_loss:.4f} acc {m.val_acc:.4f}, lr {m.lr:.4g}, {m.seconds:.1f} s",
            flush=True,
        )

    return report
