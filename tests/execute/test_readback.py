"""What a run left, read once its kernel is gone: guard events placed in their cells, the probes' sections
under this run's nonce, and the notes that say what was odd about them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from grader.execute import readback
from grader.execute.inkernel.framing import frame
from grader.execute.inkernel.probes import SECTIONS, STATE_DICT
from grader.execute.report import RunRecord
from grader.execute.workdir import LOG_FILE

Make = Callable[..., RunRecord]


def event(moment: float, kind: str = "open") -> bytes:
    line = {"time": moment, "pid": 1, "kind": kind, "action": "blocked", "detail": "x"}
    return (json.dumps(line) + "\n").encode()


def section(value: object, error: str | None = None) -> bytes:
    return json.dumps({"value": value, "error": error, "seconds": 0.5}).encode()


def test_events_are_placed_in_the_cell_that_ran_and_junk_lines_are_counted(make_record: Make) -> None:
    run = make_record()
    run.cell_starts = [(100.0, 0), (200.0, 2)]
    run.probes_start = 300.0
    for data in (event(50.0), event(150.0), b"not json\n[1, 2]\n\n", event(250.0), event(300.0)):
        os.write(run.events.write_fd, data)
    events = readback.read_events(run)
    assert [e["cell"] for e in events] == [None, 0, 2, None], "before the cells, and during the probes"
    assert run.notes == ["guard events: 2 lines were not guard events and were skipped"]


def test_only_so_many_event_lines_are_read(make_record: Make) -> None:
    run = make_record()
    os.write(run.events.write_fd, event(1.0) * (readback.MAX_EVENTS_READ + 3))
    assert len(readback.read_events(run)) == readback.MAX_EVENTS_READ
    assert run.notes == [f"guard events: only the first {readback.MAX_EVENTS_READ} lines were read"]


def test_the_sections_come_back_with_their_errors_and_the_weights_land_in_the_artifacts(
    make_record: Make,
) -> None:
    run = make_record()
    run.artifacts.mkdir()
    run.probes_start = 1.0
    messages = [
        frame(run.nonce, "model", section({"class_name": "Net"})),
        frame(run.nonce, "export", section(None, "RuntimeError: no model")),
        frame(run.nonce, "optimizer", b"{not json"),
        frame("f" * 32, "criterion", section("forged under another nonce")),
        frame(run.nonce, STATE_DICT, b"weights"),
        frame(run.nonce, "model", section({"class_name": "Forged"})),
    ]
    os.write(run.reports.write_fd, b"".join(messages))
    probe, weights = readback.read_reports(run)
    assert probe is not None and probe["model"] == {"class_name": "Net"} and probe["export"] is None
    assert probe["errors"] == {"export": "RuntimeError: no model"}
    assert probe["timings_s"] == {"model": 0.5, "export": 0.5}
    assert "criterion" not in probe and not probe["complete"]
    assert (
        weights == str(run.artifacts / readback.STATE_DICT_FILE) and Path(weights).read_bytes() == b"weights"
    )
    assert run.notes == [
        "the probes' reports were sent again after the grader's probe cell (kept the first copy): model",
        "the probes' optimizer report was not valid JSON and was ignored",
    ]


def test_every_section_sent_makes_a_complete_probe(make_record: Make) -> None:
    run = make_record()
    run.probes_start = 1.0
    os.write(run.reports.write_fd, b"".join(frame(run.nonce, name, section(1)) for name in SECTIONS))
    probe, weights = readback.read_reports(run)
    assert probe is not None and probe["complete"] and probe["errors"] == {} and weights is None


def test_nothing_is_read_from_probes_that_never_ran(make_record: Make) -> None:
    run = make_record()
    os.write(run.reports.write_fd, frame(run.nonce, "model", section("planted by the student's code")))
    assert readback.read_reports(run) == (None, None)


def test_the_report_of_a_run_that_never_started_reads_nothing(make_record: Make) -> None:
    run = make_record()
    run.fail("sandbox-unavailable", "student.ipynb was not run: no bwrap")
    os.write(run.events.write_fd, event(1.0))
    report = readback.final_report(run, start=0.0)
    assert (report.status, report.message) == ("sandbox-unavailable", "student.ipynb was not run: no bwrap")
    assert report.guard_events == [] and report.probe is None and report.log_path is None
    assert report.overrides_applied == [] and report.executed_notebook is None


def test_an_ok_run_says_how_many_cells_ran_and_ends_with_the_logs_tail(make_record: Make) -> None:
    run = make_record()
    run.artifacts.mkdir()
    run.cells_executed = 3
    (run.artifacts / LOG_FILE).write_text("x" * readback.TAIL_CHARS + "the end")
    report = readback.final_report(run, start=0.0)
    assert report.message == "student.ipynb ran to the end (3 code cells)"
    assert report.stdout_tail.endswith("the end") and len(report.stdout_tail) == readback.TAIL_CHARS
    assert report.log_path == str(run.artifacts / LOG_FILE)
