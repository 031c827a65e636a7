"""A run that runs out of GPU memory is run again alone on its GPU: a second success loses nothing, a second
out-of-memory is the notebook's own and counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader import pipeline
from grader.execute import ExecutionReport, sandbox_available
from grader.execute.report import CellError
from grader.pipeline import GradeOptions, grade_submission
from tests.crafted import code_notebook, submission_folder
from tests.pipeline.test_retry import IdleFresh

OOM_VALUE = "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 139.81 GiB"
# the same error as PyTorch's allocator raises it, on a CPU
RAISES_OOM = f"import torch\nraise torch.OutOfMemoryError({OOM_VALUE!r})"


def report(path: Path, status: str, error: CellError | None = None) -> ExecutionReport:
    return ExecutionReport(
        notebook=str(path),
        status=status,
        message=f"cell 2 raised {error.name}: {error.value}" if error else "ran to the end",
        sandboxed=False,
        failed_cell=2 if error else None,
        error=error,
    )


def grade(tmp_path: Path, rubric: Path, course: Path, lenet: str, *, sandbox: bool) -> dict[str, Any]:
    notebooks = {"lenet5-cifar10.ipynb": code_notebook(lenet), "resnet-cifar10.ipynb": code_notebook("x = 1")}
    src = submission_folder(tmp_path / "alice", notebooks, None)
    options = GradeOptions(
        rubric=rubric, out_dir=tmp_path / "out", data_dir=course, mode="quick", sandbox=sandbox
    )
    return {check.id: check for check in grade_submission(src, options).checks}


@pytest.mark.parametrize(
    "error",
    [CellError(name="OutOfMemoryError", value=OOM_VALUE), CellError(name="RuntimeError", value=OOM_VALUE)],
    ids=["torch.OutOfMemoryError", "RuntimeError"],
)
def test_out_of_gpu_memory_is_retried_alone_on_its_gpu_and_loses_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_rubric: Path,
    synthetic_course: Path,
    error: CellError,
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")  # a batch worker pinned to GPU 3
    out = tmp_path / "out"
    calls: list[str] = []

    def run_notebook(path: Path, spec: Any, **kwargs: Any) -> ExecutionReport:
        calls.append(path.parent.name)
        if path.name != "lenet5-cifar10.ipynb":
            return report(path, "ok")
        # the retry holds GPU 3's lock, which the runs on GPU 3 take shared
        assert (out / ".cache" / "gpu-3" / ".turns.lock").exists()
        return (
            report(path, "ok") if path.parent.name.endswith(".retry") else report(path, "cell-error", error)
        )

    monkeypatch.setattr(pipeline, "run_notebook", run_notebook)
    monkeypatch.setattr(pipeline, "FreshProcess", IdleFresh)
    checks = grade(tmp_path, small_rubric, synthetic_course, "x = 1", sandbox=False)
    assert calls == ["lenet5", "lenet5.retry", "resnet"]
    runs = checks["lab1.c"]
    assert runs.status == "pass"
    assert [a["status"] for a in runs.evidence["attempts"]] == ["cell-error", "ok"]


def test_another_cell_error_is_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_rubric: Path, synthetic_course: Path
) -> None:
    calls: list[str] = []

    def run_notebook(path: Path, spec: Any, **kwargs: Any) -> ExecutionReport:
        calls.append(path.parent.name)
        return report(path, "cell-error", CellError(name="ValueError", value="out of memory? no: a typo"))

    monkeypatch.setattr(pipeline, "run_notebook", run_notebook)
    monkeypatch.setattr(pipeline, "FreshProcess", IdleFresh)
    checks = grade(tmp_path, small_rubric, synthetic_course, "x = 1", sandbox=False)
    assert calls == ["lenet5", "resnet"]
    assert checks["lab1.c"].status == "fail"


@pytest.mark.slow
@pytest.mark.skipif(not sandbox_available(), reason="bubblewrap (bwrap) is not installed")
def test_a_notebook_out_of_gpu_memory_alone_fails_as_its_own(
    tmp_path: Path, small_rubric: Path, synthetic_course: Path
) -> None:
    checks = grade(tmp_path, small_rubric, synthetic_course, RAISES_OOM, sandbox=True)
    runs = checks["lab1.c"]
    assert (
        runs.status == "fail" and "OutOfMemoryError" in runs.message and "CUDA out of memory" in runs.message
    )
    assert [a["status"] for a in runs.evidence["attempts"]] == ["cell-error", "cell-error"]
