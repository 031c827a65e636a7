"""Probes, executed in the student's kernel after the student's cells: they report what the notebook built.

This file is sent to the kernel as source text (:func:`probe_source`). It reports data, never verdicts: the
model's shape and layers, the optimizer, loss and transforms, and the trained ``net``'s predictions on the
course's val and test images, written as ``probe.json`` and int64 ``.npy`` files that the grader reads with
``allow_pickle=False``. Each section runs on its own and records its own error, so one failing probe never
hides the others, and ``probe.json`` is rewritten after every section so a crash keeps what came before.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
import typing as t
from pathlib import Path

PROBE_INPUT_SHAPE = (2, 3, 32, 32)
PREDICTION_BATCH = 500
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2023, 0.1994, 0.2010)
MAX_LAYERS = 2000
PROBE_FILE = "probe.json"
VAL_PREDICTIONS = "val_predictions.npy"
TEST_PREDICTIONS = "test_predictions.npy"


def probe_source(out_dir: str | Path, data_dir: str | Path | None, val_images: str, test_images: str) -> str:
    """The code to run in the kernel: this module's text followed by the call that runs every probe."""
    data = None if data_dir is None else str(data_dir)
    call = f"run_probes({str(out_dir)!r}, {data!r}, {val_images!r}, {test_images!r})"
    return Path(__file__).read_text(encoding="utf-8") + f"\n{call}\n"


