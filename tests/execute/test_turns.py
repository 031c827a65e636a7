"""Turns: runs share the machine; a retry has it alone, after the runs under way and before new ones."""

from __future__ import annotations

import threading
from pathlib import Path

from grader.execute.turns import Turns


def test_runs_share_and_a_retry_waits_for_them(tmp_path: Path) -> None:
    turns = Turns(tmp_path / "cache")
    order: list[str] = []
    retry_waiting, run_may_end = threading.Event(), threading.Event()

    def retry() -> None:
        retry_waiting.set()
        with turns.alone():
            order.append("retry")

    with turns.shared(), turns.shared():  # two runs at once
        thread = threading.Thread(target=retry)
        thread.start()
        retry_waiting.wait()
        run_may_end.wait(0.2)  # give the retry every chance to start too early
        order.append("runs end")
    thread.join()
    assert order == ["runs end", "retry"]


def test_a_new_run_waits_for_the_retry(tmp_path: Path) -> None:
    turns = Turns(tmp_path / "cache")
    order: list[str] = []
    started = threading.Event()

    def run() -> None:
        started.set()
        with turns.shared():
            order.append("run")

    with turns.alone():
        thread = threading.Thread(target=run)
        thread.start()
        started.wait()
        thread.join(0.2)
        order.append("retry ends")
    thread.join()
    assert order == ["retry ends", "run"]
