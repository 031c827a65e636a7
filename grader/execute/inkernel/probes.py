"""Probes, executed in the student's kernel after the student's cells: they report what the notebook built.

This file is sent to the kernel as source text (:func:`grader.execute.payload.probe_source`). What it
reports are the notebook's claims, not evidence that counts on its own: the model it finds, the optimizer,
loss and transforms, and the trained model's weights. Every section is sent at once as a framed message on a
pipe the grader reads (see :mod:`grader.execute.channels`), so a failing section never hides the others and
nothing can be rewritten afterwards. The weights travel as a ``state_dict`` that the grader loads with
``weights_only=True`` in a fresh process (:mod:`grader.execute.inkernel.fresh_model`); the accuracy that
counts is measured there.
"""

from __future__ import annotations

import io
import sys
import time
import traceback
import typing as t

from grader.execute.inkernel.describe import describe_model, jsonable, model_device, parameter_count
from grader.execute.inkernel.framing import send
from grader.execute.inkernel.trace import trace_structure
from grader.execute.inkernel.training import REGISTRY_ATTR

SECTIONS = ("environment", "model", "optimizer", "scheduler", "criterion", "transforms", "export", "trained")
STATE_DICT = "state_dict"
TRAINED_STATE_DICTS = "trained_state_dicts"  # a list of state_dicts, the models of the "trained" section


def _simple_attrs(obj: t.Any, skip: tuple[str, ...] = ("training",)) -> dict[str, t.Any]:
    """Public attributes that are plain numbers, strings or short lists of them (a transform's settings)."""
    attrs: dict[str, t.Any] = {}
    for name, value in vars(obj).items():
        plain = jsonable(value)
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


