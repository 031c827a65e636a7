"""Execute one student notebook headless in the sandbox, then probe it, and bring back what happened as data.

Every path ends in an :class:`ExecutionReport`: a failing cell, a time limit, a dead kernel, a memory or
process breach, a missing sandbox, even an unreadable notebook, each has its status and a sentence saying
what happened where. The kernel and everything it started is killed before :func:`run_notebook` returns.
Cells are numbered as nbformat numbers them (from 0, markdown cells included).

Nothing comes back through the work folder, which the run can rewrite or fill with links: the guard's events
and the probes' reports arrive on pipes (:mod:`grader.execute.channels`) and are read once the kernel is gone
(:mod:`grader.execute.readback`), and the executed notebook, the kernel's log and the exported weights are
written by the grader into ``artifacts_dir``, a folder outside the sandbox (:mod:`grader.execute.workdir`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import tempfile
import threading
import time
import typing as t
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from grader.execute.channels import Channel, new_nonce
from grader.execute.client import CappedClient, run_hidden
from grader.execute.host import Transport
from grader.execute.kernel import SandboxedKernelManager, private_cell
from grader.execute.overrides import cell_source
from grader.execute.payload import guard_source, probe_source, seed_source
from grader.execute.quick_faults import quick_mode_cause
from grader.execute.readback import MAX_EVENTS_BYTES, MAX_REPORT_BYTES, final_report, log_tail
from grader.execute.report import CellError, ExecutionReport, RunRecord, Status, first_line, one_line
from grader.execute.sandbox import SandboxSpec, sandbox_unavailable_reason
from grader.execute.watchdog import Breach, Watchdog
from grader.execute.workdir import LOG_FILE, prepare_notebook, prepare_work_dir, write_executed
from grader.static.outputs import EpochCounter

RUN_SEED = 0  # the seed of every graded run, so that grading a notebook twice trains the same model
INTERRUPT_GRACE_S = 10.0
# a training cell interrupted between batches may first wind down its DataLoader workers: on a loaded 2-core
# machine the reference's took longer than 10 s
AUDIT_STOP_GRACE_S = 60.0
SETUP_TIMEOUT_S = 60.0
BUSY_PROCESSES = 16  # more than a notebook with DataLoader workers starts


def run_notebook(
    notebook: Path,
    spec: SandboxSpec,
    *,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    artifacts_dir: Path | None = None,
    overrides: dict[str, t.Any] | None = None,
    sweep_keep: int | None = None,
    epoch_setting: str = "EPOCHS",
    sandboxed: bool = True,
    run_probes: bool = True,
    probe_timeout_s: float = 300.0,
    startup_timeout_s: float = 120.0,
    seed: int | None = RUN_SEED,
    inherited: dict[str, str] | None = None,
    transport: Transport | None = None,
    stop_after_epochs: int | None = None,
) -> ExecutionReport:
    """Run ``notebook`` with ``spec.work_dir`` as its cwd and report; never raises for the student's doing.

    ``overrides`` rewrite top-level ``NAME = literal`` settings first and ``sweep_keep`` cuts sweeps (that
    read ``epoch_setting``) to their first members (quick mode); a later cell error that traces to either is
    recorded and the run goes on (:mod:`grader.execute.quick_faults`). The executed notebook,
    the kernel's log and the exported weights land in ``artifacts_dir`` (default: ``<work_dir>.grader``
    beside the work folder), which is emptied first and must lie outside the work folder. ``seed`` (None:
    unseeded) seeds random, numpy and torch before the first cell. ``inherited`` names the files of the
    work folder that an earlier notebook's run of the same grading wrote (relative path -> that notebook):
    the guard lets the run load them as its own. ``transport`` is the kernel channels' transport of an
    unsandboxed run (default: :func:`grader.execute.host.kernel_transport`); a sandboxed run uses ipc.
    ``stop_after_epochs`` (audit mode) interrupts the kernel
    once the run has printed that many validation accuracies and runs no further cell; the probes then export
    the model as it is at that point.
    """
    start = time.monotonic()
    notebook = Path(notebook)
    work = Path(os.path.realpath(spec.work_dir))
    artifacts = Path(os.path.realpath(artifacts_dir or work.with_name(work.name + ".grader")))
    if artifacts == work or work in artifacts.parents:
        raise ValueError(f"artifacts_dir {artifacts} must lie outside the work folder {work}")
    events, reports = Channel(MAX_EVENTS_BYTES), Channel(MAX_REPORT_BYTES)
    run = RunRecord(notebook, spec, sandboxed, work, artifacts, events, reports, new_nonce(), seed)
    run.inherited = dict(inherited or {})
    if sandboxed and (reason := sandbox_unavailable_reason()) is not None:
        run.fail("sandbox-unavailable", f"{notebook.name} was not run: {reason}")
        return final_report(run, start)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:
        run.fail("invalid-notebook", f"{notebook.name} cannot be read as a notebook: {one_line(exc)}")
        return final_report(run, start)
    try:
        prepare_work_dir(run)
        run.overrides_applied = prepare_notebook(nb, overrides, sweep_keep, epoch_setting)
        _in_thread(
            lambda: _execute(
                run,
                nb,
                cell_timeout_s,
                notebook_timeout_s,
                run_probes,
                probe_timeout_s,
                startup_timeout_s,
                transport,
                stop_after_epochs,
            )
        )
    except Exception as exc:
        run.fail("grader-error", f"the grader failed while running {notebook.name}: {one_line(exc)}")
    run.executed_notebook = write_executed(run, nb)
    return final_report(run, start)


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
    run: RunRecord,
    nb: nbformat.NotebookNode,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    run_probes: bool,
    probe_timeout_s: float,
    startup_timeout_s: float,
    transport: Transport | None,
    stop_after_epochs: int | None,
) -> None:
    runtime = Path(tempfile.mkdtemp(prefix="grader-k-"))
    spec = dataclasses.replace(run.spec, runtime_dir=runtime)
    km = SandboxedKernelManager(
        spec,
        sandboxed=run.sandboxed,
        log_path=run.artifacts / LOG_FILE,
        pass_fds=(run.events_fd, run.reports_fd),
        transport=transport,
    )
    counter, enough = EpochCounter(), asyncio.Event()

    def count(text: str, stream: str) -> None:
        run.epochs_seen = counter.feed(text, stream)
        if stop_after_epochs is not None and run.epochs_seen >= stop_after_epochs:
            enough.set()

    client = CappedClient(
        nb,
        # only audit mode reads the lines as they stream: every other run leaves the output path as it was
        on_stream=count if stop_after_epochs is not None else None,
        km=km,
        timeout=cell_timeout_s,
        allow_errors=False,
        record_timing=True,
        startup_timeout=startup_timeout_s,
        resources={"metadata": {"path": str(run.work)}},
    )
    try:
        if await _start(run, client, km):
            await _run_cells(run, client, km, nb, cell_timeout_s, notebook_timeout_s, enough)
            if run_probes:
                await _probe(run, client, km, probe_timeout_s)
    finally:
        await _stop(run, client, km)
        shutil.rmtree(runtime, ignore_errors=True)


async def _start(run: RunRecord, client: NotebookClient, km: SandboxedKernelManager) -> bool:
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
        run.fail("kernel-died", f"the kernel did not start {where}: {one_line(exc)}; {log_tail(run, 300)}")
        return False
    run.kernel_start_s = time.monotonic() - begin
    # only the kernel holds the write ends now: when it dies, the readers see the end of their pipes
    run.events.close_write_end()
    run.reports.close_write_end()
    run.notes += km.cap_notes()
    try:
        # without a GPU (quick mode, the pre-check, a CPU machine) the notebook's CUDA calls run on the CPU
        source = guard_source(run.events_fd, cuda_on_cpu=not run.spec.gpu, inherited=run.inherited)
        guard = private_cell(source, "grader_guard")
        reply = await run_hidden(client, km, guard, SETUP_TIMEOUT_S)
    except Exception as exc:
        run.fail("sandbox-unavailable", f"the run-time guard could not be installed: {one_line(exc)}")
        return False
    if reply.get("status") != "ok":
        detail = f"{reply.get('ename')}: {reply.get('evalue')}"
        run.fail("sandbox-unavailable", f"the run-time guard could not be installed: {detail}")
        return False
    if run.seed is not None:
        await _seed(run, client, km)
    return True


async def _seed(run: RunRecord, client: NotebookClient, km: SandboxedKernelManager) -> None:
    """Seed the kernel; a failure is noted, and the student's first cell then meets the same problem."""
    assert run.seed is not None
    try:
        code = private_cell(seed_source(run.seed), "grader_seed")
        reply = await run_hidden(client, km, code, SETUP_TIMEOUT_S)
        problem = None if reply.get("status") == "ok" else f"{reply.get('ename')}: {reply.get('evalue')}"
    except Exception as exc:
        problem = one_line(exc)
    if problem is not None:
        run.notes.append(f"the random generators were not seeded: {problem}")
        run.seed = None


