"""Execute one student notebook headless in the sandbox, then probe it, and bring back what happened as data.

Every path ends in an :class:`ExecutionReport`: a failing cell, a time limit, a dead kernel, a memory or
process breach, a missing sandbox, even an unreadable notebook, each has its status and a sentence saying
what happened where. The kernel and everything it started is killed before :func:`run_notebook` returns.
Cells are numbered as nbformat numbers them (from 0, markdown cells included).

Nothing comes back through the work folder, which the run can rewrite or fill with links: the guard's events
and the probes' reports arrive on pipes (:mod:`grader.execute.channels`), and the executed notebook, the
kernel's log and the exported weights are written by the grader into ``artifacts_dir``, a folder outside
the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import queue
import shutil
import tempfile
import threading
import time
import typing as t
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from pydantic import BaseModel, Field

from grader.execute.channels import Channel, Messages, new_nonce, parse_messages
from grader.execute.guard import guard_source
from grader.execute.kernel import SandboxedKernelManager, private_cell
from grader.execute.overrides import apply_overrides
from grader.execute.probes import SECTIONS, STATE_DICT, probe_source
from grader.execute.sandbox import DATA_MOUNT, TOOLS_MOUNT, SandboxSpec, sandbox_unavailable_reason
from grader.execute.seeding import RUN_SEED, seed_source
from grader.execute.watchdog import Breach, Watchdog
from tools import layout

Status = t.Literal[
    "ok",
    "cell-error",
    "cell-timeout",
    "notebook-timeout",
    "kernel-died",
    "out-of-memory",
    "too-many-processes",
    "disk-quota",
    "sandbox-unavailable",
    "invalid-notebook",
    "grader-error",
]

LOG_FILE = "kernel.log"
STATE_DICT_FILE = "state_dict.pt"
TAIL_CHARS = 4000
MAX_EVENTS_READ = 5000
MAX_EVENTS_BYTES = 4 * 1024 * 1024
MAX_REPORT_BYTES = 512 * 1024 * 1024  # the probes' JSON and the weights (VGG-A's are 39 MB)
INTERRUPT_GRACE_S = 10.0
MAX_CELL_OUTPUT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_OUTPUT_BYTES = 50 * 1024 * 1024
SETUP_TIMEOUT_S = 60.0
BUSY_PROCESSES = 16  # more than a notebook with DataLoader workers starts


class ExecutionReport(BaseModel):
    """What happened to one notebook; paths are absolute, prediction arrays are loaded by the caller."""

    notebook: str
    status: Status
    message: str
    sandboxed: bool
    seed: int | None = None  # the kernel's random generators were seeded with it before the first cell
    failed_cell: int | None = None
    cells_executed: int = 0  # code cells sent to the kernel, the one that failed included
    executed_notebook: str | None = None  # in artifacts_dir, written by the grader
    guard_events: list[dict[str, t.Any]] = Field(default_factory=list)
    probe: dict[str, t.Any] | None = None  # the kernel's claims, section by section, with "errors"
    probe_error: str | None = None
    state_dict: str | None = None  # the exported weights, in artifacts_dir, written by the grader
    overrides_applied: list[dict[str, t.Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    kernel_start_s: float | None = None
    peak_memory_mb: float | None = None
    peak_processes: int | None = None
    log_path: str | None = None
    stdout_tail: str = ""


@dataclasses.dataclass
class _Run:
    """Mutable state of one execution, filled in as it goes and turned into the report at the end."""

    notebook: Path
    spec: SandboxSpec
    sandboxed: bool
    work: Path  # spec.work_dir, links resolved
    artifacts: Path  # the grader's own folder for this run, outside every mount
    events: Channel
    reports: Channel
    nonce: str
    seed: int | None = None
    status: Status = "ok"
    message: str = ""
    failed_cell: int | None = None
    cells_executed: int = 0
    probe_error: str | None = None
    kernel_start_s: float | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    cell_starts: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    probes_start: float | None = None
    watchdog: Watchdog | None = None

    def __post_init__(self) -> None:
        # the numbers the kernel inherits the pipes' write ends under (the grader closes its own copies)
        self.events_fd, self.reports_fd = self.events.write_fd, self.reports.write_fd

    def fail(self, status: Status, message: str, cell: int | None = None) -> None:
        self.status, self.message, self.failed_cell = status, message, cell


class _CappedClient(NotebookClient):
    """Keeps a bounded amount of each cell's output, so that a flood of prints cannot exhaust the grader."""

    def __init__(self, nb: nbformat.NotebookNode, **kwargs: t.Any) -> None:
        super().__init__(nb, **kwargs)
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()

    def output(
        self,
        outs: list[nbformat.NotebookNode],
        msg: dict[str, t.Any],
        display_id: str | None,
        cell_index: int,
    ) -> nbformat.NotebookNode | None:
        used = self._output_bytes.get(cell_index, 0) + len(json.dumps(msg["content"], default=str))
        self._output_bytes[cell_index] = used
        within = (
            used <= MAX_CELL_OUTPUT_BYTES and sum(self._output_bytes.values()) <= MAX_NOTEBOOK_OUTPUT_BYTES
        )
        if within or msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            note = "[grader] the rest of this cell's output was dropped: too much output\n"
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        return None


