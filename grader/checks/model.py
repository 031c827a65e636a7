"""Checks on the model the notebook built, from the probe's report (shapes, counts, structure, layers)."""

from __future__ import annotations

from grader.checks.common import failed, passed, rebuilt_model
from grader.evidence.bundle import Evidence
from grader.records import CheckOutcome
from grader.rubric.item import Item

SWISH_TOLERANCE = 1e-3


def _model(ev: Evidence, item: Item) -> tuple[dict | None, CheckOutcome | None]:
    """The trained model as the fresh process rebuilt it, or why there is nothing to check."""
    return rebuilt_model(ev.notebooks[item.notebook])


def model_shape(ev: Evidence, item: Item) -> CheckOutcome:
    model, problem = _model(ev, item)
    if problem:
        return problem
    classes = item.params.get("classes", 10)
    if model.get("forward_error"):
        return failed(f"{model['class_name']} fails on a (2, 3, 32, 32) input: {model['forward_error']}")
    shape = model.get("output_shape")
    if shape != [2, classes]:
        return failed(
            f"{model['class_name']} maps (2, 3, 32, 32) to {shape}, expected [2, {classes}]", shape=shape
        )
    return passed(f"{model['class_name']} maps (2, 3, 32, 32) to (2, {classes})", shape=shape)


def model_params(ev: Evidence, item: Item) -> CheckOutcome:
    model, problem = _model(ev, item)
    if problem:
        return problem
    expected, tolerance = item.params["expected"], item.params.get("tolerance", 0)
    count = model["trainable_parameters"]
    evidence = {
        "value": count,
        "expected": expected,
        "tolerance": tolerance,
        "class_name": model["class_name"],
    }
    if abs(count - expected) > tolerance:
        return failed(
            f"{model['class_name']} has {count:,} trainable parameters; expected {expected:,}"
            + (f" (within {tolerance:,})" if tolerance else ""),
            **evidence,
        )
    return passed(f"{model['class_name']} has {count:,} trainable parameters", **evidence)


def resnet_structure(ev: Evidence, item: Item) -> CheckOutcome:
    model, problem = _model(ev, item)
    if problem:
        return problem
    want_channels = list(item.params.get("stage_channels", [16, 32, 64]))
    want_blocks = item.params.get("blocks_per_stage", 3)
    stages = [s for s in model.get("stages", []) if "." not in s["name"]]  # top-level stages only
    got = [(s["blocks"], s["out_channels"]) for s in stages]
    evidence = {"stages": got, "expected": [(want_blocks, c) for c in want_channels]}
    if got != [(want_blocks, c) for c in want_channels]:
        described = ", ".join(f"{b} blocks at {c}" for b, c in got) or "no stages of blocks"
        return failed(
            f"expected {len(want_channels)} stages of {want_blocks} blocks at {want_channels} channels; "
            f"found {described}",
            **evidence,
        )
    return passed(f"{len(stages)} stages of {want_blocks} blocks at {want_channels} channels", **evidence)


def batchnorm(ev: Evidence, item: Item) -> CheckOutcome:
    """BN after every conv/linear but the last, counted in the order the forward pass used them."""
    model, problem = _model(ev, item)
    if problem:
        return problem
    placement = model.get("batchnorm", [])
    if not placement:
        return failed("no conv or linear layers found in the model")
    body, last = placement[:-1], placement[-1]
    without = [p["name"] for p in body if not p["batchnorm_after"]]
    count = sum(p["batchnorm_after"] for p in placement)
    evidence = {"placement": placement, "value": count}
    if without:
        return failed(f"no BatchNorm after {', '.join(without)}", **evidence)
    if last["batchnorm_after"]:
        return failed(f"the last layer {last['name']} should not be followed by BatchNorm", **evidence)
    if count < item.params.get("min_layers", 1):
        return failed(f"{count} BatchNorm layers, expected at least {item.params['min_layers']}", **evidence)
    return passed(f"BatchNorm after each of the {len(body)} conv/linear layers but the last", **evidence)


def swish(ev: Evidence, item: Item) -> CheckOutcome:
    """Numerically: some activation module of the model computes x * sigmoid(x)."""
    model, problem = _model(ev, item)
    if problem:
        return problem
    activations = model.get("activations", [])
    matches = [a for a in activations if a["max_abs_diff_swish"] <= SWISH_TOLERANCE]
    builtin = [layer["name"] for layer in model.get("layers", []) if layer["type"] == "SiLU"]
    if matches:
        return passed(f"{matches[0]['type']} computes x*sigmoid(x)", activations=activations)
    if builtin:
        return failed("uses torch's nn.SiLU rather than a Swish module of its own", layers=builtin)
    return failed(
        "no module of the model computes x*sigmoid(x) (a Swish written as a plain function cannot be "
        "inspected: make it an nn.Module)",
        activations=activations,
    )
