"""The structure of a model as one forward pass computes it: convolutions, linear layers, normalisations,
activations and residual additions, with the data flow between them.

Class and attribute names say nothing reliable (a ResNet's blocks may be ``nn.Sequential`` stages, unrolled
attributes or a block called anything; Swish may be a function): what counts is what the forward pass
calls. A ``TorchFunctionMode`` sees each torch call once at the top level (the calls inside ``F.silu`` or
``F.batch_norm`` run with the mode off), so ``x * torch.sigmoid(x)``, ``nn.SiLU`` and ``F.silu`` are told
apart, and a residual addition is an addition of two tensors that share an ancestor. Standard library and
torch only, imported lazily.
"""

from __future__ import annotations

import traceback
import typing as t

TRACE_INPUT_SHAPE = (1, 3, 32, 32)
MAX_NODES = 5000
CONVS = frozenset({"conv1d", "conv2d", "conv3d"})
NORMS = {"batch_norm": "batchnorm", "layer_norm": "norm", "group_norm": "norm", "instance_norm": "norm"}
RELUS = frozenset({"relu", "relu_", "relu6", "leaky_relu", "leaky_relu_"})
MULS = frozenset({"mul", "mul_", "__mul__", "__rmul__", "__imul__", "multiply"})
ADDS = frozenset({"add", "add_", "__add__", "__radd__", "__iadd__"})
SIGMOIDS = frozenset({"sigmoid", "sigmoid_"})


def _tensors(value: t.Any, torch: t.Any, depth: int = 0) -> list[t.Any]:
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 2 and isinstance(value, list | tuple):
        return [x for item in value for x in _tensors(item, torch, depth + 1)]
    return []


