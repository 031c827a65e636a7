"""CUDA calls run on the CPU, for a run without a GPU (quick mode, the pre-check): the handout asks for a
GPU, so ``.cuda()``, ``.to('cuda')``, ``device='cuda'`` and a ``torch.load`` of CUDA-saved weights are what an
honest notebook does, and "Found no NVIDIA driver" would be the harness's failure, not the student's.

Applied by the guard when the student's code imports torch (:mod:`grader.execute.inkernel.guard`): a
``TorchFunctionMode`` rewrites every CUDA device a torch call is given to the CPU, and ``torch.load`` gets
``map_location='cpu'`` when it has none. Each kind of call is recorded once, so the report can say so. What
the grader counts is still measured in the fresh process. Standard library only at import: torch arrives as
an argument.
"""

from __future__ import annotations

import functools
import typing as t

EVENT = "cuda-on-cpu"
_CUDA_ONLY = ("cuda", "pin_memory")  # Tensor/Module methods that only move to the GPU: the object stays


_SPELLED = {"to": ".to('cuda')", "device": "torch.device('cuda')"}


class Recording(t.Protocol):
    def record(self, kind: str, action: str, detail: str) -> None: ...


def _is_cuda(value: object, torch: t.Any) -> bool:
    if isinstance(value, str):
        return value.split(":", 1)[0].strip() == "cuda"
    return isinstance(value, torch.device) and value.type == "cuda"


def map_cuda_to_cpu(guard: Recording, torch: t.Any) -> None:
    """Push the mode on this thread's torch function stack for good (``Module.cuda`` and ``Module.to`` move
    each tensor through it too), and default ``torch.load`` to the CPU."""
    seen: set[str] = set()

    def note(call: str) -> None:
        if call not in seen:
            seen.add(call)
            guard.record(EVENT, "mapped", call)

    cpu = torch.device("cpu")

    class CudaOnCpu(torch.overrides.TorchFunctionMode):  # type: ignore[misc, name-defined]
        def __torch_function__(
            self, func: t.Any, types: t.Any, args: t.Any = (), kwargs: t.Any = None
        ) -> t.Any:
            kwargs = kwargs or {}
            name = getattr(func, "__name__", "")
            if name in _CUDA_ONLY and args and isinstance(args[0], torch.Tensor):
                note(f".{name}()")
                return args[0]
            if any(_is_cuda(a, torch) for a in args):
                note(_SPELLED.get(name, f"{name}(a CUDA device)"))
                args = tuple(cpu if _is_cuda(a, torch) else a for a in args)
            if _is_cuda(kwargs.get("device"), torch):
                note(f"{name}(device='cuda')")
                kwargs = {**kwargs, "device": cpu}
            return func(*args, **kwargs)

    load = torch.load

    @functools.wraps(load)
    def load_on_cpu(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if len(args) < 2 and kwargs.get("map_location") is None:
            note("torch.load without map_location")
            kwargs["map_location"] = "cpu"
        return load(*args, **kwargs)

    torch.load = torch.serialization.load = load_on_cpu  # the guard's check of what it reads wraps this
    CudaOnCpu().__enter__()
