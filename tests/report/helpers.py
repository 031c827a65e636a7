"""Crafted result folders for the report tests: results built by the pipeline's own builder, and notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

from grader.pipeline import build_result
from grader.records import CheckOutcome, Finding, Result, RunOutcome, write_result
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.model import Rubric

F20 = load_rubric(resolve_rubric("ece590-hw2-f20"))
EVIL = "<script>alert('pwned')</script>"


def make_result(
    sid: str,
    rubric: Rubric = F20,
    *,
    failing: tuple[str, ...] = (),
    evidence: dict[str, dict] | None = None,
    findings: tuple[Finding, ...] = (),
    format_ok: bool = True,
    sandboxed: bool | None = True,
    rejection: str | None = None,
    runs: dict[str, RunOutcome] | None = None,
) -> Result:
    """Every automatic item passes except FAILING (all fail when REJECTION is given), scored in full mode."""
    evidence = evidence or {}
    outcomes = {}
    for item in rubric.items:
        if item.check == "manual":
            continue
        failed = rejection is not None or item.id in failing
        outcomes[item.id] = CheckOutcome(
            status="fail" if failed else "pass",
            message=f"{item.id} {'failed' if failed else 'passed'}",
            evidence=evidence.get(item.id, {"value": 0.5} if failed else {}),
        )
    found = list(findings)
    if rejection is not None:
        found.append(Finding(kind="intake-rejected", severity="error", detail=rejection))
    return build_result(
        rubric,
        "full",
        outcomes,
        sub_id=sid,
        sha256="ab" * 32,
        format_ok=format_ok,
        findings=found,
        environment={"grader": "test"},
        rejection=rejection,
        sandboxed=sandboxed,
        timings={"total_s": 12.5},
        runs=runs,
    )


def write_batch(out: Path, *results: Result) -> Path:
    for result in results:
        write_result(result, out / result.submission_id / "result.json")
    return out


def class_results() -> list[Result]:
    """A passing, a failing-with-findings, a rejected and a hostile submission."""
    return [
        make_result("alice"),
        make_result(
            "bob",
            failing=("lab1.f.accuracy", "integrity.lenet5", "lab3.b"),
            findings=(
                Finding(
                    kind="pretrained-weights",
                    severity="error",
                    detail="torchvision.models.resnet18(pretrained=True)",
                    notebook="resnet-cifar10.ipynb",
                    cell=7,
                    line=3,
                ),
                Finding(kind="misnamed-file", severity="warning", detail="lenet5_cifar10.ipynb"),
                Finding(kind="crlf", severity="info", detail="CRLF line endings"),
            ),
            format_ok=False,
            sandboxed=False,
        ),
        make_result("carol", rejection="the zip is encrypted"),
        make_result(
            "evil<b>",
            failing=("lab1.c",),
            evidence={"lab1.c": {"note": EVIL, "traceback": ["line 1", EVIL]}},
            findings=(Finding(kind="odd", severity="warning", detail=EVIL, notebook="<i>x</i>.ipynb"),),
        ),
    ]


def training_notebook(accuracies: list[float], *extra_cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """An executed notebook whose output prints the template's per-epoch validation lines."""
    log = "".join(f"Validation loss: 1.0000, Validation accuracy: {a:.4f}\n" for a in accuracies)
    log += f"==> Optimization finished! Best validation accuracy: {max(accuracies):.4f}\n"
    cell = v4.new_code_cell("train()", execution_count=1)
    cell.outputs = [v4.new_output("stream", name="stdout", text=log)]
    return v4.new_notebook(cells=[cell, *extra_cells])


def write_notebook(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
