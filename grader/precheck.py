"""The students' pre-check: the grader's quick mode on their own folder, on CPU, with a fix for each failure.

It runs what the TAs' grader runs in quick mode (the notebooks on a small subset of the course data, with
short training), on the course data the student keeps in ``DIR/data`` (the zips, or the .npy files the
loaders unpack there). Hidden labels never take part: held-out checks come out skipped. What only a
finished submission can have (notebooks saved with their outputs, ``predictions.csv``, the PDF report) is
listed as "to do before you submit" while it is absent, and as a failure once it is there and wrong.

Students work on laptops and on Colab, where there is no bubblewrap: there the pre-check runs the notebooks
unsandboxed, as the student's own code on the student's own machine, and says so first, with what else this
machine lacks (:func:`grader.execute.host.unsandboxed_notes`). The TAs' grader never does that unasked.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.execute.host import Transport, kernel_transport, unsandboxed_notes
from grader.execute.sandbox import sandbox_unavailable_reason
from grader.intake import ExpectedFile, locate_files
from grader.intake.locate import REPORT_KEY
from grader.pipeline import GradeOptions, grade_submission
from grader.records import CheckResult, Result
from grader.report.causes import group_failures
from grader.rubric import Item, Rubric, load_rubric, resolve_rubric
from grader.rubric.catalogue import PREDICTIONS_CHECKS
from grader.static import load_notebook
from tools import archive, layout
from tools.predictions import header_line

DEFAULT_RUBRIC = "ece590-hw2-f20"
DATA_DIR = "data"
# Never part of a hand-in: version control, CI, virtual environments and caches.
_NOT_SUBMITTED = frozenset({".git", ".github", ".venv", "venv", "__pycache__", ".ipynb_checkpoints"})
_LAYOUT_FINDINGS = frozenset({"file-name", "duplicate-file"})
_MODEL_HINTS = {
    "lenet5": "LeNet-5 of Table 1 has 62,006 parameters: check kernel sizes and padding",
    "resnet20": (
        "ResNet-20 has 269,722 parameters with identity shortcuts: 3 stages of 3 basic blocks at 16, 32 "
        "and 64 channels, 3x3 convolutions"
    ),
}


@dataclass(frozen=True)
class Problem:
    id: str
    message: str
    hint: str


@dataclass
class PrecheckReport:
    result: Result
    failures: list[Problem] = field(default_factory=list)
    todo: list[Problem] = field(default_factory=list)
    skipped: list[CheckResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passed: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    # why the notebooks ran unsandboxed, and what this machine lacks besides; empty in the sandbox
    unsandboxed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def precheck(
    folder: Path,
    rubric: str | Path = DEFAULT_RUBRIC,
    data_dir: Path | None = None,
    *,
    sandbox: bool | None = None,
    out_dir: Path | None = None,
    transport: Transport | None = None,
) -> PrecheckReport:
    """Pre-check the homework in FOLDER. DATA_DIR defaults to ``FOLDER/data``; SANDBOX to whether bubblewrap
    is there. OUT_DIR, when given, keeps the executed notebooks and logs (else a temporary folder is used).
    TRANSPORT forces the unsandboxed kernel's channels (``tcp`` or ``ipc``; default: the platform's)."""
    started = time.perf_counter()
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise GraderError(f"{folder} is not a folder: give the folder that holds your notebooks")
    spec = load_rubric(resolve_rubric(rubric))
    data_dir = Path(data_dir).resolve() if data_dir is not None else folder / DATA_DIR
    if os.name == "nt":
        raise GraderError(
            "the pre-check cannot run natively on Windows yet: the kernel sends its evidence on inherited "
            "pipes, which Windows does not pass to a child process; run it in WSL or on Colab"
        )
    why_not = _why_unsandboxed(sandbox)
    sandboxed = why_not is None
    with course_data_view(data_dir) as data, tempfile.TemporaryDirectory(prefix="grader-precheck-") as tmp:
        skip = [data_dir, *([Path(out_dir)] if out_dir else [])]
        staged = _stage(folder, Path(tmp) / folder.name, skip)
        out = Path(out_dir) if out_dir is not None else Path(tmp) / "out"
        options = GradeOptions(
            rubric=rubric,
            out_dir=out,
            data_dir=data,
            mode="quick",
            sandbox=sandboxed,
            gpu=False,
            cache_dir=Path(tmp) / "cache",
            kernel_transport=transport,
        )
        result = grade_submission(staged, options)
        report = classify(result, spec, staged)
    if why_not is not None:
        report.unsandboxed = [_unsandboxed_banner(why_not, kernel_transport(False, transport))]
        report.unsandboxed += unsandboxed_notes()
    report.seconds = time.perf_counter() - started
    report.out_dir = out / result.submission_id if out_dir is not None else None
    return report


@contextmanager
def course_data_view(data_dir: Path) -> Iterator[Path]:
    """A temporary folder with the course .npy files of DATA_DIR and nothing else (never ``hidden/``);
    a split present only as its course zip is unpacked into it with the course loaders' own code."""
    if not data_dir.is_dir():
        raise GraderError(
            f"no course data at {data_dir}: copy the two course zips (cifar10_trainval_<TERM>.zip and "
            "cifar10_test_<TERM>.zip) into a folder data/ next to your notebooks, or pass --data"
        )
    with tempfile.TemporaryDirectory(prefix="grader-precheck-data-") as tmp:
        view = Path(tmp)
        splits = (
            (layout.TRAINVAL_ZIP_GLOB, layout.TRAINVAL_FILES),
            (layout.TEST_ZIP_GLOB, layout.TEST_FILES),
        )
        for pattern, names in splits:
            if all((data_dir / name).is_file() for name in names):
                for name in names:
                    (view / name).symlink_to((data_dir / name).resolve())
                continue
            try:
                archive.extract_members(archive.find_zip(data_dir, pattern, names), view, names)
            except archive.CourseDataMissing as exc:
                raise GraderError(str(exc)) from None
        yield view