def run_notebook(
    notebook: Path,
    spec: SandboxSpec,
    *,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    artifacts_dir: Path | None = None,
    overrides: dict[str, t.Any] | None = None,
    sandboxed: bool = True,
    run_probes: bool = True,
    probe_timeout_s: float = 300.0,
    startup_timeout_s: float = 120.0,
    seed: int | None = RUN_SEED,
) -> ExecutionReport:
    """Run ``notebook`` with ``spec.work_dir`` as its cwd and report; never raises for the student's doing.

    ``overrides`` rewrite top-level ``NAME = literal`` settings first (quick mode). The executed notebook,
    the kernel's log and the exported weights land in ``artifacts_dir`` (default: ``<work_dir>.grader``
    beside the work folder), which is emptied first and must lie outside the work folder. ``seed`` (None:
    unseeded) seeds random, numpy and torch before the first cell.
    """
    start = time.monotonic()
    notebook = Path(notebook)
    work = Path(os.path.realpath(spec.work_dir))
    artifacts = Path(os.path.realpath(artifacts_dir or work.with_name(work.name + ".grader")))
    if artifacts == work or work in artifacts.parents:
        raise ValueError(f"artifacts_dir {artifacts} must lie outside the work folder {work}")
    events, reports = Channel(MAX_EVENTS_BYTES), Channel(MAX_REPORT_BYTES)
    run = _Run(notebook, spec, sandboxed, work, artifacts, events, reports, new_nonce(), seed)
    report: dict[str, t.Any] = {}
    if sandboxed and (reason := sandbox_unavailable_reason()) is not None:
        run.fail("sandbox-unavailable", f"{notebook.name} was not run: {reason}")
        return _report(run, start, report)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:
        run.fail("invalid-notebook", f"{notebook.name} cannot be read as a notebook: {_one_line(exc)}")
        return _report(run, start, report)
    try:
        _prepare_work_dir(run)
        report["overrides_applied"] = _apply(nb, overrides)
        _clear_outputs(nb)
        _in_thread(
            lambda: _execute(
                run, nb, cell_timeout_s, notebook_timeout_s, run_probes, probe_timeout_s, startup_timeout_s
            )
        )
    except Exception as exc:
        run.fail("grader-error", f"the grader failed while running {notebook.name}: {_one_line(exc)}")
    report["executed_notebook"] = _write_executed(run, nb)
    return _report(run, start, report)


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _apply(nb: nbformat.NotebookNode, overrides: dict[str, t.Any] | None) -> list[dict[str, t.Any]]:
    if not overrides:
        return []
    return [{**dataclasses.asdict(o), "applied": o.applied} for o in apply_overrides(nb, overrides)]


