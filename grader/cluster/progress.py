"""The submitting terminal's view of a cluster batch: a bar fed by the result.json files as they appear.

The results on the shared filesystem are the truth, not the tasks' own reports: a bar that counts them shows
what is really graded, whichever node graded it, and survives a task that is requeued or lost.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from tqdm import tqdm

from grader.cluster import slurm
from grader.cluster.control import ClusterBatch, new_results


def follow(batch: ClusterBatch, jobs: list, *, progress: bool, poll_s: float) -> None:
    """Wait until every task of BATCH has ended, with a bar of results written and tasks still running."""
    bar = tqdm(
        total=len(batch.results), desc="grading on slurm", unit="sub", file=sys.stderr, disable=not progress
    )
    try:
        while True:
            slurm.refresh(jobs)
            done = len(new_results(batch))
            bar.update(done - bar.n)
            left = [one for one in jobs if not slurm.finished(one)]
            if not left:
                return
            bar.set_postfix(tasks=_tasks(left))
            time.sleep(poll_s)
    finally:
        bar.update(len(new_results(batch)) - bar.n)
        bar.close()


def _tasks(left: list) -> str:
    counts = Counter(slurm.state(one).lower() for one in left)
    return ",".join(f"{count} {name}" for name, count in sorted(counts.items()))
