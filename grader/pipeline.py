"""Grade one submission: intake, static evidence, sandboxed runs, checks, rubric, and an atomic result.json.

Every stage records what it found as evidence; the checks turn evidence into verdicts and the rubric turns
verdicts into points. A broken or hostile submission still ends in a written result with its reasons.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
import numpy as np

from grader import __version__
from grader.checks import evaluate, uniform_outcomes
from grader.checks.files import carried_files
from grader.coursedata.quick import QuickPlan, plan_notebook, quick_subset
from grader.coursedata.show import read_manifest
from grader.errors import DataSourceError, GraderError
from grader.evidence.audit import BAND_FILE, Band, audit_findings, read_band
from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.evidence.consistency import claim_findings, outcome_findings
from grader.evidence.environment import environment_findings
from grader.execute import ExecutionReport, SandboxSpec, run_notebook, sandbox_available
from grader.execute.carryover import CarriedFiles, Listing, listing
from grader.execute.evaluation import WAIT_MARGIN_S, FreshProcess
from grader.execute.host import Transport, kernel_transport
from grader.execute.runner import RUN_SEED
from grader.execute.turns import Turns
from grader.intake import (
    ExpectedFile,
    IntakeRejected,
    content_sha256,
    locate_files,
    submission_id,
    unpack_submission,
)
from grader.manual.merge import kept_ta_grades
from grader.paths import COURSE_TOOLS
from grader.records import (
    RESULT_FILE,
    RUNS_DIR,
    SUBMISSION_DIR,
    AuditRecord,
    CheckOutcome,
    Finding,
    Mode,
    Result,
    RunOutcome,
    TAGrade,
    rejection_notes,
    write_result,
)
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.model import Rubric
from grader.rubric.scoring import apply_rubric
from grader.static import load_notebook, parse_stored_outputs, scan_notebook
from grader.static.checkpoints import published_match, tensor_shapes
from grader.static.predictions import PredictionsError, course_sample, read_predictions
from tools import layout

# what PyTorch's CUDA allocator says when the GPU's memory is exhausted (a plain RuntimeError in old releases)
_CUDA_OOM = "CUDA out of memory"


@dataclass(frozen=True)
class GradeOptions:
    rubric: str | Path
    out_dir: Path
    data_dir: Path | None = None
    mode: Mode = "static"
    sandbox: bool = True
    gpu: bool | None = None  # None: use the GPU when /dev/nvidia0 exists
    cache_dir: Path | None = None  # where quick mode keeps its data subset (default OUT/.cache)
    kernel_transport: Transport | None = None  # unsandboxed runs only (None: grader.execute.host decides)
    band: Path | None = None  # audit mode's seed-noise band (default OUT/audit-band.json when it exists)
    seed: int | None = RUN_SEED  # the seed of every run (audit-band varies it)

    def check(self) -> None:
        """What would fail every submission; a batch reports them once, before any worker starts."""
        if self.mode != "static" and self.data_dir is None:
            raise GraderError(f"--data is required in {self.mode} mode: the notebooks run on the course data")
        if self.band is not None:
            read_band(self.band)
        if self.data_dir is not None and not Path(self.data_dir).is_dir():
            raise GraderError(f"the course data folder {self.data_dir} does not exist")
        if self.mode != "static" and self.sandbox and not sandbox_available():
            raise GraderError(
                "bubblewrap (bwrap) is not available, so student code cannot be sandboxed: install it (make "
                "setup does, as root) or pass --no-sandbox to run unsandboxed, which the report will say"
            )
        try:
            kernel_transport(self.sandbox, self.kernel_transport)
        except ValueError as exc:
            raise GraderError(str(exc)) from None


def grade_submission(src: Path, options: GradeOptions) -> Result:
    """Grade SRC (a zip or a folder) and write ``OUT/<submission-id>/result.json``; return the result."""
    started = time.perf_counter()
    src = Path(src)
    if not src.exists():
        raise GraderError(f"submission {src} does not exist")
    rubric = load_rubric(resolve_rubric(options.rubric))
    options.check()
    sub_id = submission_id(src)
    sub_out = Path(options.out_dir) / sub_id
    if sub_out.exists():
        shutil.rmtree(sub_out)
    sub_out.mkdir(parents=True)
    timings: dict[str, float] = {}
    findings: list[Finding] = []
    finish = functools.partial(_finish, rubric, options, src, sub_id, sub_out, findings, timings, started)

    clock = time.perf_counter()
    root = sub_out / SUBMISSION_DIR
    try:
        unpack_submission(src, root, notes=findings)
    except IntakeRejected as exc:
        findings.append(Finding(kind="intake-rejected", severity="error", detail=str(exc)))
        return finish(_rejected(rubric, options.mode), format_ok=False, seed=None, rejection=str(exc))
    timings["intake_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    evidence, format_ok = _static_evidence(rubric, options, root, findings)
    timings["static_s"] = time.perf_counter() - clock

    if options.mode != "static":
        clock = time.perf_counter()
        _run_notebooks(evidence, options, sub_out)
        timings["execution_s"] = time.perf_counter() - clock
        timings |= {f"run_{key}_s": nb.run.duration_s for key, nb in evidence.notebooks.items() if nb.run}
        timings |= {
            f"evaluate_{key}_s": nb.evaluation.duration_s
            for key, nb in evidence.notebooks.items()
            if nb.evaluation
        }
        findings.extend(claim_findings(evidence))
        findings.extend(environment_findings(evidence, root))
        if options.mode == "audit":
            findings.extend(audit_findings(evidence, _band(options)))
    outcomes = evaluate(evidence, rubric.items)
    findings.extend(outcome_findings(evidence, outcomes))
    _copy_artifacts(evidence, sub_out)
    # what the runs wrote (checkpoints, or a hostile notebook's junk) goes; their notebooks and logs stay
    shutil.rmtree(sub_out / RUNS_DIR, ignore_errors=True)
    return finish(
        outcomes, format_ok, _seed(evidence), runs=_run_outcomes(evidence), audits=_audits(evidence)
    )


def _run_outcomes(evidence: Evidence) -> dict[str, RunOutcome]:
    """How each notebook's run ended, where and on what, for the report's causes."""
    return {
        key: RunOutcome(
            notebook=nb.spec.filename,
            status=nb.run.status,
            message=nb.run.message,
            cell=nb.run.failed_cell,
            error=f"{nb.run.error.name}: {nb.run.error.value}" if nb.run.error else None,
        )
        for key, nb in evidence.notebooks.items()
        if nb.run is not None
    }


def _band(options: GradeOptions) -> Band | None:
    """The band file given, or the one in OUT; None when there is none (the audits are then not checked)."""
    if options.band is not None:
        return read_band(options.band)
    default = Path(options.out_dir) / BAND_FILE
    return read_band(default) if default.is_file() else None


def _audits(evidence: Evidence) -> dict[str, AuditRecord]:
    return {key: nb.audit for key, nb in evidence.notebooks.items() if nb.audit is not None}


def _rejected(rubric: Rubric, mode: Mode) -> dict[str, CheckOutcome]:
    """Every automatic item fails with the intake's reason: a rejected upload is graded, not skipped."""
    refused = CheckOutcome(status="fail", message="the submission was rejected at intake (see findings)")
    return uniform_outcomes(rubric.items, mode, refused)


