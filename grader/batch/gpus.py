"""Where a batch's workers run: at most ``per_gpu`` on each listed GPU, each new worker on the GPU with the
most free memory among those with room left.

Free memory is read through NVML (the ``pynvml`` module of nvidia-ml-py), imported only when a batch is given
GPUs: a CPU machine never loads it. Where NVML cannot be used the workers are placed round-robin, and the
batch's notes say so. Workers are long-lived, so a GPU's count is the workers placed there and still alive,
not the notebooks; a worker that dies gives its place back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

# A GPU id as CUDA_VISIBLE_DEVICES names it (an index or a "GPU-..." UUID) -> its free memory in bytes
FreeMemory = Callable[[str], int]


def nvml_free_memory() -> tuple[FreeMemory | None, str | None]:
    """NVML's free-memory reader, or None and why it is unavailable (no nvidia-ml-py, no driver)."""
    try:
        import pynvml
    except ImportError:
        return None, "nvidia-ml-py (pynvml) is not installed"
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return None, f"NVML could not start ({exc})"

    def free(gpu: str) -> int:
        if gpu.startswith(("GPU-", "MIG-")):
            handle = pynvml.nvmlDeviceGetHandleByUUID(gpu)
        else:
            handle = pynvml.nvmlDeviceGetHandleByIndex(int(gpu))
        return int(pynvml.nvmlDeviceGetMemoryInfo(handle).free)

    return free, None


class GpuPlacer:
    """The GPUs a batch may use and how many of its workers each holds; thread-safe."""

    def __init__(self, gpus: Sequence[str], per_gpu: int, free_memory: FreeMemory | None) -> None:
        if per_gpu < 1:
            raise ValueError(f"per_gpu must be at least 1, not {per_gpu}")
        self.gpus = list(gpus)
        self.per_gpu = per_gpu
        self._free = free_memory
        self._count = dict.fromkeys(self.gpus, 0)
        self._lock = threading.Lock()

    @classmethod
    def with_nvml(cls, gpus: Sequence[str], per_gpu: int, notes: list[str]) -> GpuPlacer:
        """A placer reading NVML; when NVML is unavailable, one placing round-robin, with a note why."""
        free, why = nvml_free_memory()
        if free is None:
            notes.append(f"workers placed round-robin on GPUs {','.join(gpus)}: {why}")
        return cls(gpus, per_gpu, free)

    @property
    def capacity(self) -> int:
        return self.per_gpu * len(self.gpus)

    def take(self) -> str:
        """The GPU for a new worker: among those with fewer than ``per_gpu`` workers, the one with the most
        free memory (ties, or no NVML: the fewest workers, then the order given)."""
        with self._lock:
            room = [gpu for gpu in self.gpus if self._count[gpu] < self.per_gpu]
            if not room:
                raise RuntimeError(f"every GPU already holds {self.per_gpu} workers")
            free = self._free_memory(room)
            gpu = min(room, key=lambda g: (-free.get(g, 0), self._count[g], self.gpus.index(g)))
            self._count[gpu] += 1
            return gpu

    def release(self, gpu: str) -> None:
        with self._lock:
            self._count[gpu] = max(0, self._count[gpu] - 1)

    def _free_memory(self, gpus: list[str]) -> dict[str, int]:
        """Free bytes per GPU; a GPU NVML cannot read counts as none free, so it is chosen last."""
        if self._free is None:
            return {}
        free: dict[str, int] = {}
        for gpu in gpus:
            try:
                free[gpu] = self._free(gpu)
            except Exception:  # pynvml raises its own NVMLError kinds, and ValueError for a bad id
                free[gpu] = -1
        return free
