"""A static batch graded locally and on Slurm, side by side: what submitting it as a job array adds.

    .venv/bin/python -m benchmarks.bench_slurm [--students 300] [--workers 2] [--repeats 3] [--test-cluster]

Both grade the same class with the same CPUs: the local batch with WORKERS workers, the Slurm batch as
WORKERS tasks of one worker each. The difference is what the cluster path costs: writing the shares,
sbatch, scheduling, each task's start (Python, the grader, its worker), the polling of the submitting
process, and the summary. ``--test-cluster`` starts the tests' one-node cluster (as root, with slurm-wlm and
munge installed) for the run; without it, the Slurm that SLURM_CONF and PATH name is used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from grader.batch import grade_batch
from grader.cluster import SlurmOptions, grade_on_slurm
from grader.pipeline import GradeOptions
from grader.samples.synthetic_class import make_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--test-cluster", action="store_true", help="start the tests' one-node cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-slurm-", dir="/tmp") as tmp:
        cluster = _test_cluster(Path(tmp)) if args.test_cluster else None
        try:
            _compare(Path(tmp), args.students, args.workers, args.repeats)
        finally:
            if cluster is not None:
                cluster()


def _compare(tmp: Path, students: int, workers: int, repeats: int) -> None:
    """REPEATS rounds of local then Slurm, each into a fresh OUT, so that a warm cache favours neither."""
    inbox = tmp / "in"
    make_class(inbox, students)
    cluster = SlurmOptions(tasks=workers, poll_s=1.0, mem_gb=2, time_limit_min=60)
    local_s: list[float] = []
    slurm_s: list[float] = []
    for round_ in range(repeats):
        clock = time.perf_counter()
        local = grade_batch(inbox, _options(tmp / f"local-{round_}"), workers=workers, progress=False)
        local_s.append(time.perf_counter() - clock)
        clock = time.perf_counter()
        remote = grade_on_slurm(inbox, _options(tmp / f"slurm-{round_}"), cluster, workers=1, progress=False)
        slurm_s.append(time.perf_counter() - clock)
        assert local.graded == remote.graded == students, (local, remote)
        print(f"round {round_ + 1}: local {local_s[-1]:.1f} s, Slurm {slurm_s[-1]:.1f} s")
    local_m, slurm_m = statistics.median(local_s), statistics.median(slurm_s)
    print(f"{students} submissions, static mode, {workers} CPUs each way, medians of {repeats} rounds")
    print(f"  local batch, {workers} workers:          {local_m:7.1f} s")
    print(f"  Slurm array, {workers} tasks x 1 worker:  {slurm_m:7.1f} s")
    print(f"  added by Slurm: {slurm_m - local_m:+.1f} s, ratio {slurm_m / local_m:.2f}")


def _options(out: Path) -> GradeOptions:
    return GradeOptions(rubric="ece590-hw2-f20", out_dir=out, mode="static")


def _test_cluster(tmp: Path):
    """Start the tests' cluster and point this process at it; returns what stops it."""
    from tests.cluster.slurm_cluster import start_cluster, stop_cluster, why_no_slurm

    reason = why_no_slurm()
    if reason:
        raise SystemExit(reason)
    root = tmp / "cluster"
    root.mkdir()
    tmp.chmod(0o755)
    root.chmod(0o755)
    cluster, log = start_cluster(root, cgroups=True)
    if cluster is None:
        raise SystemExit(f"the test cluster did not start: {log}")
    os.environ.update(SLURM_CONF=cluster.env["SLURM_CONF"], PATH=cluster.env["PATH"])

    def stop() -> None:
        stop_cluster(cluster)
        shutil.rmtree(root, ignore_errors=True)

    return stop


if __name__ == "__main__":
    main()
