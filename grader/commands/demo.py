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
from grader.commands import default_of
from grader.commands.data import describe_build, show_data
from grader.commands.report import report_folder
from grader.coursedata import build_course_data
from grader.execute import sandbox_available
from grader.pipeline import GradeOptions
from grader.records import Mode
from grader.rubric import load_rubric, resolve_rubric
from grader.samples.submissions import (
    SAMPLE_EPOCHS,
    broken_submission,
    pretrained_submission,
    reference_submission,
    template_submission,
)

VERB = "demo"
SUMMARY = "grade four sample submissions offline (no download, no GPU)"
RUBRIC = "ece590-hw2-f20"


def demo(args: argparse.Namespace) -> int:
    return run_demo(
        Path(args.out),
        source=args.source,
        relabel_seed=args.relabel_seed,
        mode=args.mode,
        workers=args.workers,
    )


def run_demo(
    out: Path = Path("demo-out"),
    *,
    source: str | None = None,
    relabel_seed: int | None = 7,
    mode: Mode = "quick",
    workers: int = 2,
) -> int:
    """The demo into OUT. SOURCE: the CIFAR-10 to build the course data from (default: $CIFAR10_DIR, else
    3000 synthetic images); two workers, so the four submissions show the batch grading in parallel."""
    source = source or os.environ.get("CIFAR10_DIR") or "synthetic:3000"
    data_dir = out / "course-data"
    print(f"1. building course data from {source}")
    built = build_course_data(source, data_dir, relabel_seed=relabel_seed, force=True)
    print(describe_build(built, relabel_seed))
    show_data(data_dir, out / "course-data-samples.png")

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
    print(f"3. batch-grading {submissions} in {mode} mode")
    options = GradeOptions(rubric=RUBRIC, out_dir=graded, data_dir=data_dir, mode=mode, sandbox=sandbox)
    summary = grade_batch(submissions, options, workers=workers, progress=False)
    print(format_summary(summary))
    report_folder(graded, RUBRIC)
    print(f"open {graded / 'index.html'} in a browser for the class dashboard")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Build course data, make four sample submissions (the reference executed for a few "
        "epochs, the blank template, a broken one and one using pretrained weights), batch-grade them and "
        "render the reports and the class dashboard. No download, no GPU; several minutes on a CPU.",
    )
    parser.add_argument(
        "--out", default=default_of(run_demo, "out"), help="output folder (default %(default)s)"
    )
    parser.add_argument(
        "--source",
        default=default_of(run_demo, "source"),
        help="override the data source (default: $CIFAR10_DIR or synthetic:3000)",
    )
    parser.add_argument(
        "--relabel-seed",
        type=int,
        default=default_of(run_demo, "relabel_seed"),
        help="the class permutation of the course data (default %(default)s)",
    )
    parser.add_argument(
        "--mode",
        choices=("static", "quick"),
        default=default_of(run_demo, "mode"),
        help="grading depth (default %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_of(run_demo, "workers"),
        help="submissions graded at once (default %(default)s)",
    )
    parser.set_defaults(func=demo)