def _static_evidence(
    rubric: Rubric, options: GradeOptions, root: Path, findings: list[Finding]
) -> tuple[Evidence, bool]:
    expected = [ExpectedFile(spec.key, spec.filename) for spec in rubric.notebooks]
    if rubric.predictions is not None:
        expected.append(ExpectedFile("predictions", rubric.predictions.filename))
    located = locate_files(root, expected, rubric.report.filename if rubric.report else None)
    findings.extend(located.findings)
    notebooks = {}
    for spec in rubric.notebooks:
        nb = NotebookEvidence(spec=spec, path=located.paths.get(spec.key))
        if nb.path is not None:
            nb.loaded = load_notebook(nb.path, spec.filename)
            nb.findings.extend(nb.loaded.findings)
            if nb.loaded.nb is not None:
                nb.stored = parse_stored_outputs(nb.loaded.nb)
                nb.findings.extend(scan_notebook(nb.loaded.nb, spec.filename))
        findings.extend(nb.findings)
        notebooks[spec.key] = nb
    evidence = Evidence(
        rubric=rubric,
        mode=options.mode,
        notebooks=notebooks,
        labels=_labels(options.data_dir),
        files={"report": located.paths.get("report"), "predictions": located.paths.get("predictions")},
    )
    if rubric.predictions is not None:
        path = evidence.files["predictions"]
        if path is None:
            evidence.predictions_error = f"{rubric.predictions.filename} was not found in the submission"
        elif (sample := course_sample(path)) is not None:
            evidence.predictions_error = (
                f"{path.name} is a copy of {sample}, not predictions of the student's model: "
                f"{rubric.predictions.filename} was not submitted"
            )
        else:
            try:
                evidence.predictions = read_predictions(
                    path, [tuple(h) for h in rubric.predictions.headers], _test_rows(rubric, options.data_dir)
                )
            except PredictionsError as exc:
                evidence.predictions_error = str(exc)
    return evidence, located.format_ok


