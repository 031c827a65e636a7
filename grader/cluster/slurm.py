"""The job array itself: submitit's executor set up from a batch's Slurm options, and its jobs.

Each batch gets a submitit folder of its own (``OUT/.cluster/<stamp>/submitit``): a cluster whose job ids
started again would otherwise hand a reused ``%j`` folder's old result back as the new job's.
"""

from __future__ import annotations

import math
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import submitit

import grader
from grader.cluster.node import builtin_plugins
from grader.errors import GraderError
from grader.records import GPU_MODES, Mode

JOB_NAME = "grader-batch"
# the submitting process's own grader on the tasks' import path, whatever folder a task starts in
_PACKAGE_ROOT = Path(grader.__file__).resolve().parent.parent


@dataclass
class SlurmOptions:
    """Where and how big the array's tasks are. ``tasks``: at most this many shares, run at once if the
    cluster allows; ``gpus_per_task`` and ``per_gpu`` (workers per GPU) apply in full mode, where each task
    is a GPU slice; in static and quick mode each task is a CPU slice of the batch's ``workers``.
    ``mem_gb`` None: each worker's kernel allowance from the rubric plus 1 GB for the grader."""

    partition: str | None = None
    tasks: int = 8
    gpus_per_task: int = 1
    per_gpu: int = 1
    time_limit_min: int = 120
    mem_gb: float | None = None
    poll_s: float = 2.0

    def check(self) -> None:
        for name in ("tasks", "gpus_per_task", "per_gpu", "time_limit_min"):
            if getattr(self, name) < 1:
                raise GraderError(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        if self.mem_gb is not None and self.mem_gb <= 0:
            raise GraderError(f"--mem-gb must be positive, not {self.mem_gb}")


def require_slurm() -> None:
    if shutil.which("sbatch") is None or shutil.which("srun") is None:
        raise GraderError("Slurm's sbatch and srun are not on PATH: run this on the cluster's login node")


def executor(
    folder: Path, slurm: SlurmOptions, mode: Mode, workers: int, kernel_mb: int, tasks: int
) -> submitit.SlurmExecutor:
    """An executor for TASKS tasks of WORKERS workers (CPU modes) or of GPUS_PER_TASK x PER_GPU (full)."""
    gpu = mode in GPU_MODES
    per_task = slurm.gpus_per_task * slurm.per_gpu if gpu else workers
    mem_gb = slurm.mem_gb if slurm.mem_gb is not None else math.ceil(per_task * (kernel_mb + 1024) / 1024)
    builtin_plugins()
    ex = submitit.SlurmExecutor(folder=folder, python=f"{shlex.quote(sys.executable)} -m grader.cluster.node")
    parameters: dict[str, object] = {
        "job_name": JOB_NAME,
        "time": slurm.time_limit_min,
        "mem": f"{mem_gb}GB",
        "cpus_per_task": per_task,
        "ntasks_per_node": 1,
        "nodes": 1,
        "array_parallelism": tasks,
        "setup": [f"export PYTHONPATH={_PACKAGE_ROOT}${{PYTHONPATH:+:$PYTHONPATH}}"],
    }
    if gpu:
        parameters["gpus_per_node"] = slurm.gpus_per_task
    if slurm.partition:
        parameters["partition"] = slurm.partition
    ex.update_parameters(**parameters)
    return ex


def submit(ex: submitit.SlurmExecutor, task: object, share_files: list[Path]) -> list[submitit.Job]:
    """One array job, a task per share file."""
    try:
        return ex.map_array(task, [str(path) for path in share_files])
    except Exception as exc:  # sbatch's refusal (a partition that does not exist, a limit too high)
        raise GraderError(f"Slurm refused the batch: {exc}") from exc


def job(folder: Path, job_id: str) -> submitit.Job:
    """A job of an earlier submission, from its submitit folder and id (``1234_5``)."""
    return submitit.SlurmJob(folder=folder, job_id=job_id)


def refresh(jobs: list[submitit.Job]) -> None:
    """Ask Slurm once for the states of every job (one sacct call for all of them)."""
    if jobs:
        jobs[0].watcher.update()


def finished(one: submitit.Job) -> bool:
    return one.paths.result_pickle.exists() or one.watcher.is_done(one.job_id, mode="cache")


def state(one: submitit.Job) -> str:
    return one.watcher.get_state(one.job_id, mode="cache")