def classify(result: Result, rubric: Rubric, submission: Path) -> PrecheckReport:
    """Sort the result's checks into failures, things not done yet, skipped and passed."""
    expected = [ExpectedFile(spec.key, spec.filename) for spec in rubric.notebooks]
    if rubric.predictions is not None:
        expected.append(ExpectedFile("predictions", rubric.predictions.filename))
    located = locate_files(submission, expected, rubric.report.filename if rubric.report else None)
    never_run = {
        spec.key
        for spec in rubric.notebooks
        if located.paths.get(spec.key) is not None and _never_run(located.paths[spec.key])
    }
    report = PrecheckReport(result=result)
    items = {item.id: item for item in rubric.items}
    for check in result.checks:
        item = items[check.id]
        if check.status == "pass":
            report.passed += 1
        elif check.status == "skipped":
            report.skipped.append(check)
        elif check.status in ("fail", "error"):
            problem = Problem(check.id, check.message, hint_for(item, rubric))
            pending = (
                item.check in ("notebook_executed", "val_accuracy") and item.notebook in never_run
            ) or (item.check in PREDICTIONS_CHECKS and located.paths.get("predictions") is None)
            (report.todo if pending else report.failures).append(problem)
    for finding in located.findings:
        if finding.kind in _LAYOUT_FINDINGS and finding.severity != "info":
            report.failures.append(
                Problem(
                    "format",
                    finding.detail,
                    "name the files exactly as the handout does; misnamed files cost "
                    f"{rubric.format_deduction:.0%} of the points",
                )
            )
    if rubric.report is not None and located.paths.get(REPORT_KEY) is None:
        report.todo.append(
            Problem("report", f"no report matching {rubric.report.filename!r} yet", "add your PDF report")
        )
    report.warnings = [
        f.detail
        for f in result.findings
        if f.severity != "info" and f.kind not in _LAYOUT_FINDINGS and f.kind != "missing-file"
    ]
    return report


def hint_for(item: Item, rubric: Rubric) -> str:
    hint = _HINTS.get(item.check)
    return hint(item, rubric) if hint else "see the message"


def _why_unsandboxed(sandbox: bool | None) -> str | None:
    """Why the notebooks run without the sandbox, or None when they run in it (None: wherever it works)."""
    if sandbox is not None:
        return None if sandbox else "you asked for --no-sandbox"
    if sys.platform != "linux":
        return f"bubblewrap, the sandbox, exists only on Linux and this is {platform.system()}"
    return sandbox_unavailable_reason()


def _unsandboxed_banner(why_not: str, transport: Transport) -> str:
    return (
        f"no sandbox here ({why_not.rstrip('.')}), so the notebooks run unsandboxed: your own code on your "
        f"own machine, fine for a pre-check (the TAs' grader sandboxes them); kernel over {transport}"
    )


def format_precheck(report: PrecheckReport) -> str:
    result = report.result
    lines = [f"NOTE: {note}" for note in report.unsandboxed]
    lines += [
        f"pre-check with rubric {result.rubric} in quick mode on CPU ({report.seconds:.0f} s): "
        f"{report.passed} checks pass"
    ]
    if report.failures:
        lines.append(f"will fail ({len(report.failures)}):")
        lines += _failure_lines(report)
    if report.todo:
        lines.append(f"to do before you submit ({len(report.todo)}):")
        lines += [f"  TODO {p.id}: {p.message} -- {p.hint}" for p in report.todo]
    if report.skipped:
        lines.append("skipped:")
        lines += [f"  {c.id}: {c.message}" for c in report.skipped]
    if report.warnings:
        lines.append("warnings (worth a look):")
        lines += [f"  {w}" for w in report.warnings]
    if report.out_dir is not None:
        lines.append(f"executed notebooks and logs: {report.out_dir}")
    if report.failures:
        lines.append(f"FAILED: {len(report.failures)} problem(s) to fix")
    else:
        lines.append("OK: nothing the pre-check can see will fail (the TAs measure held-out accuracy)")
    return "\n".join(lines)


