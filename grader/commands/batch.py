"""``grader batch``: every submission of a class download, graded in parallel and resumably."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.batch import format_summary, grade_batch
from grader.cluster import SlurmOptions, cancel_cluster_batch, cluster_status, grade_on_slurm
from grader.commands import default_of
from grader.commands.grade import add_grading_arguments, grading_options
from grader.errors import GraderError

VERB = "batch"
SUMMARY = "grade a class: a folder of submissions or an LMS download"


def batch(args: argparse.Namespace) -> int:
    options = grading_options(args)
    gpus = [gpu.strip() for gpu in args.gpus.split(",") if gpu.strip()] if args.gpus else None
    common = {
        "workers": args.workers,
        "submission_timeout_s": args.timeout_s,
        "similarity_threshold": None if args.no_similarity else args.similarity_threshold,
        "template": Path(args.template) if args.template else None,
        "reports": not args.no_reports,
        "progress": not args.quiet,
    }
    try:
        if args.cluster == "slurm":
            summary = grade_on_slurm(Path(args.input), options, slurm_options(args), **common)
        else:
            summary = grade_batch(Path(args.input), options, gpus=gpus, per_gpu=args.per_gpu, **common)
    except KeyboardInterrupt:
        if args.cluster == "slurm":
            print(
                f"interrupted: the Slurm tasks go on grading into {args.out}; see them with "
                f"'grader batch --status {args.out}', stop them with 'grader batch --cancel {args.out}', "
                "and run the same command once they have ended for the summary"
            )
        else:
            print(f"interrupted: the graded results are kept in {args.out}; run the same command to go on")
        return 130
    print(format_summary(summary))
    if options.mode != "static" and not options.sandbox:
        print("warning: student code ran WITHOUT the sandbox (--no-sandbox)")
    print(f"summary: {Path(args.out) / 'batch-summary.json'}")
    if not args.no_reports and (Path(args.out) / "index.html").is_file():
        print(
            f"dashboard: {Path(args.out) / 'index.html'} (student pages: grader report OUT --rubric RUBRIC)"
        )
    return 0


def slurm_options(args: argparse.Namespace) -> SlurmOptions:
    return SlurmOptions(
        partition=args.partition,
        tasks=args.tasks,
        gpus_per_task=args.gpus_per_task,
        per_gpu=args.per_gpu if args.per_gpu is not None else default_of(SlurmOptions, "per_gpu"),
        time_limit_min=args.time_limit,
        mem_gb=args.mem_gb,
    )


class _Control(argparse.Action):
    """--status OUT and --cancel OUT act at once, without the options a batch needs (as --version does)."""

    def __init__(self, *args: Any, act: Callable[[Path], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.act = act

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any, *_: Any
    ) -> None:
        try:
            print(self.act(Path(value)))
        except GraderError as exc:
            print(f"error: {exc}", file=sys.stderr)
            parser.exit(2)
        parser.exit(0)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Grade every submission under INPUT: per-student zips or folders, or a Canvas, Sakai or "
        "Gradescope download, in parallel worker processes. A second run grades only what changed or was "
        "not finished. Besides OUT/<id>/result.json it writes OUT/batch-summary.json, "
        "OUT/similarity.json, the class dashboard OUT/index.html and OUT/gradebook.csv.",
    )
    parser.add_argument("input", help="the folder holding the submissions")
    add_grading_arguments(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=default_of(grade_batch, "workers"),
        help="submissions graded at once (per task with --cluster) (default %(default)s)",
    )
    parser.add_argument(
        "--gpus",
        default=default_of(grade_batch, "gpus"),
        help="GPU ids the workers are pinned to, e.g. 0,1 (default: no pinning, every GPU visible)",
    )
    parser.add_argument(
        "--per-gpu",
        type=int,
        metavar="K",
        help="at most K notebooks on each GPU at once: K workers per GPU of --gpus, each new one on the GPU "
        "with the most free memory (NVML); with --cluster, workers on each task's GPUs in full mode "
        f"(default: --workers spread over --gpus; with --cluster {default_of(SlurmOptions, 'per_gpu')})",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=default_of(grade_batch, "submission_timeout_s"),
        help="wall-clock limit per submission (default: the rubric's notebook limits plus ten minutes)",
    )
    parser.add_argument(
        "--similarity-threshold",
        type=float,
        default=default_of(grade_batch, "similarity_threshold"),
        help="notebook pairs at least this similar are listed in OUT/similarity.json (default %(default)s)",
    )
    parser.add_argument("--no-similarity", action="store_true", help="skip the similarity pass at the end")
    parser.add_argument(
        "--template",
        metavar="DIR",
        help="the term's student template, whose code the similarity pass does not count "
        "(default: the rubric's template folder)",
    )
    parser.add_argument(
        "--no-reports", action="store_true", help="skip the dashboard and gradebook at the end"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    cluster = parser.add_argument_group(
        "cluster", "grade in one Slurm job array; OUT (and the grader's venv) must be on a shared filesystem"
    )
    cluster.add_argument(
        "--cluster", choices=("slurm",), help="submit the batch to this cluster instead of grading here"
    )
    cluster.add_argument("--partition", help="the Slurm partition (default: the cluster's default)")
    cluster.add_argument(
        "--tasks",
        type=int,
        default=default_of(SlurmOptions, "tasks"),
        help="array tasks, each grading a share of the class (default %(default)s)",
    )
    cluster.add_argument(
        "--gpus-per-task",
        type=int,
        default=default_of(SlurmOptions, "gpus_per_task"),
        help="GPUs of each task in full mode (default %(default)s); in static and quick mode each task "
        "takes --workers CPUs",
    )
    cluster.add_argument(
        "--time-limit",
        type=int,
        default=default_of(SlurmOptions, "time_limit_min"),
        metavar="MIN",
        help="each task's time limit in minutes; a task that reaches it is requeued (default %(default)s)",
    )
    cluster.add_argument(
        "--mem-gb",
        type=float,
        default=default_of(SlurmOptions, "mem_gb"),
        help="each task's memory (default: the rubric's kernel memory plus 1 GB, per worker)",
    )
    cluster.add_argument(
        "--status",
        metavar="OUT",
        action=_Control,
        act=cluster_status,
        help="show how far the cluster batch grading into OUT is, and exit",
    )
    cluster.add_argument(
        "--cancel",
        metavar="OUT",
        action=_Control,
        act=cancel_cluster_batch,
        help="cancel the cluster batch grading into OUT (what is graded stays), and exit",
    )
    parser.set_defaults(func=batch)