class _Sender:
    """Framed messages (:mod:`grader.execute.inkernel.framing`) on the report pipe, one per section."""

    def __init__(self, fd: int, nonce: str) -> None:
        self.fd = fd
        self.nonce = nonce

    def send(self, kind: str, payload: bytes) -> None:
        send(self.fd, self.nonce, kind, payload)

    def section(self, name: str, probe: t.Callable[[], t.Any]) -> None:
        import json

        start = time.perf_counter()
        message: dict[str, t.Any] = {}
        try:
            message["value"] = jsonable(probe())
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                message["error"] = f"{type(exc).__name__} while probing"
            else:
                message["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-1000:]
            message["value"] = None
        message["seconds"] = round(time.perf_counter() - start, 3)
        self.send(name, json.dumps(message, allow_nan=False).encode())


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


def _trained_models() -> list[tuple[t.Any, int, str]]:
    """(model, optimizer steps, optimizer class) of each model an optimizer stepped, as the guard saw it."""
    registry = getattr(sys.modules.get("torch"), REGISTRY_ATTR, None)
    return registry.models() if registry is not None else []


def _variable_of(ns: dict[str, t.Any], model: t.Any) -> str | None:
    return next((k for k, v in ns.items() if v is model and not k.startswith("_")), None)


def _find_model(ns: dict[str, t.Any]) -> tuple[str, t.Any] | None:
    """``net`` if it is a module that was trained (or nothing was), else the last trained model (held in a
    variable if one was), else the largest module instance, else a ``__main__`` class built bare."""
    from torch import nn

    net = ns.get("net")
    trained = [model for model, _, _ in _trained_models()]
    if isinstance(net, nn.Module) and (not trained or any(m is net for m in trained)):
        return "variable net", net
    held = [(name, m) for m in trained if (name := _variable_of(ns, m)) is not None]
    if held:
        return f"variable {held[-1][0]}", held[-1][1]
    if trained:
        return f"trained model of class {type(trained[-1]).__name__}", trained[-1]
    if isinstance(net, nn.Module):
        return "variable net", net
    losses = (nn.modules.loss._Loss,)
    instances = [
        (name, v)
        for name, v in ns.items()
        if isinstance(v, nn.Module) and not isinstance(v, losses) and not name.startswith("_")
    ]
    if instances:
        name, model = max(instances, key=lambda item: parameter_count(item[1], trainable=False))
        return f"variable {name}", model
    built = []
    for name, cls in list(ns.items()):
        if isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == "__main__":
            try:
                built.append((name, cls()))
            except Exception:
                continue
    if built:
        name, model = max(built, key=lambda item: parameter_count(item[1], trainable=False))
        return f"class {name}() built with no arguments", model
    return None


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


def _describe(context: dict[str, t.Any], ns: dict[str, t.Any]) -> dict[str, t.Any] | None:
    from torch import nn

    found = _find_model(ns)
    if found is None:
        return None
    source, model = found
    context["model"], context["model_source"] = model, source
    info = describe_model(model, source)
    # the run's record of training (a claim of the kernel: it only backs a model the grader finds untrained)
    info["optimizer_steps"] = next((steps for m, steps, _ in _trained_models() if m is model), 0)
    info["instances"] = sorted(k for k, v in ns.items() if isinstance(v, nn.Module) and not k.startswith("_"))
    return info


def _export(context: dict[str, t.Any], sender: _Sender) -> dict[str, t.Any] | None:
    """The found model's weights as a ``state_dict`` on CPU, and the names the grader rebuilds it from."""
    import torch

    model = context.get("model")
    if model is None:
        return None
    state = {
        key: value.detach().cpu() if torch.is_tensor(value) else value
        for key, value in model.state_dict().items()
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    sender.send(STATE_DICT, buffer.getvalue())
    kind = type(model)
    return {
        "found_as": context["model_source"],
        "variable": context["model_source"].split()[1]
        if context["model_source"].startswith("variable ")
        else None,
        "class_name": kind.__name__,
        "class_module": kind.__module__,
        "state_dict_bytes": buffer.tell(),
    }


def _activations_claimed(model: t.Any) -> dict[str, int] | None:
    """What the kernel's forward pass computes: the fresh process's tie-breaker between constructors that
    all accept the same weights (a ReLU and a Swish variant of one class have the same ``state_dict``)."""
    import torch

    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    return trace_structure(model, model_device(model), dtype).get("activations")


def _export_trained(
    context: dict[str, t.Any], ns: dict[str, t.Any], sender: _Sender
) -> list[dict[str, t.Any]]:
    """The other models the notebook trained: their weights (one message, a list of ``state_dict``s in this
    order) and what the grader rebuilds each from. The model of the "export" section is not repeated."""
    import torch

    models = [(m, steps, opt) for m, steps, opt in _trained_models() if m is not context.get("model")]
    states, info = [], []
    for model, steps, optimizer in models:
        states.append(
            {k: v.detach().cpu() if torch.is_tensor(v) else v for k, v in model.state_dict().items()}
        )
        kind = type(model)
        info.append(
            {
                "variable": _variable_of(ns, model),
                "class_name": kind.__name__,
                "class_module": kind.__module__,
                "optimizer": optimizer,
                "steps": steps,
                "parameters": parameter_count(model, trainable=False),
                "activations": _activations_claimed(model),
            }
        )
    if states:
        buffer = io.BytesIO()
        torch.save(states, buffer)
        sender.send(TRAINED_STATE_DICTS, buffer.getvalue())
    return info


def run_probes(report_fd: int, nonce: str) -> None:
    """Run every probe section; each sends its result or its error on the report pipe."""
    ns = _user_namespace()
    sender = _Sender(report_fd, nonce)
    context: dict[str, t.Any] = {}
    sender.section("environment", _environment)
    sender.section("model", lambda: _describe(context, ns))
    sender.section("optimizer", lambda: _describe_optimizer(context, ns))
    sender.section("scheduler", lambda: _describe_scheduler(ns))
    sender.section("criterion", lambda: _describe_criterion(ns))
    sender.section("transforms", lambda: _describe_transforms(ns))
    sender.section("export", lambda: _export(context, sender))
    sender.section("trained", lambda: _export_trained(context, ns, sender))