def _failure_lines(report: PrecheckReport) -> list[str]:
    """Causes first, each with the failures that follow from it collapsed under it, then the rest."""
    grouped = group_failures(report.result, only={p.id for p in report.failures})
    lines = []
    for cause in grouped.causes:
        lines.append(f"  {cause.headline} -- fix: {_RUNS_HINT}")
        lines += [f"    FAIL {c.id}: {c.message}" for c in cause.checks]
    follows = {c.id for cause in grouped.causes for c in cause.checks}
    lines += [f"  FAIL {p.id}: {p.message} -- fix: {p.hint}" for p in report.failures if p.id not in follows]
    return lines


def _stage(folder: Path, target: Path, skip: list[Path]) -> Path:
    """A copy of what the student would hand in: the folder without the course data and version control.
    Links are followed, as a zip of the folder would."""
    skipped = {p.resolve() for p in skip}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in _NOT_SUBMITTED or (Path(directory) / n).resolve() in skipped}

    shutil.copytree(folder, target, symlinks=False, ignore=ignore, ignore_dangling_symlinks=True)
    return target


def _never_run(path: Path) -> bool:
    """No code cell of the notebook was executed or has an output: the student has not run it yet."""
    nb = load_notebook(path, path.name).nb
    if nb is None:
        return False
    code = [cell for cell in nb.cells if cell.get("cell_type") == "code"]
    return all(cell.get("execution_count") is None and not cell.get("outputs") for cell in code)


def _params_hint(item: Item, rubric: Rubric) -> str:
    model = rubric.notebook(item.notebook).model if item.notebook else None
    if model in _MODEL_HINTS:
        return _MODEL_HINTS[model]
    return f"the expected network has {item.params['expected']:,} trainable parameters: check the layer sizes"


def _optimizer_hint(item: Item, rubric: Rubric) -> str:
    parts = [f"use torch.optim.{item.params.get('type', 'SGD')}"]
    if "momentum" in item.params:
        parts.append(f"momentum={item.params['momentum']}")
    if item.params.get("require_weight_decay"):
        parts.append("weight_decay=REG")
    return ", ".join(parts) + ", assigned to `optimizer`"


def _accuracy_hint(item: Item, rubric: Rubric) -> str:
    limit = f" within {item.params['max_epochs']} epochs" if item.params.get("max_epochs") else ""
    return (
        f"train until the best validation accuracy reaches {item.params['threshold']:.0%}{limit}, and keep "
        "the printed lines 'Validation loss: ..., Validation accuracy: ...' in the saved notebook"
    )


def _predictions_hint(item: Item, rubric: Rubric) -> str:
    spec = rubric.predictions
    header = header_line(spec.headers[0]) if spec else header_line()
    name = spec.filename if spec else "predictions.csv"
    return f"write {name} with the header {header}, one row per test image, ids in order, labels 0 to 9"


_RUNS_HINT = (
    "restart the kernel and run all cells: fix the first cell that raises (a left "
    "`raise NotImplementedError` marks code still to write) and use relative paths such as ./data"
)
_HINTS: dict[str, Callable[[Item, Rubric], str]] = {
    "file_present": lambda i, r: "name the file exactly as the handout says and keep it with the others",
    "notebook_valid": lambda i, r: (
        "save the notebook from Jupyter or Colab (File > Download .ipynb); do not edit the .ipynb by hand"
    ),
    "notebook_executed": lambda i, r: (
        "restart the kernel, run all cells with your final settings, fix any "
        "error and save the notebook with its outputs"
    ),
    "no_pretrained": lambda i, r: (
        "train your own network: no pretrained=True or weights=..., torch.hub or downloads"
    ),
    "runs": lambda i, r: _RUNS_HINT,
    "model_shape": lambda i, r: (
        "`net` must map a batch of (N, 3, 32, 32) images to (N, 10) class scores: check "
        "the input size of the first Linear layer"
    ),
    "model_params": _params_hint,
    "resnet_structure": lambda i, r: (
        "build 3 stages of basic blocks at 16, 32 and 64 channels, "
        f"{i.params.get('blocks_per_stage', 3)} blocks each"
    ),
    "optimizer": _optimizer_hint,
    "criterion": lambda i, r: f"use nn.{i.params.get('type', 'CrossEntropyLoss')}() as `criterion`",
    "augmentation": lambda i, r: (
        f"include {', '.join(i.params.get('requires', []))} in {', '.join(i.params.get('variables', []))}"
    ),
    "batchnorm": lambda i, r: (
        "add nn.BatchNorm2d after each convolution of a model you train"
        if i.params.get("placement") == "after_conv"
        else "add nn.BatchNorm2d / nn.BatchNorm1d after every conv and linear layer but the last"
    ),
    "swish": lambda i, r: (
        "define Swish as x * torch.sigmoid(x) and use it in place of ReLU in a model you train"
    ),
    "val_accuracy": _accuracy_hint,
    "learns": lambda i, r: (
        "check the training loop: optimizer.zero_grad(), loss.backward() and "
        "optimizer.step() for every batch, and a learning rate that is neither huge nor tiny"
    ),
    "predictions_format": _predictions_hint,
    "holdout_accuracy": _predictions_hint,
    "predictions_agreement": lambda i, r: (
        "predictions.csv must be what your final Lab 3 notebook writes: run "
        "it again and submit the file it wrote"
    ),
}
