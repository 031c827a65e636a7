"""Checks on the models the notebook trained, as the fresh process rebuilt and traced them (shapes, counts,
structure, layers). The questions are about what a forward pass computes, never about class names."""

from __future__ import annotations

from grader.checks.common import failed, inconclusive, passed, rebuilt_model
from grader.checks.training import fresh_val_accuracy
from grader.evidence.bundle import Evidence
from grader.evidence.consistency import above_chance
from grader.records import CheckOutcome
from grader.rubric.item import Item

PLACEMENTS = ("all_but_last", "after_conv")


def _model(ev: Evidence, item: Item) -> tuple[dict | None, CheckOutcome | None]:
    """The trained model as the fresh process rebuilt it, or why there is nothing to check."""
    return rebuilt_model(ev.notebooks[item.notebook])


def _traced(ev: Evidence, item: Item) -> tuple[list[tuple[str, dict]], CheckOutcome | None]:
    """(class name, trace) of every model of the notebook the fresh process rebuilt and traced: the measured
    model first, then the other models the notebook trained."""
    main, problem = _model(ev, item)
    if problem:
        return [], problem
    evaluation = ev.notebooks[item.notebook].evaluation
    others = evaluation.trained if evaluation is not None else []
    traced = [
        (m["class_name"], m["trace"]) for m in [main, *others] if "error" not in m.get("trace", {"error": 1})
    ]
    if not traced:
        error = (main.get("trace") or {}).get("error", "no trace")
        return [], inconclusive(
            f"the grader could not trace a forward pass of {main['class_name']}: {error}", "harness"
        )
    return traced, None


def _variant_parameters(trace: dict, params: dict) -> int:
    """Parameters the variants a rubric opts into add: conv biases, projection shortcuts with their BN."""
    extra = 0
    if params.get("allow_conv_bias", False):
        extra += sum(w["out_channels"] for w in trace["weighted"] if w["kind"] == "conv" and w["bias"])
    if params.get("allow_projection_shortcuts", False):
        extra += sum(
            b["shortcut_parameters"] - b["shortcut_bias_parameters"]
            for b in trace["blocks"]
            if b["shortcut"] == "projection"
        )
    return extra


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
    """The trainable parameter count, less what the variants the rubric allows add (a ResNet-20 with conv
    biases or 1x1 projection shortcuts is still a ResNet-20 where the rubric allows those)."""
    model, problem = _model(ev, item)
    if problem:
        return problem
    expected, tolerance = item.params["expected"], item.params.get("tolerance", 0)
    count = model["trainable_parameters"]
    trace = model.get("trace") or {}
    variants = _variant_parameters(trace, item.params) if "weighted" in trace else 0
    evidence = {
        "value": count,
        "expected": expected,
        "tolerance": tolerance,
        "variant_parameters": variants,
        "class_name": model["class_name"],
    }
    allowed = (
        f" ({variants:,} of them from allowed variants: conv biases, projection shortcuts)"
        if variants
        else ""
    )
    if item.params.get("require_trained", False) and (untrained := _never_trained(ev, item)) is not None:
        return failed(
            f"{model['class_name']} has {count:,} trainable parameters{allowed}, {untrained}", **evidence
        )
    if abs(count - variants - expected) > tolerance:
        return failed(
            f"{model['class_name']} has {count:,} trainable parameters{allowed}; expected {expected:,}"
            + (f" (within {tolerance:,})" if tolerance else ""),
            **evidence,
        )
    return passed(f"{model['class_name']} has {count:,} trainable parameters{allowed}", **evidence)


def _never_trained(ev: Evidence, item: Item) -> str | None:
    """Why the measured model counts as never trained (a template's model as given), else None: its accuracy,
    measured in the fresh process, is at chance and the run recorded no optimizer step for it."""
    nb = ev.notebooks[item.notebook]
    accuracy, images, problem = fresh_val_accuracy(ev, nb)
    if problem is None and above_chance(accuracy, images):
        return None
    if ((nb.probe.get("model") or {}).get("optimizer_steps") or 0) > 0:
        return None
    measured = f"{accuracy:.1%} validation accuracy in a fresh process" if problem is None else "no accuracy"
    return f"but it was never trained: {measured} and no optimizer step in the grader's run"


def _describe_stages(stages: list[dict]) -> str:
    return ", ".join(f"{s['blocks']} blocks at {s['out_channels']}" for s in stages) or "no stages of blocks"