def _test_rows(rubric: Rubric, data_dir: Path | None) -> int:
    """Rows predictions.csv must have: the course data's test images when known, else the rubric's count."""
    test_images = data_dir / layout.TEST_IMAGES if data_dir is not None else None
    if test_images is None or not test_images.is_file():
        return rubric.predictions.rows
    return int(np.load(test_images, mmap_mode="r").shape[0])


def _labels(data_dir: Path | None) -> Labels:
    """Validation labels (students have them too) and the hidden test labels, read in this process only."""
    if data_dir is None:
        return Labels()
    val = data_dir / layout.VAL_LABELS
    hidden = data_dir / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS
    return Labels(
        val=np.load(val, allow_pickle=False) if val.is_file() else None,
        test=np.load(hidden, allow_pickle=False) if hidden.is_file() else None,
        term=_data_term(data_dir),
    )


def _data_term(data_dir: Path) -> str | None:
    """The term the course data was built for, from its manifest; None when there is none to read."""
    try:
        term = read_manifest(data_dir).get("term")
    except (DataSourceError, OSError, ValueError, AttributeError):
        return None
    return term if isinstance(term, str) else None


def _transport(options: GradeOptions) -> Transport:
    return kernel_transport(options.sandbox, options.kernel_transport)


def _gpu_present() -> bool:
    return Path("/dev/nvidia0").exists()


def _run_notebooks(evidence: Evidence, options: GradeOptions, sub_out: Path) -> None:
    """Each notebook in a kernel of its own, on a private copy of its folder, in the rubric's order; what an
    earlier run wrote (its checkpoint folder) is copied into the later ones, as the notebooks share it when
    a student runs them one after another."""
    rubric = evidence.rubric
    limits = rubric.limits_for(options.mode)
    quick = options.mode == "quick"
    cache = options.cache_dir or options.out_dir / ".cache"
    turns = Turns(cache)
    gpu_turns = Turns(cache / f"gpu-{_pinned_gpu()}")  # the notebooks sharing this worker's GPU
    data_dir = quick_subset(options.data_dir, rubric.quick.subset, cache) if quick else options.data_dir
    run_labels = _labels(data_dir)  # a budget changes how many training images a run gets, never these
    evidence.labels.val, evidence.labels.run_test = run_labels.val, run_labels.test
    carried = CarriedFiles(
        sub_out / RUNS_DIR / "carried-files",  # beside the runs, outside every mount; no key has a "-"
        max_file_bytes=int(limits.max_file_mb * 1024 * 1024),
        max_total_bytes=int(limits.max_disk_mb * 1024 * 1024),
    )
    for key, nb in evidence.notebooks.items():
        if nb.loaded is None or nb.loaded.nb is None:
            continue
        plan = plan_notebook(nb.loaded.nb, rubric.quick, key) if quick else None
        run_data = quick_subset(options.data_dir, plan.subset, cache) if plan else data_dir
        with turns.shared(), gpu_turns.shared():
            attempt = _attempt(rubric, nb, options, sub_out, run_data, plan, key, carried)
        retry = _retry_due(attempt.run)
        if retry is not None:
            first = attempt.run
            attempt.fresh.cancel()
            # a slow run gets the machine to itself; one out of GPU memory gets its GPU to itself
            alone = turns.alone() if retry == "timeout" else _alone_on_gpu(turns, gpu_turns)
            with alone:
                attempt = _attempt(rubric, nb, options, sub_out, run_data, plan, f"{key}.retry", carried)
            attempt.run.attempts = [_attempt_summary(first)]
            attempt.run.notes.append(_retry_note(first, retry))
        nb.run, fresh = attempt.run, attempt.fresh
        nb.run.notes += attempt.carry_notes + carried.collect(
            attempt.work, attempt.before, nb.path.parent, nb.path.name
        )
        nb.published_weights = _published_weights(nb)
        if plan is not None and plan.note:
            nb.run.notes.append(plan.note)
        if nb.run.executed_notebook is not None:
            nb.run_stored = parse_stored_outputs(nbformat.read(nb.run.executed_notebook, as_version=4))
        if nb.run.state_dict is not None:
            nb.evaluation = fresh.evaluate(nb.loaded.nb, nb.run, nb.path.parent)
            if evidence.labels.val is not None:
                nb.evaluation.prefer_best(evidence.labels.val)
        else:
            fresh.cancel()


