"""Workers on GPUs: at most K per GPU, each new one on the GPU with the most free memory, read through a fake
NVML; round-robin with a note where NVML is unavailable."""

from __future__ import annotations

import sys
import types
from collections import Counter
from pathlib import Path

import pytest

from grader.batch.gpus import GpuPlacer, nvml_free_memory
from grader.errors import GraderError
from grader.samples.synthetic_class import make_class
from tests.batch.helpers import FAULTS, quiet_batch

GIB = 1024**3


class FakeNvmlError(Exception):
    pass


def fake_pynvml(free_gib: dict[str, float], *, fails: bool = False) -> types.ModuleType:
    """A stand-in for nvidia-ml-py's module: GPUs by index or UUID, each with its free memory."""
    module = types.ModuleType("pynvml")
    module.NVMLError = FakeNvmlError

    def init() -> None:
        if fails:
            raise FakeNvmlError("Driver Not Loaded")

    def by_index(index: int) -> str:
        return str(index)

    def memory(handle: str) -> types.SimpleNamespace:
        if handle not in free_gib:
            raise FakeNvmlError("Invalid Argument")
        return types.SimpleNamespace(free=int(free_gib[handle] * GIB), total=int(141 * GIB))

    module.nvmlInit = init
    module.nvmlDeviceGetHandleByIndex = by_index
    module.nvmlDeviceGetHandleByUUID = lambda uuid: uuid
    module.nvmlDeviceGetMemoryInfo = memory
    return module


def test_a_new_worker_goes_to_the_most_free_gpu_with_room() -> None:
    free = {"0": 10.0, "1": 40.0, "2": 25.0}
    placer = GpuPlacer(list(free), 2, lambda gpu: int(free[gpu] * GIB))
    assert [placer.take() for _ in range(6)] == ["1", "1", "2", "2", "0", "0"]
    with pytest.raises(RuntimeError, match="already holds 2"):
        placer.take()
    placer.release("2")  # a worker on GPU 2 died: the next one takes its place
    assert placer.take() == "2"


def test_free_memory_is_read_again_for_each_worker() -> None:
    free = {"0": 30.0, "1": 20.0}
    placer = GpuPlacer(list(free), 4, lambda gpu: int(free[gpu] * GIB))
    assert placer.take() == "0"
    free["0"] = 5.0  # the first worker's notebook took most of GPU 0
    assert placer.take() == "1"


def test_a_gpu_nvml_cannot_read_is_chosen_last() -> None:
    def free(gpu: str) -> int:
        if gpu == "7":
            raise ValueError("no such GPU")
        return GIB

    placer = GpuPlacer(["7", "0"], 1, free)
    assert [placer.take(), placer.take()] == ["0", "7"]


def test_without_nvml_workers_go_round_robin_and_a_note_says_why(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml({}, fails=True))
    notes: list[str] = []
    placer = GpuPlacer.with_nvml(["0", "1"], 2, notes)
    assert [placer.take() for _ in range(4)] == ["0", "1", "0", "1"]
    assert notes == ["workers placed round-robin on GPUs 0,1: NVML could not start (Driver Not Loaded)"]


def test_nvml_reads_gpus_by_index_and_by_uuid(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml({"1": 3.0, "GPU-abc": 2.0}))
    free, why = nvml_free_memory()
    assert why is None and free is not None
    assert (free("1"), free("GPU-abc")) == (3 * GIB, 2 * GIB)


def test_batch_places_k_workers_per_gpu_by_free_memory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(FAULTS))
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml({"3": 8.0, "5": 60.0}))
    inbox, out = tmp_path / "in", tmp_path / "out"
    make_class(inbox, 3, rows=100)
    summary = quiet_batch(inbox, out, gpus=["3", "5"], per_gpu=2, grade_fn="batch_faults:grade")
    assert (summary.total, summary.graded) == (3, 3)
    placed = Counter((out / f"student00{i}" / "gpu.txt").read_text() for i in range(3))
    assert placed == {"5": 2, "3": 1}  # GPU 5 has the room and the memory for two, GPU 3 takes the third
    assert not any("round-robin" in note for note in summary.warnings)


def test_per_gpu_needs_gpus(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="--per-gpu needs --gpus"):
        quiet_batch(tmp_path, tmp_path / "out", per_gpu=2)