def _resnet_problem(trace: dict, params: dict) -> str | None:
    """Why TRACE is not the rubric's ResNet, or None when it is."""
    channels = list(params.get("stage_channels", [16, 32, 64]))
    blocks, convs = params.get("blocks_per_stage", 3), params.get("convs_per_block", 2)
    stages = trace["stages"]
    got = [(s["blocks"], s["out_channels"]) for s in stages]
    if got != [(blocks, c) for c in channels]:
        return (
            f"expected {len(channels)} stages of {blocks} residual blocks at {channels} channels; "
            f"the forward pass has {_describe_stages(stages)}"
        )
    if any(n != convs for s in stages for n in s["convs_per_block"]):
        return (
            f"expected basic blocks of {convs} convolutions; found {[s['convs_per_block'] for s in stages]}"
        )
    if not params.get("allow_projection_shortcuts", True) and any(
        b["shortcut"] == "projection" for b in trace["blocks"]
    ):
        return "uses 1x1 projection shortcuts; the rubric asks for parameter-free (identity) shortcuts"
    if not params.get("allow_conv_bias", True) and any(
        w["bias"] for w in trace["weighted"] if w["kind"] == "conv"
    ):
        return "its convolutions have biases; the rubric asks for convolutions without bias before BatchNorm"
    return None


def resnet_structure(ev: Evidence, item: Item) -> CheckOutcome:
    """Stages of residual blocks as the forward pass computes them, whatever the classes are called."""
    traced, problem = _traced(ev, item)
    if problem:
        return problem
    reasons = []
    for name, trace in traced:
        reason = _resnet_problem(trace, item.params)
        evidence = {"class_name": name, "stages": trace["stages"], "residual_adds": trace["residual_adds"]}
        if reason is None:
            stages = trace["stages"]
            return passed(
                f"{name}: {len(stages)} stages of {_describe_stages(stages)}, residual adds", **evidence
            )
        reasons.append((f"{name}: {reason}", evidence))
    return failed(reasons[0][0], **reasons[0][1])


def _batchnorm_problem(trace: dict, placement: str) -> tuple[str | None, str]:
    """Why TRACE's BatchNorm is not placed as PLACEMENT says (None when it is), and what was asked."""
    weighted = trace["weighted"]
    if not weighted:
        return "no conv or linear layers found in the model", ""
    if placement == "after_conv":
        convs = [w for w in weighted if w["kind"] == "conv"]
        without = [w["name"] for w in convs if not w["batchnorm_after"]]
        return (f"no BatchNorm after {', '.join(without)}" if without or not convs else None), (
            f"BatchNorm after each of the {len(convs)} convolutions"
        )
    body, last = weighted[:-1], weighted[-1]
    without = [w["name"] for w in body if not w["batchnorm_after"]]
    if without:
        return f"no BatchNorm after {', '.join(without)}", ""
    if last["batchnorm_after"]:
        return f"the last layer {last['name']} should not be followed by BatchNorm", ""
    return None, f"BatchNorm after each of the {len(body)} conv/linear layers but the last"


def batchnorm(ev: Evidence, item: Item) -> CheckOutcome:
    """Some trained model has BatchNorm where the rubric's ``placement`` puts it: after every conv/linear
    but the last (``all_but_last``, the default) or after each convolution (``after_conv``)."""
    traced, problem = _traced(ev, item)
    if problem:
        return problem
    placement = item.params.get("placement", "all_but_last")
    if placement not in PLACEMENTS:
        raise ValueError(
            f"item {item.id}: placement is {placement!r}, expected one of {', '.join(PLACEMENTS)}"
        )
    minimum = item.params.get("min_layers", 1)
    reasons = []
    for name, trace in traced:
        reason, asked = _batchnorm_problem(trace, placement)
        count = trace["batchnorms"]
        if reason is None and count < minimum:
            reason = f"{count} BatchNorm layers, expected at least {minimum}"
        evidence = {"class_name": name, "placement": trace["weighted"], "value": count}
        if reason is None:
            return passed(f"{name}: {asked}", **evidence)
        reasons.append((count, f"{name}: {reason}", evidence))
    count, reason, evidence = max(reasons, key=lambda r: r[0])
    more = f" (nor in the {len(traced) - 1} other models trained)" if len(traced) > 1 else ""
    return failed(reason + more, **evidence)


def swish(ev: Evidence, item: Item) -> CheckOutcome:
    """Some trained model computes x * sigmoid(x) as an activation: written out, or (when the rubric's
    ``allow_silu`` says so, the default) torch's nn.SiLU / F.silu."""
    traced, problem = _traced(ev, item)
    if problem:
        return problem
    allow_silu = item.params.get("allow_silu", True)
    for name, trace in traced:
        counts = trace["activations"]
        relu = f"; {counts['relu']} ReLU left" if counts.get("relu") else ""
        if counts.get("swish"):
            return passed(f"{name} computes x*sigmoid(x) {counts['swish']} times{relu}", activations=counts)
        if counts.get("silu") and allow_silu:
            return passed(
                f"{name} uses torch's SiLU (x*sigmoid(x)) {counts['silu']} times{relu}", activations=counts
            )
    found = {name: trace["activations"] for name, trace in traced}
    if any(counts.get("silu") for counts in found.values()):
        return failed(
            "uses torch's nn.SiLU / F.silu; the rubric asks for Swish written as x*sigmoid(x)",
            activations=found,
        )
    described = "; ".join(f"{n}: {dict(c) or 'none'}" for n, c in found.items())
    return failed(f"no trained model computes x*sigmoid(x) as an activation ({described})", activations=found)