def _clear_outputs(nb: nbformat.NotebookNode) -> None:
    """Outputs stored by the student must not pass for the grader's own, in cells the run never reached."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _prepare_work_dir(run: _Run) -> None:
    """A fresh artifacts folder; ``data`` and ``tools`` must be mount-point folders, not files or links."""
    _remove(run.artifacts)
    run.artifacts.mkdir(parents=True, mode=0o700)
    for name in (DATA_MOUNT, TOOLS_MOUNT):
        entry = run.work / name
        if entry.is_symlink() or (entry.exists() and not entry.is_dir()):
            _remove(entry)
            run.notes.append(f"the submitted {name!r} was a file or a link and was removed before the run")
    if not run.sandboxed:
        _link_course_files(run)


def _link_course_files(run: _Run) -> None:
    """Without the sandbox, link the course data (not ``hidden/``) and tools into the work dir instead."""
    work = run.work
    if run.spec.data_dir is not None:
        data = work / DATA_MOUNT
        data.mkdir(exist_ok=True)
        for entry in sorted(Path(run.spec.data_dir).iterdir()):
            if entry.name != layout.HIDDEN_DIR and not (data / entry.name).exists():
                (data / entry.name).symlink_to(entry.resolve())
    if not (work / TOOLS_MOUNT).exists():
        (work / TOOLS_MOUNT).symlink_to(Path(run.spec.tools_dir).resolve())
    else:
        run.notes.append("unsandboxed: the submission's own tools/ folder was used, not the course's")


def _in_thread(work: t.Callable[[], t.Coroutine[t.Any, t.Any, None]]) -> None:
    """Run the coroutine on a loop of its own, so that callers with a running loop (Jupyter) can call us."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="grader-notebook", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _execute(
    run: _Run,
    nb: nbformat.NotebookNode,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    run_probes: bool,
    probe_timeout_s: float,
    startup_timeout_s: float,
) -> None:
    runtime = Path(tempfile.mkdtemp(prefix="grader-k-"))
    spec = dataclasses.replace(run.spec, runtime_dir=runtime)
    km = SandboxedKernelManager(
        spec,
        sandboxed=run.sandboxed,
        log_path=run.artifacts / LOG_FILE,
        pass_fds=(run.events_fd, run.reports_fd),
    )
    client = _CappedClient(
        nb,
        km=km,
        timeout=cell_timeout_s,
        allow_errors=False,
        record_timing=True,
        startup_timeout=startup_timeout_s,
        resources={"metadata": {"path": str(run.work)}},
    )
    try:
        if await _start(run, client, km):
            await _run_cells(run, client, km, nb, cell_timeout_s, notebook_timeout_s)
            if run_probes:
                await _probe(run, client, km, probe_timeout_s)
    finally:
        await _stop(run, client, km)
        shutil.rmtree(runtime, ignore_errors=True)


async def _start(run: _Run, client: NotebookClient, km: SandboxedKernelManager) -> bool:
    where = "in the sandbox" if run.sandboxed else "without the sandbox"
    begin = time.monotonic()
    try:
        await client.async_start_new_kernel()
        assert km.provisioner is not None and km.provisioner.pid is not None
        run.watchdog = Watchdog(
            km.provisioner.pid,
            memory_mb=run.spec.memory_mb,
            max_processes=run.spec.max_processes,
            helpers=km.launcher_helpers,
            caps=km.caps,
            disk_dirs=km.writable_dirs,
            max_disk_mb=run.spec.max_disk_mb,
        ).start()
        await client.async_start_new_kernel_client()
    except Exception as exc:
        run.fail("kernel-died", f"the kernel did not start {where}: {_one_line(exc)}; {_log_tail(run, 300)}")
        return False
    run.kernel_start_s = time.monotonic() - begin
    # only the kernel holds the write ends now: when it dies, the readers see the end of their pipes
    run.events.close_write_end()
    run.reports.close_write_end()
    run.notes += km.cap_notes()
    try:
        guard = private_cell(guard_source(run.events_fd), "grader_guard")
        reply = await _run_hidden(client, km, guard, SETUP_TIMEOUT_S)
    except Exception as exc:
        run.fail("sandbox-unavailable", f"the run-time guard could not be installed: {_one_line(exc)}")
        return False
    if reply.get("status") != "ok":
        detail = f"{reply.get('ename')}: {reply.get('evalue')}"
        run.fail("sandbox-unavailable", f"the run-time guard could not be installed: {detail}")
        return False
    if run.seed is not None:
        await _seed(run, client, km)
    return True


async def _seed(run: _Run, client: NotebookClient, km: SandboxedKernelManager) -> None:
    """Seed the kernel; a failure is noted, and the student's first cell then meets the same problem."""
    assert run.seed is not None
    try:
        code = private_cell(seed_source(run.seed), "grader_seed")
        reply = await _run_hidden(client, km, code, SETUP_TIMEOUT_S)
        problem = None if reply.get("status") == "ok" else f"{reply.get('ename')}: {reply.get('evalue')}"
    except Exception as exc:
        problem = _one_line(exc)
    if problem is not None:
        run.notes.append(f"the random generators were not seeded: {problem}")
        run.seed = None


