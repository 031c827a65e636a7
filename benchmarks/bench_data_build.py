"""Time `grader data build` on real CIFAR-10: reading the pickles, splitting, and writing npy/zips/manifest.

Usage: python benchmarks/bench_data_build.py [--source DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.coursedata import build_course_data
from grader.coursedata.sources import load_source

DEFAULT_SOURCE = Path(__file__).resolve().parents[1].parent / "shared/data/cifar10/cifar-10-batches-py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reads, builds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            started = time.perf_counter()
            load_source(args.source)
            reads.append(time.perf_counter() - started)
            summary = build_course_data(args.source, Path(tmp) / f"run{i}", relabel_seed=2020)
            builds.append(summary.seconds)
    print(f"read pickles only: median {statistics.median(reads):.2f} s")
    print(
        f"full build:        median {statistics.median(builds):.2f} s over {args.repeat} runs "
        f"(reading is {statistics.median(reads) / statistics.median(builds):.0%} of it)"
    )


if __name__ == "__main__":
    main()
