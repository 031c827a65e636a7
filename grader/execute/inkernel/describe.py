"""The description of a model that the checks read: shapes, parameter counts, layers, stages, BatchNorm
placement, activations.

Sent as source text into the student's kernel (its claims about the model it trained) and into the fresh
process that rebuilds the model from its exported weights (the description that counts); standard library
and torch only, imported lazily.
"""

from __future__ import annotations

import math
import traceback
import typing as t

from grader.execute.inkernel.trace import trace_structure

PROBE_INPUT_SHAPE = (2, 3, 32, 32)
MAX_LAYERS = 2000


def jsonable(value: t.Any, depth: int = 0) -> t.Any:
    """Plain JSON: non-finite floats become strings, unknown objects their (short) repr."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 6:
        return repr(value)[:200]
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [jsonable(v, depth + 1) for v in list(items)[:MAX_LAYERS]]
    tolist = getattr(value, "tolist", None)  # numpy and torch arrays and scalars
    if callable(tolist):
        numel = getattr(value, "numel", None)
        count = numel() if callable(numel) else getattr(value, "size", None)
        if isinstance(count, int) and count <= 64:
            return jsonable(tolist(), depth + 1)
    return repr(value)[:200]


def parameter_count(model: t.Any, trainable: bool = True) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable))


def model_device(model: t.Any) -> t.Any:
    import torch

    for tensor in [*model.parameters(), *model.buffers()]:
        return tensor.device
    return torch.device("cpu")


def _layer_info(module: t.Any) -> dict[str, t.Any]:
    from torch import nn

    info: dict[str, t.Any] = {"type": type(module).__name__}
    if isinstance(module, nn.modules.conv._ConvNd):
        keys = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "groups")
        info.update({k: getattr(module, k) for k in keys})
        info["bias"] = module.bias is not None
    elif isinstance(module, nn.Linear):
        info.update(in_features=module.in_features, out_features=module.out_features)
        info["bias"] = module.bias is not None
    elif isinstance(module, nn.modules.batchnorm._BatchNorm):
        info.update(num_features=module.num_features, affine=module.affine)
    elif isinstance(module, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd):
        info.update(kernel_size=module.kernel_size, stride=module.stride, padding=module.padding)
    elif isinstance(module, nn.modules.pooling._AdaptiveAvgPoolNd | nn.modules.pooling._AdaptiveMaxPoolNd):
        info["output_size"] = module.output_size
    elif isinstance(module, nn.modules.dropout._DropoutNd):
        info["p"] = module.p
    info["parameters"] = int(sum(p.numel() for p in module.parameters(recurse=False)))
    return info


def _batchnorm_placement(order: list[tuple[str, t.Any]]) -> list[dict[str, t.Any]]:
    """For each conv/linear in ``order``: does a BatchNorm come before the next conv/linear?"""
    from torch import nn

    weighted = (nn.modules.conv._ConvNd, nn.Linear)
    placement = []
    for index, (name, module) in enumerate(order):
        if not isinstance(module, weighted):
            continue
        followed = False
        for _, later in order[index + 1 :]:
            if isinstance(later, weighted):
                break
            if isinstance(later, nn.modules.batchnorm._BatchNorm):
                followed = True
                break
        placement.append({"name": name, "type": type(module).__name__, "batchnorm_after": followed})
    return placement


def _stages(model: t.Any) -> list[dict[str, t.Any]]:
    """``nn.Sequential`` containers of blocks (non-leaf modules that hold convolutions): a ResNet's stages."""
    from torch import nn

    stages = []
    for name, module in model.named_modules():
        blocks = list(module.children()) if isinstance(module, nn.Sequential) else []
        if not blocks or any(isinstance(b, nn.Sequential) or not list(b.children()) for b in blocks):
            continue
        convs = [m for m in module.modules() if isinstance(m, nn.modules.conv._ConvNd)]
        if not convs:
            continue
        first_convs = [m for m in blocks[0].modules() if isinstance(m, nn.modules.conv._ConvNd)]
        stages.append(
            {
                "name": name,
                "blocks": len(blocks),
                "block_types": sorted({type(b).__name__ for b in blocks}),
                "out_channels": convs[-1].out_channels,
                "stride": max((max(_pair(c.stride)) for c in first_convs), default=1),
            }
        )
    return stages


def _pair(value: t.Any) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _activations(model: t.Any, device: t.Any, dtype: t.Any) -> list[dict[str, t.Any]]:
    """Every non-built-in module type, applied to a fixed ramp: how far it is from swish and from ReLU."""
    import torch

    x = torch.linspace(-5.0, 5.0, 1000, device=device, dtype=dtype).reshape(1, 10, 10, 10)
    swish, relu = x * torch.sigmoid(x), torch.relu(x)
    found, seen = [], set()
    for name, module in model.named_modules():
        kind = type(module)
        if not name or kind in seen or kind.__module__.startswith("torch.nn"):
            continue
        seen.add(kind)
        try:
            with torch.no_grad():
                y = module(x.clone())
        except Exception:
            continue
        if not isinstance(y, torch.Tensor) or y.shape != x.shape:
            continue
        y = y.to(dtype)
        found.append(
            {
                "name": name,
                "type": kind.__name__,
                "max_abs_diff_swish": float((y - swish).abs().max()),
                "max_abs_diff_relu": float((y - relu).abs().max()),
            }
        )
    return found


def describe_model(model: t.Any, source: str) -> dict[str, t.Any]:
    """Shape, counts, layers, stages, BatchNorm placement and activations of MODEL (found as SOURCE)."""
    import torch
    from torch import nn

    device = model_device(model)
    info: dict[str, t.Any] = {
        "source": source,
        "class_name": type(model).__name__,
        "device": str(device),
        "trainable_parameters": parameter_count(model),
        "total_parameters": parameter_count(model, trainable=False),
    }
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    info["layers"] = [{"name": name, **_layer_info(m)} for name, m in leaves[:MAX_LAYERS]]
    info["conv_layers"] = sum(isinstance(m, nn.modules.conv._ConvNd) for _, m in leaves)
    info["linear_layers"] = sum(isinstance(m, nn.Linear) for _, m in leaves)
    info["children"] = [{"name": n, "type": type(m).__name__} for n, m in model.named_children()]
    info["stages"] = _stages(model)

    executed: list[tuple[str, t.Any]] = []
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: executed.append((n, m))) for n, m in leaves]
    modes = {m: m.training for m in model.modules()}
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    try:
        model.eval()
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(PROBE_INPUT_SHAPE, generator=generator).to(device=device, dtype=dtype)
        with torch.no_grad():
            out = model(x)
        outputs = out if isinstance(out, tuple | list) else [out]
        info["output_shape"] = [list(o.shape) if isinstance(o, torch.Tensor) else None for o in outputs]
        if not isinstance(out, tuple | list):
            info["output_shape"] = info["output_shape"][0]
    except Exception as exc:
        info["forward_error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-1000:]
        executed = []
    finally:
        for hook in hooks:
            hook.remove()
        for module, mode in modes.items():
            module.training = mode
    order = executed or leaves
    info["order"] = "execution" if executed else "registration"
    info["execution_order"] = [name for name, _ in executed[:MAX_LAYERS]]
    info["batchnorm"] = _batchnorm_placement(order)
    info["activations"] = _activations(model, device, dtype)
    info["trace"] = trace_structure(model, device, dtype)
    return info
