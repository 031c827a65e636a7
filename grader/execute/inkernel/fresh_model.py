"""The fresh process: rebuild the student's model from its definitions and exported weights, and predict.

Sent as source text (:func:`grader.execute.payload.fresh_model_source`) into a sandbox of its own that holds
the weights, the notebook's definitions, the submission's own ``.py`` files and the validation and test
IMAGES, never a label.
It has run none of the student's other cells, so whatever the kernel computed, patched or printed is gone;
what it sends back (the model's description and its predicted classes) is turned into accuracy by the grader,
on labels this process never sees. Standard library and torch only.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
import typing as t

from grader.execute.inkernel.cuda_on_cpu import map_cuda_to_cpu
from grader.execute.inkernel.describe import describe_model, model_device
from grader.execute.inkernel.framing import send

REQUEST_FILE = "request.json"
WEIGHTS_FILE = "state_dict.pt"
TRAINED_WEIGHTS_FILE = "trained_state_dicts.pt"  # the notebook's other trained models, in request order
RESULT_KIND = "evaluation"
PREDICTION_BATCH = 500
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2023, 0.1994, 0.2010)
NORMALIZED = "ToTensor+Normalize(CIFAR-10 mean/std)"
TO_TENSOR = "ToTensor"
MAX_ERRORS = 20
MAX_TRAINED_CANDIDATES = 8  # constructors tried per other trained model (each is built and traced)


class _Mapped:
    """What the definitions' CUDA calls were, run on the CPU as in the kernel (the same patch)."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def record(self, kind: str, action: str, detail: str) -> None:
        self.into.append(detail)


def _error(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-500:]


def _define(namespace: dict[str, t.Any], definitions: list[dict[str, t.Any]], errors: list[str]) -> None:
    for item in definitions:
        try:
            code = compile(item["source"], f"<cell {item['cell']}, line {item['line']}>", "exec")
            exec(code, namespace)
        except BaseException as exc:  # a failing import or a stray assignment costs only itself
            if len(errors) < MAX_ERRORS:
                errors.append(f"cell {item['cell']} line {item['line']}: {_error(exc)}")


def _build(namespace: dict[str, t.Any], candidates: list[str], state: t.Any, errors: list[str]) -> t.Any:
    """The first candidate that builds a module accepting the weights with a strict load, and its text."""
    from torch import nn

    for expression in candidates:
        try:
            model = eval(expression, namespace)
            if not isinstance(model, nn.Module):
                raise TypeError(f"it gives a {type(model).__name__}, not an nn.Module")
            model.load_state_dict(state, strict=True)
            return model, expression
        except BaseException as exc:
            if len(errors) < MAX_ERRORS:
                errors.append(f"`{expression}`: {_error(exc)}")
    return None, None


def _transform(namespace: dict[str, t.Any], names: list[str]) -> tuple[str | None, t.Any]:
    for name in names:
        if callable(namespace.get(name)) and not isinstance(namespace.get(name), type):
            return name, namespace[name]
    return None, None


def _preprocess(images: t.Any, transform: t.Any) -> t.Any:
    """Through the notebook's transform, else ToTensor and CIFAR-10's Normalize (None) or ToTensor alone."""
    import torch

    if transform is None or transform == TO_TENSOR:
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
        if transform == TO_TENSOR:
            return x
        mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
        return (x - mean) / std
    from PIL import Image

    return torch.stack([transform(Image.fromarray(image)) for image in images])


def _predict(model: t.Any, images: t.Any, transform: t.Any) -> list[int]:
    import torch

    device = model_device(model)
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    predicted: list[int] = []
    with torch.no_grad():
        for start in range(0, len(images), PREDICTION_BATCH):
            x = _preprocess(images[start : start + PREDICTION_BATCH], transform)
            out = model(x.to(device=device, dtype=dtype))
            if isinstance(out, tuple | list):
                out = out[0]
            predicted += out.argmax(dim=1).to("cpu", torch.int64).tolist()
    return predicted


