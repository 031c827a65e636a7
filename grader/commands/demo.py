"""``grader demo``: the main job on an embedded default, with no download and no GPU.

It builds synthetic course data (or real CIFAR-10 when CIFAR10_DIR points at the pickles), makes four
sample submissions (the reference executed for a few epochs, the blank template, a broken one and one
using pretrained weights), batch-grades them, and renders the reports and the class dashboard.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from grader.batch import format_summary, grade_batch
from grader.commands.data import data_build, data_show
from grader.commands.report import report
from grader.execute import sandbox_available
from grader.pipeline import GradeOptions
from grader.rubric import load_rubric, resolve_rubric
from grader.samples.submissions import (
    SAMPLE_EPOCHS,
    broken_submission,
    pretrained_submission,
    reference_submission,
    template_submission,
)

RUBRIC = "ece590-hw2-f20"


def demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    source = args.source or os.environ.get("CIFAR10_DIR") or "synthetic:3000"
    data_dir = out / "course-data"
    print(f"1. building course data from {source}")
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
    data_show(argparse.Namespace(data=data_dir, png=out / "course-data-samples.png"))

    sandbox = sandbox_available()
    if not sandbox:
        print("warning: bubblewrap is missing, so the demo runs notebooks WITHOUT the sandbox")
    submissions = out / "submissions"
    shutil.rmtree(submissions, ignore_errors=True)
    print("2. making sample submissions: executing the reference notebooks (a few minutes on a CPU)")
    reference = reference_submission(
        load_rubric(resolve_rubric(RUBRIC)),
        data_dir,
        submissions / "reference",
        SAMPLE_EPOCHS,
        sandboxed=sandbox,
    )
    template_submission(submissions / "template")
    broken_submission(reference, submissions / "broken")
    pretrained_submission(reference, submissions / "pretrained")

    graded = out / "graded"
    print(f"3. batch-grading {submissions} in {args.mode} mode")
    options = GradeOptions(rubric=RUBRIC, out_dir=graded, data_dir=data_dir, mode=args.mode, sandbox=sandbox)
    summary = grade_batch(submissions, options, workers=args.workers, progress=False)
    print(format_summary(summary))
    report(argparse.Namespace(out=graded, rubric=RUBRIC, answer_keys=False))
    print(f"open {graded / 'index.html'} in a browser for the class dashboard")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("demo", help="run the main job on the embedded default (no download, no GPU)")
    parser.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    parser.add_argument(
        "--source", default=None, help="override the data source (default: $CIFAR10_DIR or synthetic:3000)"
    )
    parser.add_argument("--relabel-seed", type=int, default=7)
    parser.add_argument("--mode", choices=("static", "quick"), default="quick")
    parser.add_argument("--workers", type=int, default=2)
    parser.set_defaults(func=demo)