async def _run_cells(
    run: _Run,
    client: NotebookClient,
    km: SandboxedKernelManager,
    nb: nbformat.NotebookNode,
    cell_timeout_s: float,
    notebook_timeout_s: float,
) -> None:
    deadline = time.monotonic() + notebook_timeout_s
    for index, cell in enumerate(nb.cells):
        run.cell_starts.append((time.time(), index))
        count = client.code_cells_executed + 1
        task = asyncio.ensure_future(client.async_execute_cell(cell, index, execution_count=count))
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        run.cells_executed = client.code_cells_executed
        if not done:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            run.fail(
                "notebook-timeout",
                f"the notebook exceeded its {notebook_timeout_s:g} s limit while running cell {index}"
                + _busy(run),
                index,
            )
            return
        error = task.exception()
        if error is None:
            continue
        if isinstance(error, CellTimeoutError):
            limit = f"cell {index} exceeded its {cell_timeout_s:g} s limit"
            run.fail("cell-timeout", limit + _busy(run), index)
        elif isinstance(error, CellExecutionError):
            run.fail("cell-error", f"cell {index} raised {error.ename}: {_first_line(error.evalue)}", index)
        elif isinstance(error, DeadKernelError):
            await _kernel_died(run, km, f"while running cell {index}", index)
        else:
            raise error
        return


def _busy(run: _Run) -> str:
    """A clause naming a crowd of processes, the likely reason a cell ran out of time (a slow fork bomb)."""
    peak = 0 if run.watchdog is None else run.watchdog.peak_processes
    return f", with {peak} processes running" if peak > BUSY_PROCESSES else ""


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:300] if lines else ""


async def _kernel_died(run: _Run, km: SandboxedKernelManager, when: str, cell: int | None) -> None:
    breach = await _breach(run)
    if breach is not None:
        run.fail(t.cast(Status, breach.kind), f"the kernel was stopped {when}: {breach.message}", cell)
        return
    code = None
    if km.provisioner is not None:
        with contextlib.suppress(Exception):
            code = await km.provisioner.poll()
    exit_text = f"exit code {code}" if code is not None else "no exit code"
    if code is not None and code < 0:
        exit_text = f"killed by signal {-code}"
    run.fail("kernel-died", f"the kernel died {when} ({exit_text}): os._exit or a crash", cell)


async def _breach(run: _Run) -> Breach | None:
    """The watchdog's finding, if any; it may still be killing the tree when the kernel's death is noticed."""
    if run.watchdog is None:
        return None
    for _ in range(10):
        if run.watchdog.breach is not None:
            break
        await asyncio.sleep(0.05)
    return run.watchdog.breach


async def _run_hidden(
    client: NotebookClient, km: SandboxedKernelManager, code: str, timeout_s: float
) -> dict[str, t.Any]:
    """Execute grader code without history or displayed output; return the reply's content."""
    kc = client.kc
    assert kc is not None
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no reply within {timeout_s:g} s")
        try:
            msg = await kc.get_shell_msg(timeout=min(1.0, remaining))
        except queue.Empty:
            if not await km.is_alive():
                raise DeadKernelError("Kernel died") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


async def _responsive(client: NotebookClient, km: SandboxedKernelManager) -> bool:
    """Interrupt the kernel after a time limit and wait until it answers again, briefly."""
    with contextlib.suppress(Exception):
        await km.interrupt_kernel()
    deadline = time.monotonic() + INTERRUPT_GRACE_S
    while time.monotonic() < deadline:
        try:
            reply = await _run_hidden(client, km, "pass", max(0.1, deadline - time.monotonic()))
        except Exception:
            return False
        if reply.get("status") == "ok":
            return True
        await asyncio.sleep(0.2)
    return False


