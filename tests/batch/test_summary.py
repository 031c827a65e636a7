"""The batch summary: counts and scores over the entries, and the lines a TA reads at the end."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from grader.batch.layouts import Submission
from grader.batch.summary import format_summary, make_entry, summarise


def test_the_summary_counts_entries_in_the_order_found_and_lists_the_problems() -> None:
    subs = [Submission(f"s{i}", Path(f"/in/s{i}.zip"), "folder", late=i == 1) for i in range(5)]
    entries = {
        "s3": make_entry(subs[3], "error", score=0, max_score=100, seconds=9.0, error="killed by SIGKILL"),
        "s0": make_entry(subs[0], "graded", score=80, max_score=100, seconds=2.0),
        "s1": make_entry(subs[1], "skipped", score=60, max_score=100),
        "s2": make_entry(subs[2], "failed", score=0, max_score=100, seconds=1.0, error="refused"),
    }
    summary = summarise(
        Path("/in"),
        Path("/out"),
        "ece590-hw2-f20",
        "static",
        2,
        [],
        datetime.now(UTC),
        time.perf_counter(),
        subs,
        entries,
        ["a note"],
        1,
    )
    assert [e.id for e in summary.entries] == ["s0", "s1", "s2", "s3"]  # s4 never got an entry
    assert (summary.total, summary.graded, summary.skipped, summary.failed, summary.errored) == (
        5,
        1,
        1,
        1,
        1,
    )
    assert summary.mean_score == 70 and summary.max_score == 100  # graded and skipped only
    assert summary.slowest == [
        {"id": "s3", "seconds": 9.0},
        {"id": "s0", "seconds": 2.0},
        {"id": "s2", "seconds": 1.0},
    ]
    assert summary.entries[1].late is True and summary.entries[1].source == "s1.zip"
    text = format_summary(summary)
    assert "5 submissions in" in text and "1 graded, 1 skipped (already graded), 1 failed, 1 errors" in text
    assert "mean score 70.00 / 100" in text and "slowest: s3 9.0 s, s0 2.0 s, s2 1.0 s" in text
    assert "  error  s3: killed by SIGKILL" in text and "  failed s2: refused" in text
    assert "  note: a note" in text and "1 similar notebook pairs: see similarity.json" in text
    assert "interrupted" not in text
    summary.interrupted = True
    assert format_summary(summary).endswith("interrupted: run the same command again to grade the rest")