def _record(
    torch: t.Any, nodes: list[dict[str, t.Any]], producers: dict[int, int], keep: list[t.Any]
) -> t.Any:
    class Recorder(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if not isinstance(out, torch.Tensor) or len(nodes) >= MAX_NODES:
                return out
            name = getattr(func, "__name__", "?")
            inputs = _tensors(list(args) + list(kwargs.values()), torch)
            node: dict[str, t.Any] = {
                "op": name,
                "inputs": [producers[id(x)] for x in inputs if id(x) in producers],
                "shape": list(out.shape),
            }
            if name in CONVS or name == "linear":
                weight, bias = (list(args) + [None, None, None])[1:3]
                bias = kwargs.get("bias", bias)
                node.update(_weighted(name, weight, bias, args, kwargs))
            elif name in NORMS:
                params = [x for x in inputs[1:] if getattr(x, "requires_grad", False)]
                node["parameters"] = int(sum(p.numel() for p in params))
            keep.append(out)
            producers[id(out)] = len(nodes)
            nodes.append(node)
            return out

    return Recorder()


def _weighted(name: str, weight: t.Any, bias: t.Any, args: tuple, kwargs: dict) -> dict[str, t.Any]:
    shape = list(getattr(weight, "shape", []))
    info: dict[str, t.Any] = {"weight": id(weight), "bias": bias is not None}
    info["parameters"] = int(getattr(weight, "numel", lambda: 0)()) + (
        int(bias.numel()) if bias is not None else 0
    )
    if name == "linear":
        info.update(
            out_features=shape[0] if shape else None, in_features=shape[1] if len(shape) > 1 else None
        )
        return info
    stride = kwargs.get("stride", args[3] if len(args) > 3 else 1)
    groups = kwargs.get("groups", args[6] if len(args) > 6 else 1)
    info.update(
        out_channels=shape[0] if shape else None,
        in_channels=shape[1] * groups if len(shape) > 1 else None,
        kernel_size=shape[2:],
        stride=max(stride) if isinstance(stride, tuple | list) else stride,
    )
    return info


def _ancestors(nodes: list[dict[str, t.Any]]) -> list[int]:
    """Bit masks: bit j of entry i is set when node j feeds node i, directly or not."""
    masks: list[int] = []
    for node in nodes:
        mask = 0
        for j in node["inputs"]:
            mask |= masks[j] | (1 << j)
        masks.append(mask)
    return masks


def _feeding_weighted(nodes: list[dict[str, t.Any]], index: int) -> int | None:
    """The conv/linear whose output reaches node INDEX through single-input steps (ReLU, pooling, views)."""
    while nodes[index]["inputs"]:
        index = nodes[index]["inputs"][0]
        if nodes[index]["kind"] in ("conv", "linear"):
            return index
        if nodes[index]["kind"] in ("batchnorm", "add"):
            return None
    return None


def _classify(nodes: list[dict[str, t.Any]], masks: list[int]) -> None:
    for node in nodes:
        op = node["op"]
        node["kind"] = (
            "conv"
            if op in CONVS
            else "linear"
            if op == "linear"
            else NORMS.get(op)
            or ("relu" if op in RELUS else "silu" if op == "silu" else "sigmoid" if op in SIGMOIDS else op)
        )
    for node in nodes:
        inputs = node["inputs"]
        if node["op"] in MULS and len(inputs) == 2:
            for x, s in (inputs, inputs[::-1]):
                gate = nodes[s]
                if gate["kind"] == "sigmoid" and gate["inputs"] and _same_signal(nodes, gate["inputs"][0], x):
                    node["kind"], gate["kind"] = "swish", "swish-gate"
        elif node["op"] in ADDS and len(inputs) == 2 and inputs[0] != inputs[1]:
            a, b = inputs
            if (masks[a] | 1 << a) & (masks[b] | 1 << b) and nodes[a]["shape"] == nodes[b]["shape"]:
                node["kind"] = "add"


def _same_signal(nodes: list[dict[str, t.Any]], gated: int, x: int) -> bool:
    """sigmoid(x) or sigmoid(beta * x): Swish, with or without its beta."""
    return gated == x or (nodes[gated]["op"] in MULS | {"div", "__truediv__"} and x in nodes[gated]["inputs"])


def _residual_blocks(nodes: list[dict[str, t.Any]], masks: list[int]) -> list[dict[str, t.Any]]:
    blocks = []
    for index, node in enumerate(nodes):
        if node["kind"] != "add":
            continue
        a, b = node["inputs"]
        common = (masks[a] | 1 << a) & (masks[b] | 1 << b)
        start = common.bit_length() - 1  # the block's input: the latest node both branches come from

        def path(end: int, start: int = start) -> list[int]:
            reach = masks[end] | 1 << end
            return [k for k in range(start + 1, end + 1) if reach >> k & 1]

        branches = sorted((path(a), path(b)), key=lambda p: sum(nodes[k]["kind"] == "conv" for k in p))
        shortcut, main = branches
        biased = [nodes[k] for k in shortcut if nodes[k]["kind"] == "conv" and nodes[k]["bias"]]
        convs = [nodes[k] for k in main if nodes[k]["kind"] == "conv"]
        short_convs = [nodes[k] for k in shortcut if nodes[k]["kind"] == "conv"]
        if not convs:
            continue
        kind = "projection" if short_convs else "identity" if not shortcut else "parameter-free"
        blocks.append(
            {
                "convs": len(convs),
                "in_channels": convs[0]["in_channels"],
                "out_channels": convs[-1]["out_channels"],
                "stride": max(int(c["stride"] or 1) for c in convs),
                "kernel_sizes": [c["kernel_size"] for c in convs],
                "shortcut": kind,
                "shortcut_parameters": sum(nodes[k].get("parameters", 0) for k in shortcut),
                "shortcut_bias_parameters": sum(c["out_channels"] for c in biased),
                "add": index,
            }
        )
    return blocks


def _group_stages(blocks: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Consecutive blocks of one width."""
    stages: list[dict[str, t.Any]] = []
    for block in blocks:
        if stages and stages[-1]["out_channels"] == block["out_channels"] and block["stride"] == 1:
            stages[-1]["blocks"] += 1
            stages[-1]["convs_per_block"].append(block["convs"])
        else:
            stages.append(
                {
                    "blocks": 1,
                    "out_channels": block["out_channels"],
                    "stride": block["stride"],
                    "convs_per_block": [block["convs"]],
                }
            )
    return stages


def _summary(nodes: list[dict[str, t.Any]], names: dict[int, str]) -> dict[str, t.Any]:
    masks = _ancestors(nodes)
    _classify(nodes, masks)
    normalised = {_feeding_weighted(nodes, i) for i, n in enumerate(nodes) if n["kind"] == "batchnorm"}
    weighted = []
    for index, node in enumerate(nodes):
        if node["kind"] not in ("conv", "linear"):
            continue
        keys = ("in_channels", "out_channels", "kernel_size", "stride", "in_features", "out_features")
        layer = {
            "name": names.get(node["weight"], f"{node['kind']} {len(weighted) + 1}"),
            "kind": node["kind"],
        }
        layer.update({k: node[k] for k in keys if k in node})
        layer.update(bias=node["bias"], parameters=node["parameters"], batchnorm_after=index in normalised)
        weighted.append(layer)
    counts: dict[str, int] = {}
    for node in nodes:
        if node["kind"] in ("relu", "silu", "swish", "sigmoid"):
            counts[node["kind"]] = counts.get(node["kind"], 0) + 1
    blocks = _residual_blocks(nodes, masks)
    return {
        "input_shape": list(TRACE_INPUT_SHAPE),
        "weighted": weighted,
        "batchnorms": sum(n["kind"] == "batchnorm" for n in nodes),
        "activations": counts,
        "residual_adds": len(blocks),
        "blocks": [{k: v for k, v in b.items() if k != "add"} for b in blocks],
        "stages": _group_stages(blocks),
        "nodes": len(nodes),
    }


def trace_structure(model: t.Any, device: t.Any, dtype: t.Any) -> dict[str, t.Any]:
    """What one eval-mode forward pass of a (1, 3, 32, 32) input computes; the error when it fails."""
    import torch

    nodes: list[dict[str, t.Any]] = []
    producers: dict[int, int] = {}
    keep: list[t.Any] = []
    x = torch.randn(TRACE_INPUT_SHAPE, generator=torch.Generator().manual_seed(0)).to(
        device=device, dtype=dtype
    )
    producers[id(x)] = 0
    nodes.append({"op": "input", "inputs": [], "shape": list(x.shape)})
    keep.append(x)
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        with torch.no_grad(), _record(torch, nodes, producers, keep):
            model(x)
    except Exception as exc:
        return {"error": "".join(traceback.format_exception_only(type(exc), exc)).strip()[-500:]}
    finally:
        for module, mode in modes.items():
            module.training = mode
    names = {id(p): name.removesuffix(".weight") for name, p in model.named_parameters()}
    return _summary(nodes, names)
