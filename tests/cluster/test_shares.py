"""Shares and the batch record without a cluster: a task and --status read back what was written."""

from __future__ import annotations

import os
from pathlib import Path

from grader.batch.layouts import Submission
from grader.batch.pool import Job
from grader.cluster.control import ClusterBatch, load, new_results, save
from grader.cluster.shards import Share, deal, read_share, write_share
from grader.pipeline import GradeOptions


def jobs(count: int) -> list[Job]:
    subs = [
        Submission(f"s{i:02}", Path(f"/in/s{i:02}.zip"), "folder", name=f"S {i}", late=i % 2 == 0)
        for i in range(count)
    ]
    return [Job(sub, sub.path, f"sha-{sub.student_id}") for sub in subs]


def test_shares_are_dealt_round_robin_and_never_empty() -> None:
    shares = deal(jobs(10), 4)
    assert [len(share) for share in shares] == [3, 3, 2, 2]
    assert [job.sub.student_id for job in shares[1]] == ["s01", "s05", "s09"]
    assert len(deal(jobs(2), 8)) == 2 and deal([], 8) == [[]]


def test_a_share_reads_back_as_written(tmp_path: Path) -> None:
    options = GradeOptions(
        rubric="ece590-hw2-f20", out_dir=tmp_path / "out", data_dir=tmp_path / "d", mode="quick"
    )
    share = Share(3, jobs(3), options, workers=2, grade_fn="m:f", timeout_s=60.0, per_gpu=2)
    back = read_share(write_share(share, tmp_path / "share-3.json"))
    assert back == share


def test_results_count_once_they_change_after_submission(tmp_path: Path) -> None:
    old, new = tmp_path / "a" / "result.json", tmp_path / "b" / "result.json"
    old.parent.mkdir()
    old.write_text("{}")
    batch = ClusterBatch("f", "7", ["7_0"], "now", {str(old): old.stat().st_mtime_ns, str(new): None})
    save(tmp_path, batch)
    assert load(tmp_path) == batch and new_results(batch) == set()
    new.parent.mkdir()
    new.write_text("{}")
    os.utime(old, ns=(0, old.stat().st_mtime_ns + 1_000_000))
    assert new_results(batch) == {str(old), str(new)}


def test_no_record_is_none(tmp_path: Path) -> None:
    assert load(tmp_path) is None