async def _probe(run: _Run, client: NotebookClient, km: SandboxedKernelManager, timeout_s: float) -> None:
    if run.status in ("cell-timeout", "notebook-timeout") and not await _responsive(client, km):
        run.probe_error = "the probes were not run: the kernel did not respond after the time limit"
        return
    if run.status not in ("ok", "cell-error", "cell-timeout", "notebook-timeout"):
        run.probe_error = f"the probes were not run: {run.message}"
        return
    run.probes_start = time.time()
    code = private_cell(probe_source(run.reports_fd, run.nonce), "grader_probes")
    try:
        reply = await _run_hidden(client, km, code, timeout_s)
    except TimeoutError:
        run.probe_error = f"the probes did not finish within {timeout_s:g} s"
        return
    except DeadKernelError:
        breach = await _breach(run)
        run.probe_error = "the kernel died during the probes" + (f": {breach.message}" if breach else "")
        return
    if reply.get("status") != "ok":
        run.probe_error = f"the probes failed: {reply.get('ename')}: {_first_line(reply.get('evalue', ''))}"


async def _stop(run: _Run, client: NotebookClient, km: SandboxedKernelManager) -> None:
    """Kill the kernel and its whole tree, and release the channels and sockets, whatever state it is in."""
    if client.kc is not None:
        with contextlib.suppress(Exception):
            client.kc.stop_channels()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(km.shutdown_kernel(now=True), timeout=15)
    if run.watchdog is not None:
        run.watchdog.stop()
        run.watchdog.kill_tree()
    with contextlib.suppress(Exception):
        await km.cleanup_resources()
    km.release_caps()


def _write_executed(run: _Run, nb: nbformat.NotebookNode) -> str | None:
    nb.metadata["grader"] = {"status": run.status, "message": run.message, "sandboxed": run.sandboxed}
    path = run.artifacts / f"{run.notebook.stem}.executed.ipynb"
    try:
        nbformat.write(nb, path)
    except Exception as exc:
        run.notes.append(f"the executed notebook could not be written: {_one_line(exc)}")
        return None
    return str(path)


def _read_events(run: _Run) -> list[dict[str, t.Any]]:
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
        event["cell"] = _cell_at(run, event.get("time"))
        events.append(event)
    if garbage:
        run.notes.append(f"guard events: {garbage} lines were not guard events and were skipped")
    return events


def _cell_at(run: _Run, moment: object) -> int | None:
    """The cell that was running at ``moment`` (guard and kernel share the clock); None outside the cells."""
    if not isinstance(moment, int | float) or (run.probes_start is not None and moment >= run.probes_start):
        return None
    cell = None
    for started, index in run.cell_starts:
        if started > moment:
            break
        cell = index
    return cell


def _read_reports(run: _Run) -> tuple[dict[str, t.Any] | None, str | None]:
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
    weights = messages.payloads.get(STATE_DICT)
    if weights is None:
        return probe, None
    path = run.artifacts / STATE_DICT_FILE
    path.write_bytes(weights)
    return probe, str(path)


def _note_tampering(run: _Run, messages: Messages) -> None:
    if messages.repeated:
        run.notes.append(
            "the probes' reports were sent again after the grader's probe cell (kept the first copy): "
            + ", ".join(sorted(set(messages.repeated)))
        )
    if messages.truncated:
        run.notes.append("the probes' reports were cut short: " + ", ".join(sorted(messages.truncated)))


def _log_tail(run: _Run, chars: int = TAIL_CHARS) -> str:
    path = run.artifacts / LOG_FILE
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - chars))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _report(run: _Run, start: float, extra: dict[str, t.Any]) -> ExecutionReport:
    if run.status == "ok":
        run.message = f"{run.notebook.name} ran to the end ({run.cells_executed} code cells)"
    ran = run.artifacts.is_dir() and run.status not in ("sandbox-unavailable", "invalid-notebook")
    watchdog = run.watchdog
    events = _read_events(run) if ran else []
    probe, state_dict = _read_reports(run) if ran else (None, None)
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
        cells_executed=run.cells_executed,
        executed_notebook=extra.get("executed_notebook"),
        guard_events=events,
        probe=probe,
        probe_error=run.probe_error,
        state_dict=state_dict,
        overrides_applied=extra.get("overrides_applied", []),
        notes=run.notes,
        duration_s=round(time.monotonic() - start, 3),
        kernel_start_s=None if run.kernel_start_s is None else round(run.kernel_start_s, 3),
        peak_memory_mb=None if watchdog is None else round(watchdog.peak_memory_mb, 1),
        peak_processes=None if watchdog is None else watchdog.peak_processes,
        log_path=str(run.artifacts / LOG_FILE) if ran else None,
        stdout_tail=_log_tail(run) if ran else "",
    )