def _rebuild_trained(
    namespace: dict[str, t.Any], request: dict[str, t.Any], result: dict[str, t.Any]
) -> list[dict[str, t.Any]]:
    """Each other model the notebook trained, rebuilt from its weights (a strict load) and described."""
    import torch

    wanted = request.get("trained") or []
    if not wanted or not os.path.isfile(TRAINED_WEIGHTS_FILE):
        return []
    states = torch.load(TRAINED_WEIGHTS_FILE, map_location="cpu", weights_only=True)
    described, errors = [], result.setdefault("trained_errors", [])
    for entry, state in zip(wanted, states, strict=False):
        built = []
        for candidate in entry["candidates"][:MAX_TRAINED_CANDIDATES]:
            model, expression = _build(namespace, [candidate], state, errors)
            if model is not None:
                model.to(request["device"]).eval()
                built.append(
                    describe_model(model, f"trained model rebuilt in a fresh process as {expression}")
                )
        if not built:
            continue
        claimed = entry.get("activations")
        matching = [info for info in built if info["trace"].get("activations") == claimed]
        info = (matching or built)[0]
        info["steps"], info["constructors_accepting_the_weights"] = entry.get("steps"), len(built)
        described.append(info)
    return described


def _evaluate(request: dict[str, t.Any]) -> dict[str, t.Any]:
    import numpy as np
    import torch

    result: dict[str, t.Any] = {"definition_errors": [], "build_errors": []}
    state = torch.load(WEIGHTS_FILE, map_location="cpu", weights_only=True)
    if request["device"] == "cpu":  # `device = torch.device("cuda")` among the definitions runs on the CPU
        map_cuda_to_cpu(_Mapped(result.setdefault("cuda_on_cpu", [])), torch)
    namespace: dict[str, t.Any] = {"__name__": "__main__", "__builtins__": builtins}
    sys.path.insert(0, os.getcwd())  # the submission's own modules (models.py) sit beside the request
    _define(namespace, request["definitions"], result["definition_errors"])
    namespace.setdefault("device", torch.device(request["device"]))
    model, expression = _build(namespace, request["candidates"], state, result["build_errors"])
    if model is None:
        result["fatal"] = (
            f"could not rebuild {request['class_name']} from the notebook's definitions and its exported "
            "weights in a fresh process"
        )
        return result
    model.to(request["device"]).eval()
    result["built_with"] = expression
    result["model"] = describe_model(model, f"rebuilt in a fresh process as {expression}")
    result["trained"] = _rebuild_trained(namespace, request, result)
    transform_name, transform = _transform(namespace, request["transforms"])
    # no transform of the notebook's to use: the two a CIFAR-10 notebook most likely trained with
    guesses = (
        [(transform_name, transform)] if transform_name else [(NORMALIZED, None), (TO_TENSOR, TO_TENSOR)]
    )
    result["preprocessing"] = guesses[0][0]
    result["predictions"], result["prediction_errors"], result["alternatives"] = {}, {}, {}
    images = {split: np.load(path, allow_pickle=False) for split, path in request["images"].items()}
    for name, preprocessing in guesses:
        predicted = (
            result["predictions"] if name == guesses[0][0] else result["alternatives"].setdefault(name, {})
        )
        for split, split_images in images.items():
            try:
                predicted[split] = _predict(model, split_images, preprocessing)
            except Exception as exc:  # the student's forward pass: reported per split, as evidence
                result["prediction_errors"].setdefault(split, _error(exc))
    return result


def main(nonce: str) -> None:
    """Evaluate, then send one framed message on the original stdout (the student's prints go to stderr),
    and leave at once: no teardown, and no exit hook of the student's runs after the result."""
    out = os.dup(1)
    os.dup2(2, 1)
    try:
        with open(REQUEST_FILE, encoding="utf-8") as handle:
            result = _evaluate(json.load(handle))
    except BaseException as exc:
        result = {"fatal": f"the fresh process failed: {_error(exc)}"}
    send(out, nonce, RESULT_KIND, json.dumps(result, default=repr).encode())
    os._exit(0)