def _retry_due(run: ExecutionReport) -> Literal["timeout", "gpu-memory"] | None:
    """Why the run is owed a second attempt alone, if it is: a wall-clock limit hit while making progress (on
    a loaded machine it may just be slow), or the GPU's memory exhausted (other notebooks share the GPU)."""
    if run.status in ("cell-timeout", "notebook-timeout") and run.progressing:
        return "timeout"
    if run.status == "cell-error" and gpu_out_of_memory(run):
        return "gpu-memory"
    return None


def gpu_out_of_memory(run: ExecutionReport) -> bool:
    """The failed cell raised PyTorch's out-of-memory error (``torch.OutOfMemoryError``, or a RuntimeError
    saying "CUDA out of memory" in older releases), as the kernel reported it."""
    error = run.error
    return error is not None and (error.name == "OutOfMemoryError" or _CUDA_OOM in error.value)


@contextlib.contextmanager
def _alone_on_gpu(machine: Turns, gpu: Turns) -> Iterator[None]:
    """The GPU to itself: other notebooks go on elsewhere on the machine (the machine's lock comes first, in
    every worker, so no two workers wait for each other)."""
    with machine.shared(), gpu.alone():
        yield


def _retry_note(first: ExecutionReport, why: str) -> str:
    if why == "timeout":
        alone = "while making progress; it was run again with no other notebook running"
    else:
        alone = f"out of GPU memory; it was run again with no other notebook on GPU {_pinned_gpu()}"
    return (
        f"the first attempt ended in {first.status} ({first.message}) {alone}, and this is the second "
        "attempt's result"
    )


def _pinned_gpu() -> str:
    """The GPU this process is pinned to (a batch worker's ``CUDA_VISIBLE_DEVICES``), or "all"."""
    return os.environ.get("CUDA_VISIBLE_DEVICES", "").strip() or "all"


def _attempt_summary(run: ExecutionReport) -> dict[str, Any]:
    """An earlier attempt as the evidence keeps it (no duration: evidence must be the same on a re-grade)."""
    return {"status": run.status, "message": run.message, "failed_cell": run.failed_cell}


@dataclass
class _Attempt:
    """One run of a notebook, the fresh process waiting for its model, and what the carried files need."""

    run: ExecutionReport
    fresh: FreshProcess
    work: Path
    before: Listing  # the work folder as the run found it, so what it wrote can be carried on
    carry_notes: list[str]


def _attempt(
    rubric: Rubric,
    nb: NotebookEvidence,
    options: GradeOptions,
    sub_out: Path,
    data_dir: Path | None,
    plan: QuickPlan | None,
    name: str,
    carried: CarriedFiles,
) -> _Attempt:
    """One run of NB in the folder NAME under the runs folder, with what earlier notebooks' runs wrote."""
    limits = rubric.limits_for(options.mode)
    work = sub_out / RUNS_DIR / name
    artifacts = sub_out / RUNS_DIR / f"{name}.grader"  # beside the run's folder, outside every mount
    shutil.copytree(nb.path.parent, work, symlinks=True)
    inherited, carry_notes = carried.place(work)
    before = listing(work)
    spec = SandboxSpec(
        work_dir=work,
        data_dir=data_dir,
        tools_dir=COURSE_TOOLS,
        memory_mb=limits.memory_mb,
        max_processes=limits.max_processes,
        max_file_mb=int(limits.max_file_mb),
        max_disk_mb=int(limits.max_disk_mb),
        gpu=_gpu_present() if options.gpu is None else options.gpu,
    )
    # started now, it has loaded its interpreter and torch by the time the trained weights exist
    fresh = FreshProcess(
        sub_out / RUNS_DIR / f"{name}.eval",
        data_dir,
        spec,
        sandboxed=options.sandbox,
        timeout_s=limits.cell_timeout_s,
        wait_limit_s=limits.notebook_timeout_s + WAIT_MARGIN_S,
    )
    try:
        run = run_notebook(
            work / nb.path.name,
            spec,
            cell_timeout_s=limits.cell_timeout_s,
            notebook_timeout_s=limits.notebook_timeout_s,
            artifacts_dir=artifacts,
            overrides=plan.overrides if plan else None,
            sweep_keep=rubric.quick.sweep_keep if options.mode == "quick" else None,
            epoch_setting=rubric.quick.epochs_setting,
            sandboxed=options.sandbox,
            inherited=inherited,
            transport=options.kernel_transport,
            seed=options.seed,
            stop_after_epochs=_audit_epochs(rubric, nb) if options.mode == "audit" else None,
        )
    except BaseException:
        fresh.cancel()
        raise
    return _Attempt(run, fresh, work, before, carry_notes)