async def _run_cells(
    run: RunRecord,
    client: NotebookClient,
    km: SandboxedKernelManager,
    nb: nbformat.NotebookNode,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    enough: asyncio.Event,
) -> None:
    deadline = time.monotonic() + notebook_timeout_s
    stop = asyncio.ensure_future(enough.wait())
    try:
        for index, cell in enumerate(nb.cells):
            limits = (cell_timeout_s, notebook_timeout_s, deadline)
            if not await _run_cell(run, client, km, cell, index, *limits, stop):
                return
    finally:
        stop.cancel()


async def _run_cell(
    run: RunRecord,
    client: NotebookClient,
    km: SandboxedKernelManager,
    cell: nbformat.NotebookNode,
    index: int,
    cell_timeout_s: float,
    notebook_timeout_s: float,
    deadline: float,
    stop: asyncio.Future[t.Any],
) -> bool:
    """Run one cell; False when the run ends here (an error, a limit, or audit mode's stop)."""
    if stop.done():  # the epochs were printed by the end of the previous cell
        run.stopped_after_epochs = run.epochs_seen
        run.message = f"stopped by the grader after {run.epochs_seen} printed epochs, before cell {index}"
        return False
    run.cell_starts.append((time.time(), index))
    count = client.code_cells_executed + 1
    task = asyncio.ensure_future(client.async_execute_cell(cell, index, execution_count=count))
    timeout = max(0.0, deadline - time.monotonic())
    done, _ = await asyncio.wait({task, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    run.cells_executed = client.code_cells_executed
    if stop in done and task not in done:
        await _stop_for_audit(run, client, km, task, index)
        return False
    if not done:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        run.progressing = bool(cell.get("outputs"))
        run.fail(
            "notebook-timeout",
            f"the notebook exceeded its {notebook_timeout_s:g} s limit while running cell {index}"
            + _busy(run),
            index,
        )
        return False
    error = task.exception()
    if error is None:
        return True
    if isinstance(error, CellExecutionError) and _quick_mode_fault(run, cell, index, error):
        return True
    if isinstance(error, CellTimeoutError):
        run.progressing = bool(cell.get("outputs"))
        limit = f"cell {index} exceeded its {cell_timeout_s:g} s limit"
        run.fail("cell-timeout", limit + _busy(run), index)
    elif isinstance(error, CellExecutionError):
        run.fail("cell-error", f"cell {index} raised {error.ename}: {first_line(error.evalue)}", index)
        run.error = CellError(name=error.ename, value=first_line(error.evalue))
    elif isinstance(error, DeadKernelError):
        await _kernel_died(run, km, f"while running cell {index}", index)
    else:
        raise error
    return False


async def _stop_for_audit(
    run: RunRecord,
    client: NotebookClient,
    km: SandboxedKernelManager,
    task: asyncio.Future[t.Any],
    index: int,
) -> None:
    """Interrupt the cell that printed the audited epoch, as a time limit does, and wait for the kernel to
    answer again, so that the probes export the model as it was when the epoch was printed."""
    seen = run.epochs_seen
    with contextlib.suppress(Exception):
        await km.interrupt_kernel()
    done, _ = await asyncio.wait({task}, timeout=AUDIT_STOP_GRACE_S)
    if not done:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        run.fail("notebook-timeout", f"cell {index} did not stop when the grader interrupted it", index)
        return
    error = task.exception()
    if isinstance(error, DeadKernelError):
        await _kernel_died(run, km, f"when the grader interrupted cell {index}", index)
        return
    if not await _answers(client, km):
        run.fail("notebook-timeout", f"the kernel did not answer after the interrupt of cell {index}", index)
        return
    run.stopped_after_epochs = seen
    run.message = f"stopped by the grader in cell {index} after {seen} printed epochs"


async def _answers(client: NotebookClient, km: SandboxedKernelManager) -> bool:
    """Whether the kernel runs a hidden ``pass`` again within the grace period (an interrupt that arrives
    late lands on one of these, not on the probes)."""
    deadline = time.monotonic() + INTERRUPT_GRACE_S
    while time.monotonic() < deadline:
        try:
            reply = await run_hidden(client, km, "pass", max(0.1, deadline - time.monotonic()))
        except Exception:
            return False
        if reply.get("status") == "ok":
            return True
        await asyncio.sleep(0.2)
    return False


def _quick_mode_fault(
    run: RunRecord, cell: nbformat.NotebookNode, index: int, error: CellExecutionError
) -> bool:
    """Record and excuse a cell error that a quick-mode change caused; the next cells still run."""
    if not run.overrides_applied:
        return False
    cause = quick_mode_cause(cell_source(cell), index, error.ename, error.evalue, run.overrides_applied)
    if cause is None:
        return False
    error_line = f"{error.ename}: {first_line(error.evalue)}"
    run.quick_mode_errors.append({"cell": index, "error": error_line, "change": cause})
    return True


def _busy(run: RunRecord) -> str:
    """A clause naming a crowd of processes, the likely reason a cell ran out of time (a slow fork bomb)."""
    if run.watchdog is None:
        return ""
    run.watchdog.recount()
    peak = run.watchdog.peak_processes
    return f", with {peak} processes running" if peak > BUSY_PROCESSES else ""


async def _kernel_died(run: RunRecord, km: SandboxedKernelManager, when: str, cell: int | None) -> None:
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


async def _breach(run: RunRecord) -> Breach | None:
    """The watchdog's finding, if any; it may still be killing the tree when the kernel's death is noticed."""
    if run.watchdog is None:
        return None
    for _ in range(10):
        if run.watchdog.breach is not None:
            break
        await asyncio.sleep(0.05)
    return run.watchdog.breach


async def _responsive(client: NotebookClient, km: SandboxedKernelManager) -> bool:
    """Interrupt the kernel after a time limit and wait until it answers again, briefly."""
    with contextlib.suppress(Exception):
        await km.interrupt_kernel()
    return await _answers(client, km)


async def _probe(
    run: RunRecord, client: NotebookClient, km: SandboxedKernelManager, timeout_s: float
) -> None:
    if run.status in ("cell-timeout", "notebook-timeout") and not await _responsive(client, km):
        run.probe_error = "the probes were not run: the kernel did not respond after the time limit"
        return
    if run.status not in ("ok", "cell-error", "cell-timeout", "notebook-timeout"):
        run.probe_error = f"the probes were not run: {run.message}"
        return
    run.probes_start = time.time()
    code = private_cell(probe_source(run.reports_fd, run.nonce), "grader_probes")
    try:
        reply = await run_hidden(client, km, code, timeout_s)
    except TimeoutError:
        run.probe_error = f"the probes did not finish within {timeout_s:g} s"
        return
    except DeadKernelError:
        breach = await _breach(run)
        run.probe_error = "the kernel died during the probes" + (f": {breach.message}" if breach else "")
        return
    if reply.get("status") != "ok":
        run.probe_error = f"the probes failed: {reply.get('ename')}: {first_line(reply.get('evalue', ''))}"


async def _stop(run: RunRecord, client: NotebookClient, km: SandboxedKernelManager) -> None:
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
