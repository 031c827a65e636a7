"""Sample submissions made from the reference and the template: for the demo and for end-to-end tests.

The reference sample is real: the reference notebooks executed on the given course data (with shortened
settings), carrying their outputs and the predictions.csv the Lab 3 notebook wrote.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grader.execute import SandboxSpec, run_notebook
from grader.paths import COURSE_TOOLS, REFERENCE_NOTEBOOKS
from grader.rubric.model import Rubric
from grader.template import SAMPLE_CSV, render_template

# Epochs that bring the reference over the handout's thresholds on the synthetic course data in minutes.
SAMPLE_EPOCHS = {"lenet5": 12, "lenet5_dev": 8, "resnet": 6}
# The ResNet's step decay (x0.1 every 80 epochs) never fires in 6 epochs, and at a constant lr of 0.1 its
# validation accuracy still swings by 10 points from epoch to epoch, so which epoch is best -- and the
# held-out accuracy -- depended on float rounding (thread count, CPU). Decaying once before the last three
# epochs settles it above 90% at no extra cost.
SAMPLE_DECAY_EPOCHS = {"resnet": 3}
REPORT_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class SampleError(RuntimeError):
    """A reference notebook failed while making the reference sample: the reference itself is broken."""


def reference_submission(
    rubric: Rubric, data_dir: Path, out: Path, epochs: dict[str, int], *, sandboxed: bool = True
) -> Path:
    """Execute every reference notebook of RUBRIC on DATA_DIR, EPOCHS[key] epochs each, into OUT."""
    out.mkdir(parents=True, exist_ok=True)
    for spec in rubric.notebooks:
        work = out.parent / f".{out.name}-run-{spec.key}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copy(REFERENCE_NOTEBOOKS / spec.filename, work / spec.filename)
        artifacts = work.with_name(work.name + ".grader")
        report = run_notebook(
            work / spec.filename,
            SandboxSpec(work_dir=work, data_dir=data_dir, tools_dir=COURSE_TOOLS),
            artifacts_dir=artifacts,
            cell_timeout_s=1800,
            notebook_timeout_s=3600,
            overrides=_sample_overrides(spec.key, epochs),
            sandboxed=sandboxed,
            run_probes=False,
        )
        if report.status != "ok":
            raise SampleError(f"reference notebook {spec.filename} failed: {report.message}")
        shutil.copy(report.executed_notebook, out / spec.filename)
        if rubric.predictions is not None and rubric.predictions.produced_by == spec.key:
            shutil.copy(work / rubric.predictions.filename, out / rubric.predictions.filename)
        shutil.rmtree(work)
        shutil.rmtree(artifacts)
    (out / "report.pdf").write_bytes(REPORT_PDF)
    return out


def _sample_overrides(key: str, epochs: dict[str, int]) -> dict[str, int]:
    overrides = {"EPOCHS": epochs.get(key, 1), "NUM_WORKERS": 0}
    if key in SAMPLE_DECAY_EPOCHS:
        overrides["DECAY_EPOCHS"] = SAMPLE_DECAY_EPOCHS[key]
    return overrides


def template_submission(out: Path) -> Path:
    """The unfilled student template, handed in as it was given out."""
    out.mkdir(parents=True, exist_ok=True)
    for name, data in render_template(REFERENCE_NOTEBOOKS).items():
        if name.endswith(".ipynb"):
            (out / name).write_bytes(data)
        elif name == SAMPLE_CSV:
            (out / "predictions.csv").write_bytes(data)
    return out


def _edit_cell(path: Path, old: str, new: str) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, path)


def broken_submission(reference: Path, out: Path) -> Path:
    """The reference with a crashing Lab 1 loop, a misnamed Lab 2 notebook and semicolon predictions."""
    shutil.copytree(reference, out, dirs_exist_ok=True)
    _edit_cell(out / "lenet5-cifar10.ipynb", "for i in range(", "undefined_helper()\nfor i in range(")
    (out / "lenet5-cifar10-dev.ipynb").rename(out / "Lenet5_cifar10_dev (1).ipynb")
    predictions = out / "predictions.csv"
    predictions.write_text(predictions.read_text().replace(",", ";"))
    return out


def pretrained_submission(reference: Path, out: Path) -> Path:
    """The reference whose Lab 3 model comes with ImageNet weights: banned, flagged, accuracy voided."""
    shutil.copytree(reference, out, dirs_exist_ok=True)
    _edit_cell(
        out / "resnet-cifar10.ipynb",
        "net = ResNet20()",
        'import torchvision\nnet = torchvision.models.resnet18(weights="IMAGENET1K_V1")',
    )
    return out