def _audit_epochs(rubric: Rubric, nb: NotebookEvidence) -> int | None:
    """After how many printed epochs audit mode stops NB's run; None (run to the end) when there is no
    epoch to audit."""
    claimed = len(nb.stored.val_accuracies) if nb.stored is not None else 0
    return rubric.audit.epochs_for(nb.spec.key, claimed)


def _published_weights(nb: NotebookEvidence) -> dict[str, str]:
    """Of the submission's files the run tried to load, those holding a published pretrained model's weights,
    read from the grader's own copy of the submission (never from the run's folder, which the run could
    rewrite)."""
    found = {}
    for shown, rel in carried_files(nb).items():
        original = nb.path.parent / rel
        if original.is_file() and not original.is_symlink():
            model = published_match(tensor_shapes(original))
            if model is not None:
                found[shown] = model
    return found


def _seed(evidence: Evidence) -> int | None:
    """The seed every run got, or None when nothing ran or a run could not be seeded (its notes say why)."""
    seeds = {nb.run.seed for nb in evidence.notebooks.values() if nb.run is not None}
    return seeds.pop() if len(seeds) == 1 else None


def _copy_artifacts(evidence: Evidence, sub_out: Path) -> None:
    """Executed notebooks and kernel logs beside result.json, named after the expected notebooks."""
    for nb in evidence.notebooks.values():
        if nb.run is None:
            continue
        if nb.run.executed_notebook and Path(nb.run.executed_notebook).is_file():
            (sub_out / "notebooks").mkdir(exist_ok=True)
            shutil.copy(nb.run.executed_notebook, sub_out / "notebooks" / nb.spec.filename)
        if nb.run.log_path and Path(nb.run.log_path).is_file():
            (sub_out / "logs").mkdir(exist_ok=True)
            shutil.copy(nb.run.log_path, sub_out / "logs" / f"{nb.spec.key}.log")


def build_result(
    rubric: Rubric,
    mode: Mode,
    outcomes: dict[str, CheckOutcome],
    *,
    sub_id: str,
    sha256: str,
    format_ok: bool,
    findings: list[Finding],
    environment: dict[str, Any],
    rejection: str | None = None,
    sandboxed: bool | None = None,
    timings: dict[str, float] | None = None,
    runs: dict[str, RunOutcome] | None = None,
    ta_grades: Mapping[str, TAGrade] | None = None,
) -> Result:
    """The one place outcomes are scored into a record, for a graded submission and for one the batch could
    not grade alike, so both always carry the same fields. TA_GRADES: the TAs' points kept from before."""
    scored = apply_rubric(rubric, outcomes, mode, format_ok, ta_grades)
    return Result(
        submission_id=sub_id,
        input_sha256=sha256,
        rubric=rubric.name,
        mode=mode,
        score=scored.total,
        max_score=scored.max_score,
        bonus=scored.bonus,
        deductions=scored.deductions + rejection_notes(rejection),
        format_ok=format_ok,
        rejection=rejection,
        checks=scored.checks,
        findings=findings,
        sandboxed=sandboxed,
        timings=timings or {},
        environment=environment,
        runs=runs or {},
    )


def _finish(
    rubric: Rubric,
    options: GradeOptions,
    src: Path,
    sub_id: str,
    sub_out: Path,
    findings: list[Finding],
    timings: dict[str, float],
    started: float,
    outcomes: dict[str, CheckOutcome],
    format_ok: bool,
    seed: int | None,
    rejection: str | None = None,
    runs: dict[str, RunOutcome] | None = None,
    audits: dict[str, AuditRecord] | None = None,
) -> Result:
    timings["total_s"] = time.perf_counter() - started
    sha256 = content_sha256(src)
    result = build_result(
        rubric,
        options.mode,
        outcomes,
        sub_id=sub_id,
        sha256=sha256,
        format_ok=format_ok,
        findings=findings,
        rejection=rejection,
        ta_grades=kept_ta_grades(options.out_dir, sub_id, sha256),
        sandboxed=None if options.mode == "static" else options.sandbox,
        timings={name: round(seconds, 3) for name, seconds in timings.items()},
        runs=runs,
        environment={
            "grader": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "gpu": _gpu_present() if options.gpu is None else options.gpu,
            "seed": seed,
            **({} if options.mode == "static" else {"kernel_transport": _transport(options)}),
        },
    )
    result.audits = audits or {}
    write_result(result, sub_out / RESULT_FILE)
    return result
