"""CUDA notebooks on a machine without a GPU: ``.cuda()``, ``.to('cuda')``, ``.to(torch.device('cuda'))`` and
``torch.load`` of a file saved on a GPU run on the CPU instead of failing with "Found no NVIDIA driver".

The handout asks students for a GPU, so their notebooks hard-code CUDA; on the CPU of quick mode, a pre-check
or a CPU-only grading machine that is the harness's limit, not the student's fault. Applied when torch is
imported and only when ``torch.cuda.is_available()`` is False, so a GPU machine keeps real CUDA; the first
mapping of each kind is recorded, so the report can say the CUDA calls ran on the CPU. ``torch.device`` itself
is left alone (it is a type that pickling and ``isinstance`` rely on): a CUDA device object is harmless until
something is moved to it. Standard library only at import.
"""

from __future__ import annotations

import functools
import typing as t


class _Recording(t.Protocol):
    def record(self, kind: str, action: str, detail: str) -> None: ...


def _is_cuda(device: t.Any) -> bool:
    text = device if isinstance(device, str) else getattr(device, "type", None)
    return isinstance(text, str) and text.split(":", 1)[0].strip().lower() == "cuda"


def map_cuda_to_cpu(guard: _Recording, torch: t.Any) -> None:
    """Patch TORCH so that every way of asking for CUDA gives the CPU (see the module's docstring)."""
    if torch.cuda.is_available() or getattr(torch, "__grader_cpu_fallback__", False):
        return
    noted: list[str] = []

    def note(how: str) -> None:
        if how not in noted:
            noted.append(how)
            guard.record("cuda", "mapped-to-cpu", f"{how} ran on the CPU: this machine has no GPU")

    def cpu_if_cuda(value: t.Any, how: str) -> t.Any:
        if _is_cuda(value):
            note(how)
            return "cpu" if isinstance(value, str) else torch.device("cpu")
        return value

    def moved(original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(original)
        def to(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            args = tuple(cpu_if_cuda(a, ".to('cuda')") for a in args)
            if "device" in kwargs:
                kwargs["device"] = cpu_if_cuda(kwargs["device"], ".to(device='cuda')")
            return original(self, *args, **kwargs)

        return to

    def on_cpu(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        note(".cuda()")
        return self.cpu()

    def module_on_cpu(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        note(".cuda()")
        return self

    torch.Tensor.to = moved(torch.Tensor.to)
    torch.Tensor.cuda = on_cpu
    torch.nn.Module.to = moved(torch.nn.Module.to)
    torch.nn.Module.cuda = module_on_cpu

    load = torch.load

    @functools.wraps(load)
    def load_on_cpu(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if kwargs.get("map_location") is None:
            kwargs["map_location"] = "cpu"
        return load(*args, **kwargs)

    torch.load = torch.serialization.load = load_on_cpu
    torch.__grader_cpu_fallback__ = True
