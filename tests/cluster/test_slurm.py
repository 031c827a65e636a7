"""A batch graded on a real one-node Slurm gives what a local batch gives, and survives its tasks' ends.

The cluster (``slurm_cluster.py``) is started once per session; each test submits into its own OUT, so each
batch gets a submitit folder of its own.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from grader.batch import BatchSummary, grade_batch
from grader.cluster import SlurmOptions, grade_on_slurm
from grader.cluster.control import cluster_status, load
from grader.execute import sandbox_available
from grader.pipeline import GradeOptions
from grader.samples.submissions import template_submission
from grader.samples.synthetic_class import make_class
from tests.batch.helpers import results, static_options
from tests.polling import poll_until
from tests.rubrics import tuned_f20_rubric

pytestmark = pytest.mark.slow
FAULTS = Path(__file__).resolve().parent  # holds cluster_faults.py, imported by the workers in the jobs
FAST = SlurmOptions(tasks=4, poll_s=0.5, mem_gb=1, time_limit_min=30)


def on_slurm(inbox: Path, options: GradeOptions, cluster: SlurmOptions = FAST, **kwargs):
    return grade_on_slurm(inbox, options, cluster, progress=False, **kwargs)


class Submitter:
    """The TA's terminal: a slow batch submitted from a thread, so that the test acts on the cluster while it
    waits for the array."""

    def __init__(self, inbox: Path, out: Path, cluster: SlurmOptions) -> None:
        self.out = out
        self.summary: BatchSummary | None = None
        self._thread = threading.Thread(target=self._submit, args=(inbox, cluster))
        self._thread.start()

    def _submit(self, inbox: Path, cluster: SlurmOptions) -> None:
        self.summary = on_slurm(inbox, static_options(self.out), cluster, grade_fn="cluster_faults:slow")

    def wait_for_results(self, count: int) -> None:
        poll_until(
            lambda: len(list(self.out.glob("*/result.json"))) >= count, timeout_s=120, what=f"{count} results"
        )

    def finished(self, timeout_s: float) -> BatchSummary:
        self._thread.join(timeout=timeout_s)
        assert self.summary is not None, f"the submitter did not return within {timeout_s:g} s"
        return self.summary


def same_outcome(a: Path, b: Path) -> None:
    """Every result equal but for timings and the folder it was graded into."""
    ra, rb = results(a), results(b)
    assert ra and ra.keys() == rb.keys()
    for sub_id in ra:
        assert json.loads(json.dumps(ra[sub_id]).replace(str(a), "OUT")) == json.loads(
            json.dumps(rb[sub_id]).replace(str(b), "OUT")
        ), sub_id


def test_a_static_class_on_slurm_gives_the_local_batchs_results(slurm_cluster, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    make_class(inbox, 32, rows=100)
    local = grade_batch(inbox, static_options(tmp_path / "local"), workers=2, progress=False)
    remote = on_slurm(inbox, static_options(tmp_path / "slurm"), workers=1)
    same_outcome(tmp_path / "local", tmp_path / "slurm")
    assert (remote.total, remote.graded, remote.failed, remote.errored) == (32, 32, 0, 0)
    assert [(e.id, e.status, e.score) for e in remote.entries] == [
        (e.id, e.status, e.score) for e in local.entries
    ]
    for name in ("batch-summary.json", "index.html", "gradebook.csv", "similarity.json"):
        assert (tmp_path / "slurm" / name).is_file(), name
    assert (tmp_path / "slurm" / "gradebook.csv").read_text() == (
        tmp_path / "local" / "gradebook.csv"
    ).read_text()
    state = load(tmp_path / "slurm")
    assert state is not None and len(state.jobs) == 4
    assert "32 of 32 results written" in cluster_status(tmp_path / "slurm")
    again = on_slurm(inbox, static_options(tmp_path / "slurm"), workers=1)
    assert again.skipped == 32 and load(tmp_path / "slurm").array == state.array, "nothing was submitted"


@pytest.mark.skipif(not sandbox_available(), reason="bubblewrap (bwrap) is not installed")
def test_a_small_quick_class_on_slurm_gives_the_local_batchs_results(
    slurm_cluster, tmp_path: Path, course_data_factory
) -> None:
    course = course_data_factory(1000, relabel_seed=3)
    rubric = tuned_f20_rubric(tmp_path / "f20.yaml", {"train": 400, "val": 100, "test": 100})
    inbox = tmp_path / "in"
    for name in ("ann", "bo"):
        template_submission(inbox / name)
    local_out, slurm_out = tmp_path / "local", tmp_path / "slurm"

    def quick(out: Path) -> GradeOptions:
        return GradeOptions(rubric=rubric, out_dir=out, data_dir=course, mode="quick")

    grade_batch(inbox, quick(local_out), workers=2, progress=False, similarity_threshold=None, reports=False)
    cluster = SlurmOptions(tasks=2, poll_s=1, mem_gb=4, time_limit_min=30)
    remote = on_slurm(inbox, quick(slurm_out), cluster, workers=1, similarity_threshold=None, reports=False)
    assert (remote.graded, remote.errored) == (2, 0)
    same_outcome(local_out, slurm_out)
    assert all(r["sandboxed"] for r in results(slurm_out).values())


def test_a_cancelled_task_leaves_only_its_unfinished_work_to_the_next_run(
    slurm_cluster, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 16, rows=100)
    cluster = SlurmOptions(tasks=2, poll_s=0.5, mem_gb=1, time_limit_min=30)
    submitter = Submitter(inbox, out, cluster)
    submitter.wait_for_results(3)
    victim = load(out).jobs[1]
    slurm_cluster.run("scancel", victim)
    summary = submitter.finished(timeout_s=120)
    unfinished = {e.id for e in summary.entries if e.status == "error"}
    assert unfinished and summary.graded == 16 - len(unfinished)
    assert any(f"Slurm task {victim} ended CANCELLED" in note for note in summary.warnings)
    assert all("CANCELLED" in e.error for e in summary.entries if e.status == "error")

    rerun = on_slurm(inbox, static_options(out), cluster)
    regraded = {e.id for e in rerun.entries if e.status == "graded"}
    assert regraded == unfinished
    assert {e.id for e in rerun.entries if e.status == "skipped"} == {
        e.id for e in summary.entries
    } - unfinished
    assert rerun.errored == 0


def test_a_task_over_its_memory_limit_is_reported_not_lost(
    slurm_cluster, tmp_path: Path, monkeypatch
) -> None:
    if not slurm_cluster.cgroups:
        pytest.skip("the test cluster runs without cgroups here, so no memory limit is enforced")
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox, out = tmp_path / "in", tmp_path / "out"
    made = make_class(tmp_path / "made", 3, rows=100)
    inbox.mkdir()
    for path, name in zip(made, ("ann", "bo", "cy-hog"), strict=True):
        shutil.copy(path, inbox / f"{name}.zip")
    cluster = SlurmOptions(tasks=1, poll_s=0.5, mem_gb=1, time_limit_min=30)
    summary = on_slurm(inbox, static_options(out), cluster, grade_fn="cluster_faults:hog")
    status = {e.id: e.status for e in summary.entries}
    assert status == {"ann": "graded", "bo": "graded", "cy-hog": "error"}
    (hog,) = [e for e in summary.entries if e.id == "cy-hog"]
    assert "killed by SIGKILL (out of memory?)" in hog.error
    assert (out / "cy-hog" / "result.json").is_file(), "the gradebook shows it"


def test_kernel_cgroups_inside_a_job_stay_below_the_jobs_own(slurm_cluster, tmp_path: Path) -> None:
    if not slurm_cluster.cgroups:
        pytest.skip("the test cluster runs without cgroups here")
    import submitit

    from grader.cluster.slurm import executor
    from tests.cluster.cluster_faults import job_cgroups

    ex = executor(tmp_path / "submitit", SlurmOptions(mem_gb=1, time_limit_min=5), "static", 1, 0, 1)
    seen = ex.submit(job_cgroups).result()
    assert isinstance(ex, submitit.SlurmExecutor)
    job_memory = next(line for line in seen["proc"].splitlines() if ":memory:" in line).split(":", 2)[2]
    assert "/job_" in job_memory
    assert seen["memory_roots"] == [f"/sys/fs/cgroup/memory{job_memory}"]
    assert seen["memory"] is not None and seen["memory"].startswith(
        f"/sys/fs/cgroup/memory{job_memory}/grader-"
    )
    assert seen["pids"] is None, "Slurm gives the job no pids cgroup here: none at the root either"


def test_a_requeued_task_goes_on_without_grading_its_finished_work_again(
    slurm_cluster, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 6, rows=100)
    cluster = SlurmOptions(tasks=1, poll_s=0.5, mem_gb=1, time_limit_min=30)
    submitter = Submitter(inbox, out, cluster)
    submitter.wait_for_results(2)
    before = {path.parent.name for path in out.glob("*/result.json")}
    job_id = load(out).jobs[0]
    slurm_cluster.run("scontrol", "requeue", job_id)
    summary = submitter.finished(timeout_s=180)
    assert "Restarts=1" in slurm_cluster.run("scontrol", "show", "job", job_id)
    assert (summary.graded, summary.errored) == (6, 0)
    (entries,) = out.glob(".cluster/*/share-0.entries.jsonl")
    graded = [json.loads(line)["id"] for line in entries.read_text().splitlines()]
    assert sorted(set(graded)) == sorted(e.id for e in summary.entries)
    assert not before & {sub_id for sub_id in graded if graded.count(sub_id) > 1}, "finished work was redone"


def test_status_and_cancel_act_on_a_batch_left_running(
    slurm_cluster, tmp_path: Path, monkeypatch, capsys
) -> None:
    from grader.cli import main

    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 24, rows=100)  # 12 s a task: more than scancel's KillWait
    cluster = SlurmOptions(tasks=2, poll_s=0.5, mem_gb=1, time_limit_min=30)
    submitter = Submitter(inbox, out, cluster)
    submitter.wait_for_results(1)
    for flag in ("--status", "--cancel"):
        with pytest.raises(SystemExit) as stop:
            main(["batch", flag, str(out)])
        assert stop.value.code == 0
    printed = capsys.readouterr().out
    assert f"Slurm array {load(out).array}" in printed and "of 24 results written" in printed
    assert "2 running" in printed and "cancelled Slurm array" in printed
    summary = submitter.finished(timeout_s=120)
    assert summary.errored and summary.graded + summary.errored == 24
    assert sum("ended CANCELLED" in note for note in summary.warnings) == 2
