"""A cluster batch left running: its record under OUT, ``grader batch --status OUT`` and ``--cancel OUT``.

``OUT/.cluster/jobs.json`` names the array, its tasks, the submitit folder and the results the batch waits
for, so any shell on the cluster (the submitting one may be long gone) can look at the batch or stop it.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.cluster import slurm
from grader.errors import GraderError
from grader.records import write_json_atomically

CLUSTER_DIR = ".cluster"
STATE_FILE = "jobs.json"


@dataclass
class ClusterBatch:
    """One submitted array. ``results``: the result.json paths being graded, each with its modification
    time (ns) at submission, None where absent, so that a result counts as new once that changes."""

    folder: str
    array: str
    jobs: list[str]
    submitted_at: str
    results: dict[str, int | None] = field(default_factory=dict)

    def submitit_jobs(self) -> list:
        return [slurm.job(Path(self.folder), job_id) for job_id in self.jobs]


def state_path(out_dir: Path) -> Path:
    return Path(out_dir) / CLUSTER_DIR / STATE_FILE


def save(out_dir: Path, batch: ClusterBatch) -> None:
    write_json_atomically(state_path(out_dir), json.dumps(asdict(batch), indent=1) + "\n")


def load(out_dir: Path) -> ClusterBatch | None:
    try:
        return ClusterBatch(**json.loads(state_path(out_dir).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def new_results(batch: ClusterBatch) -> set[str]:
    """The results written since the batch was submitted."""
    done = set()
    for path, before in batch.results.items():
        try:
            now = Path(path).stat().st_mtime_ns
        except OSError:
            continue
        if now != before:
            done.add(path)
    return done


def states(batch: ClusterBatch) -> dict[str, str]:
    jobs = batch.submitit_jobs()
    slurm.refresh(jobs)
    return {
        one.job_id: ("COMPLETED" if one.paths.result_pickle.exists() else slurm.state(one)) for one in jobs
    }


def running(batch: ClusterBatch) -> bool:
    """Whether any task of an earlier submission may still write into OUT; one Slurm no longer knows
    (UNKNOWN, long after it ended) is not running."""
    jobs = batch.submitit_jobs()
    slurm.refresh(jobs)
    return any(not slurm.finished(one) and slurm.state(one) != "UNKNOWN" for one in jobs)


def cluster_status(out_dir: Path) -> str:
    """A few lines: the array, how many of its results are in, and its tasks by state."""
    batch = _require(out_dir)
    by_state = Counter(states(batch).values())
    tasks = ", ".join(f"{count} {name.lower()}" for name, count in sorted(by_state.items()))
    done = len(new_results(batch))
    return (
        f"Slurm array {batch.array} (submitted {batch.submitted_at}): "
        f"{done} of {len(batch.results)} results written\ntasks: {tasks}"
    )


def cancel_cluster_batch(out_dir: Path) -> str:
    """Cancel every task of the array; what was graded stays, and the same batch command goes on from it."""
    batch = _require(out_dir)
    slurm.require_slurm()
    try:
        subprocess.run(["scancel", batch.array], check=True, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GraderError(f"scancel {batch.array} failed: {exc}") from exc
    return f"cancelled Slurm array {batch.array}; run the same batch command to grade what is left"


def _require(out_dir: Path) -> ClusterBatch:
    batch = load(out_dir)
    if batch is None:
        raise GraderError(f"no cluster batch was submitted into {out_dir} ({state_path(out_dir)} is missing)")
    return batch
