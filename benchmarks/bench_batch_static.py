"""Batch grading in static mode: a made-up class graded by parallel workers, then the same batch again.

    .venv/bin/python benchmarks/bench_batch_static.py [--students 300] [--workers 2]

The goal is at most 60 s for 300 submissions with 2 workers on a 2-core machine. The second run finds every
result up to date and skips it: it costs discovery, hashing each submission and the similarity pass. The
similarity pass (part of both runs) is also timed on its own. On a shared machine the wall time depends on
the other load; the CPU time of the batch and its workers, divided by the cores, does not.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from grader.batch import grade_batch
from grader.batch.similarity import find_similar
from grader.pipeline import GradeOptions
from grader.samples.synthetic_class import make_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        inbox, out = Path(tmp) / "in", Path(tmp) / "out"
        clock = time.perf_counter()
        make_class(inbox, args.students)
        print(f"made {args.students} submissions in {time.perf_counter() - clock:.1f} s")
        options = GradeOptions(rubric="ece590-hw2-f20", out_dir=out, mode="static")

        clock, cpu = time.perf_counter(), _cpu_s()
        first = grade_batch(inbox, options, workers=args.workers, progress=False)
        wall_s, cpu_s = time.perf_counter() - clock, _cpu_s() - cpu
        assert first.graded == args.students, first
        print(
            f"graded {first.graded} with {args.workers} workers in {wall_s:.1f} s: "
            f"{wall_s / args.students:.3f} s per submission (goal: 60 s in all)"
        )
        cores = min(args.workers, os.cpu_count() or 1)
        print(f"  CPU time {cpu_s:.1f} s: {cpu_s / cores:.1f} s of wall time on {cores} idle cores")
        graded = [e.seconds for e in first.entries if e.seconds]
        print(f"  grading time per submission inside a worker: mean {sum(graded) / len(graded):.3f} s")

        clock = time.perf_counter()
        pairs = find_similar(out, rubric="ece590-hw2-f20")
        print(f"  of which the similarity pass: {time.perf_counter() - clock:.1f} s ({len(pairs)} pairs)")

        clock = time.perf_counter()
        again = grade_batch(inbox, options, workers=args.workers, progress=False)
        assert again.skipped == args.students, again
        print(f"re-run, all {again.skipped} skipped: {time.perf_counter() - clock:.1f} s")


def _cpu_s() -> float:
    """User and system time of this process and of its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