def _jsonable(value: t.Any, depth: int = 0) -> t.Any:
    """Plain JSON: non-finite floats become strings, unknown objects their (short) repr."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 6:
        return repr(value)[:200]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_jsonable(v, depth + 1) for v in list(items)[:MAX_LAYERS]]
    tolist = getattr(value, "tolist", None)  # numpy and torch arrays and scalars
    if callable(tolist):
        numel = getattr(value, "numel", None)
        count = numel() if callable(numel) else getattr(value, "size", None)
        if isinstance(count, int) and count <= 64:
            return _jsonable(tolist(), depth + 1)
    return repr(value)[:200]


def _simple_attrs(obj: t.Any, skip: tuple[str, ...] = ("training",)) -> dict[str, t.Any]:
    """Public attributes that are plain numbers, strings or short lists of them (a transform's settings)."""
    attrs: dict[str, t.Any] = {}
    for name, value in vars(obj).items():
        plain = _jsonable(value)
        if name.startswith("_") or name in skip or (isinstance(plain, str) and not isinstance(value, str)):
            continue
        attrs[name] = plain
    return attrs


def _user_namespace() -> dict[str, t.Any]:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is not None:
        return shell.user_ns
    return vars(sys.modules["__main__"])


class _Report:
    """probe.json, rewritten atomically after every section."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.data: dict[str, t.Any] = {"errors": {}, "timings_s": {}}

    def section(self, name: str, probe: t.Callable[[], t.Any]) -> None:
        start = time.perf_counter()
        try:
            self.data[name] = _jsonable(probe())
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                self.data["errors"][name] = f"{type(exc).__name__} while probing"
            else:
                text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self.data["errors"][name] = text[-1000:]
            self.data[name] = None
        self.data["timings_s"][name] = round(time.perf_counter() - start, 3)
        self.write()

    def write(self) -> None:
        path = os.path.join(self.out_dir, PROBE_FILE)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=1, allow_nan=False)
        os.replace(path + ".tmp", path)


# -- sections ------------------------------------------------------------------------------------------


def _environment() -> dict[str, t.Any]:
    import numpy as np
    import torch

    info: dict[str, t.Any] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
    }
    torchvision = sys.modules.get("torchvision")
    if torchvision is not None:
        info["torchvision"] = getattr(torchvision, "__version__", None)
    if info["cuda_available"]:
        info["cuda_device"] = torch.cuda.get_device_name(0)
        info["cuda_version"] = torch.version.cuda
    return info


def _parameter_count(model: t.Any, trainable: bool = True) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable))


def _find_model(ns: dict[str, t.Any]) -> tuple[str, t.Any] | None:
    """``net`` if it is a module, else the largest module instance, else a ``__main__`` class built bare."""
    from torch import nn

    net = ns.get("net")
    if isinstance(net, nn.Module):
        return "variable net", net
    losses = (nn.modules.loss._Loss,)
    instances = [
        (name, v)
        for name, v in ns.items()
        if isinstance(v, nn.Module) and not isinstance(v, losses) and not name.startswith("_")
    ]
    if instances:
        name, model = max(instances, key=lambda item: _parameter_count(item[1], trainable=False))
        return f"variable {name}", model
    built = []
    for name, cls in list(ns.items()):
        if isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == "__main__":
            try:
                built.append((name, cls()))
            except Exception:
                continue
    if built:
        name, model = max(built, key=lambda item: _parameter_count(item[1], trainable=False))
        return f"class {name}() built with no arguments", model
    return None


def _model_device(model: t.Any) -> t.Any:
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


def _describe_model(context: dict[str, t.Any], ns: dict[str, t.Any]) -> dict[str, t.Any] | None:
    import torch
    from torch import nn

    found = _find_model(ns)
    if found is None:
        return None
    source, model = found
    context["model"] = model
    device = _model_device(model)
    info: dict[str, t.Any] = {
        "source": source,
        "class_name": type(model).__name__,
        "device": str(device),
        "trainable_parameters": _parameter_count(model),
        "total_parameters": _parameter_count(model, trainable=False),
        "instances": sorted(k for k, v in ns.items() if isinstance(v, nn.Module) and not k.startswith("_")),
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
    return info


def _find(ns: dict[str, t.Any], preferred: str, kind: type) -> tuple[str, t.Any] | None:
    if isinstance(ns.get(preferred), kind):
        return preferred, ns[preferred]
    for name, value in ns.items():
        if isinstance(value, kind) and not name.startswith("_"):
            return name, value
    return None


def _describe_optimizer(context: dict[str, t.Any], ns: dict[str, t.Any]) -> dict[str, t.Any] | None:
    import torch

    found = _find(ns, "optimizer", torch.optim.Optimizer)
    if found is None:
        return None
    name, optimizer = found
    groups = optimizer.param_groups
    keys = ("lr", "initial_lr", "momentum", "weight_decay", "nesterov", "dampening", "betas", "eps")
    info = {"variable": name, "class_name": type(optimizer).__name__, "param_groups": len(groups)}
    info.update({k: groups[0][k] for k in keys if groups and k in groups[0]})
    model = context.get("model")
    if model is not None:
        ids = {id(p) for p in model.parameters()}
        covered = {id(p) for g in groups for p in g["params"]} & ids
        info["model_parameters_covered"] = len(covered) / len(ids) if ids else None
    return info


def _describe_scheduler(ns: dict[str, t.Any]) -> dict[str, t.Any] | None:
    import torch

    base = getattr(torch.optim.lr_scheduler, "LRScheduler", None) or torch.optim.lr_scheduler._LRScheduler
    found = _find(ns, "scheduler", base)
    if found is None:
        return None
    name, scheduler = found
    info = {"variable": name, "class_name": type(scheduler).__name__}
    for key in ("milestones", "gamma", "step_size", "T_max", "eta_min", "last_epoch", "base_lrs"):
        value = getattr(scheduler, key, None)
        if value is not None:
            info[key] = sorted(value) if key == "milestones" else value
    return info


def _describe_criterion(ns: dict[str, t.Any]) -> dict[str, t.Any] | None:
    from torch import nn

    found = _find(ns, "criterion", nn.modules.loss._Loss)
    if found is None:
        criterion = ns.get("criterion")
        if criterion is None:
            return None
        return {
            "variable": "criterion",
            "class_name": type(criterion).__name__,
            "callable": callable(criterion),
        }
    name, criterion = found
    info = {"variable": name, "class_name": type(criterion).__name__}
    for key in ("reduction", "label_smoothing"):
        if hasattr(criterion, key):
            info[key] = getattr(criterion, key)
    return info


def _describe_transforms(ns: dict[str, t.Any]) -> dict[str, t.Any]:
    """Every torchvision ``Compose`` in the namespace, by variable name, with each step's settings."""
    found = {}
    for name, value in ns.items():
        kind = type(value)
        if (
            kind.__name__ != "Compose"
            or not kind.__module__.startswith("torchvision")
            or name.startswith("_")
        ):
            continue
        found[name] = [
            {"type": type(step).__name__, "params": _simple_attrs(step)}
            for step in getattr(value, "transforms", [])
        ]
    return found


def _preprocess(images: t.Any, transform: t.Any) -> t.Any:
    import torch

    if transform is None:
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
        return (x - mean) / std
    from PIL import Image

    return torch.stack([transform(Image.fromarray(image)) for image in images])


def _predictions(
    context: dict[str, t.Any], ns: dict[str, t.Any], data_dir: str | None, files: dict[str, str]
) -> t.Any:
    import numpy as np
    import torch
    from torch import nn

    model = ns.get("net")
    if not isinstance(model, nn.Module):
        raise LookupError("no variable `net` holding an nn.Module after the notebook ran")
    if data_dir is None:
        raise FileNotFoundError("the course data is not mounted in this run")
    device = _model_device(model)
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    modes = {m: m.training for m in model.modules()}
    report = {}
    try:
        model.eval()
        for split, (file_name, preferred) in files.items():
            images = np.load(os.path.join(data_dir, file_name), allow_pickle=False)
            transform_name = next((n for n in preferred if callable(ns.get(n))), None)
            transform = ns.get(transform_name) if transform_name else None
            predicted = []
            for start in range(0, len(images), PREDICTION_BATCH):
                x = _preprocess(images[start : start + PREDICTION_BATCH], transform)
                with torch.no_grad():
                    out = model(x.to(device=device, dtype=dtype))
                if isinstance(out, tuple | list):
                    out = out[0]
                predicted.append(out.argmax(dim=1).to("cpu", torch.int64).numpy())
            labels = np.concatenate(predicted) if predicted else np.zeros(0, dtype=np.int64)
            out_file = context["prediction_files"][split]
            np.save(os.path.join(context["out_dir"], out_file), labels.astype(np.int64), allow_pickle=False)
            report[split] = {
                "file": out_file,
                "count": int(len(labels)),
                "preprocessing": transform_name or "ToTensor+Normalize(CIFAR-10 mean/std)",
            }
    finally:
        for module, mode in modes.items():
            module.training = mode
    return report


def run_probes(out_dir: str, data_dir: str | None, val_images: str, test_images: str) -> None:
    """Run every probe section; each records its result or its error in ``<out_dir>/probe.json``."""
    ns = _user_namespace()
    report = _Report(out_dir)
    context: dict[str, t.Any] = {
        "out_dir": out_dir,
        "prediction_files": {"val": VAL_PREDICTIONS, "test": TEST_PREDICTIONS},
    }
    files = {
        "val": (val_images, ("transform_val", "transform_test")),
        "test": (test_images, ("transform_test", "transform_val")),
    }
    report.section("environment", _environment)
    report.section("model", lambda: _describe_model(context, ns))
    report.section("optimizer", lambda: _describe_optimizer(context, ns))
    report.section("scheduler", lambda: _describe_scheduler(ns))
    report.section("criterion", lambda: _describe_criterion(ns))
    report.section("transforms", lambda: _describe_transforms(ns))
    report.section("predictions", lambda: _predictions(context, ns, data_dir, files))
    report.data["complete"] = True
    report.write()
