"""Grade functions and job functions for the cluster tests, imported by name inside Slurm jobs.

The batch workers import this module as ``cluster_faults`` (the tests put this folder on PYTHONPATH);
``job_cgroups`` is pickled by reference and run by submitit in a job.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader.execute.cgroups import KernelCaps, controller_roots
from grader.intake import submission_id
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Result

SLOW_S = 1.0
HOG_MB = 1500


def slow(src: Path, options: GradeOptions) -> Result:
    """The pipeline, a second slower: long enough for a test to cancel a task half-way."""
    time.sleep(SLOW_S)
    return grade_submission(src, options)


def hog(src: Path, options: GradeOptions) -> Result:
    """The pipeline, except that a submission named ``*hog`` takes more memory than its task has."""
    if submission_id(src).endswith("hog"):
        blocks = [bytearray(b"x") * (1024 * 1024) for _ in range(HOG_MB)]  # touched, so charged
        raise RuntimeError(f"{len(blocks)} MB taken and not stopped: the task has no memory limit")
    return grade_submission(src, options)


def job_cgroups() -> dict[str, object]:
    """Where a kernel's cgroups go inside this job, and what /proc/self/cgroup says."""
    caps = KernelCaps.create(max_processes=2, memory_limit_mb=200)
    try:
        return {
            "proc": Path("/proc/self/cgroup").read_text(),
            "memory_roots": [str(p) for p in controller_roots("memory")],
            "pids_roots": [str(p) for p in controller_roots("pids")],
            "memory": str(caps.memory.path) if caps.memory else None,
            "pids": str(caps.pids.path) if caps.pids else None,
        }
    finally:
        caps.remove()
