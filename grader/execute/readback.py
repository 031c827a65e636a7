"""Reading what a run left once its kernel is gone: the guard's events and the probes' reports from their
pipes, the kernel's log, and the report that brings it all together."""

from __future__ import annotations

import json
import time
import typing as t

from grader.execute.channels import Messages, parse_messages
from grader.execute.inkernel.probes import SECTIONS, STATE_DICT, TRAINED_STATE_DICTS
from grader.execute.report import ExecutionReport, RunRecord
from grader.execute.workdir import LOG_FILE

STATE_DICT_FILE = "state_dict.pt"
TRAINED_FILE = "trained_state_dicts.pt"  # the notebook's other trained models, a list of state_dicts
TAIL_CHARS = 4000
MAX_EVENTS_READ = 5000
MAX_EVENTS_BYTES = 4 * 1024 * 1024
MAX_REPORT_BYTES = 512 * 1024 * 1024  # the probes' JSON and the weights (VGG-A's are 39 MB)


def final_report(run: RunRecord, start: float) -> ExecutionReport:
    """The report of ``run``, which started at ``start`` (monotonic clock); drains both pipes."""
    if run.status == "ok":
        run.message = f"{run.notebook.name} ran to the end ({run.cells_executed} code cells)"
    ran = run.artifacts.is_dir() and run.status not in ("sandbox-unavailable", "invalid-notebook")
    watchdog = run.watchdog
    events = read_events(run) if ran else []
    probe, state_dict = read_reports(run) if ran else (None, None)
    if not ran:
        run.events.collect(0)
        run.reports.collect(0)
    return ExecutionReport(
        notebook=str(run.notebook),
        status=run.status,
        message=run.message,
        sandboxed=run.sandboxed,
        seed=run.seed,
        failed_cell=run.failed_cell,
        error=run.error,
        cells_executed=run.cells_executed,
        executed_notebook=run.executed_notebook,
        guard_events=events,
        probe=probe,
        probe_error=run.probe_error,
        state_dict=state_dict,
        trained_state_dicts=str(run.artifacts / TRAINED_FILE)
        if state_dict is not None and (run.artifacts / TRAINED_FILE).is_file()
        else None,
        overrides_applied=run.overrides_applied,
        inherited=run.inherited,
        quick_mode_errors=run.quick_mode_errors,
        progressing=run.progressing,
        epochs_seen=run.epochs_seen,
        stopped_after_epochs=run.stopped_after_epochs,
        notes=run.notes,
        duration_s=round(time.monotonic() - start, 3),
        kernel_start_s=None if run.kernel_start_s is None else round(run.kernel_start_s, 3),
        peak_memory_mb=None if watchdog is None else round(watchdog.peak_memory_mb, 1),
        peak_processes=None if watchdog is None else watchdog.peak_processes,
        log_path=str(run.artifacts / LOG_FILE) if ran else None,
        stdout_tail=log_tail(run) if ran else "",
    )


def read_events(run: RunRecord) -> list[dict[str, t.Any]]:
    """Guard events as they arrived, each with the ``cell`` it came from; other lines are counted, skipped."""
    events, garbage = [], 0
    lines = run.events.collect().decode("utf-8", errors="replace").splitlines()
    if run.events.dropped:
        run.notes.append(f"guard events: {run.events.dropped} bytes past {MAX_EVENTS_BYTES} were dropped")
    for number, line in enumerate(lines):
        if number >= MAX_EVENTS_READ:
            run.notes.append(f"guard events: only the first {MAX_EVENTS_READ} lines were read")
            break
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            garbage += line.strip() != ""
            continue
        event["cell"] = cell_at(run, event.get("time"))
        events.append(event)
    if garbage:
        run.notes.append(f"guard events: {garbage} lines were not guard events and were skipped")
    return events


def cell_at(run: RunRecord, moment: object) -> int | None:
    """The cell that was running at ``moment`` (guard and kernel share the clock); None outside the cells."""
    if not isinstance(moment, int | float) or (run.probes_start is not None and moment >= run.probes_start):
        return None
    cell = None
    for started, index in run.cell_starts:
        if started > moment:
            break
        cell = index
    return cell


def read_reports(run: RunRecord) -> tuple[dict[str, t.Any] | None, str | None]:
    """The probes' sections as one dict (with "errors" and "timings_s"), and the exported weights' file."""
    if run.probes_start is None:  # the probes never ran: nothing of theirs to read
        run.reports.collect()
        return None, None
    messages = parse_messages(run.reports.collect(), run.nonce)
    _note_tampering(run, messages)
    probe: dict[str, t.Any] = {"errors": {}, "timings_s": {}}
    for name in SECTIONS:
        raw = messages.payloads.get(name)
        if raw is None:
            continue
        try:
            section = json.loads(raw)
        except ValueError:
            run.notes.append(f"the probes' {name} report was not valid JSON and was ignored")
            continue
        if not isinstance(section, dict):
            continue
        probe[name] = section.get("value")
        if section.get("error"):
            probe["errors"][name] = str(section["error"])
        probe["timings_s"][name] = section.get("seconds")
    probe["complete"] = all(name in messages.payloads for name in SECTIONS)
    trained = messages.payloads.get(TRAINED_STATE_DICTS)
    if trained is not None:
        (run.artifacts / TRAINED_FILE).write_bytes(trained)
    weights = messages.payloads.get(STATE_DICT)
    if weights is None:
        return probe, None
    path = run.artifacts / STATE_DICT_FILE
    path.write_bytes(weights)
    return probe, str(path)


def _note_tampering(run: RunRecord, messages: Messages) -> None:
    if messages.repeated:
        run.notes.append(
            "the probes' reports were sent again after the grader's probe cell (kept the first copy): "
            + ", ".join(sorted(set(messages.repeated)))
        )
    if messages.truncated:
        run.notes.append("the probes' reports were cut short: " + ", ".join(sorted(messages.truncated)))


def log_tail(run: RunRecord, chars: int = TAIL_CHARS) -> str:
    """The end of the kernel's log, which the grader wrote into the artifacts folder."""
    path = run.artifacts / LOG_FILE
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - chars))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
