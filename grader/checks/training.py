"""Checks on the training set-up and on the grader's own run: it runs, uses the asked-for loss, optimizer
and transforms, and learns."""

from __future__ import annotations

import math
import re

from grader.checks.common import (
    failed,
    inconclusive,
    measured_predictions,
    passed,
    probe_section,
    run_unusable,
)
from grader.checks.files import carried_files
from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.evidence.consistency import chance_bar, measured_test_accuracy, measured_val_accuracy
from grader.execute.sandbox import SANDBOX_WORK_DIR
from grader.records import CheckOutcome
from grader.rubric.item import Item
from grader.static.integrity import ABSOLUTE_PATH_PREFIX

_NO_SUCH_FILE = re.compile(r"FileNotFoundError: \[Errno 2\] No such file or directory: '([^']+)'")


def absolute_path_failure(nb: NotebookEvidence) -> str | None:
    """The sentence for a run that stopped because a cell reads a path of the student's own machine
    (``C:/Users/...``, ``/content/drive/...``): the student's fault, but a path, not a sign of cheating."""
    run = nb.run
    if run is None or run.status != "cell-error":
        return None
    match = _NO_SUCH_FILE.search(run.message)
    if match is None:
        return None
    path = match[1]
    inside = path.startswith(SANDBOX_WORK_DIR + "/")  # the sandbox's own folder, named absolutely
    if inside or not (path.startswith("/") or ABSOLUTE_PATH_PREFIX.match(path)):
        return None
    return (
        f"cell {run.failed_cell} raised FileNotFoundError on {path!r}, an absolute path the grading machine "
        "does not have (one of the machine it was written on?): use a path relative to the notebook (e.g. "
        "'./saved_model/...')"
    )


def blocked_own_file(nb: NotebookEvidence) -> str | None:
    """The submission's own file (not a published model's) whose blocked load stopped the run, else None: the
    grader's rule that a graded run trains its own weights stopped it, not the student's code."""
    run = nb.run
    if run is None or run.status != "cell-error" or "grader guard:" not in run.message:
        return None
    own = [path for path in carried_files(nb) if path not in nb.published_weights]
    return next((path for path in own if path[:200] in run.message), None)


def runs(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    problem = run_unusable(nb)
    if problem:
        return problem
    run = nb.run
    # no duration here: evidence must be the same on a re-grade; run times go to result.json's timings
    evidence = {"status": run.status, "overrides": run.overrides_applied}
    if run.attempts:  # a timed-out first attempt was retried alone: both count as evidence
        evidence["attempts"] = [*run.attempts, {"status": run.status, "message": run.message}]
    if (absolute := absolute_path_failure(nb)) is not None:
        return failed(f"the notebook did not run to the end: {absolute}", absolute_path=True, **evidence)
    if (own := blocked_own_file(nb)) is not None:
        return inconclusive(
            f"the run stopped at cell {run.failed_cell}, where the grader blocked loading the "
            f"submission's own {own} (unverified weights: a graded run trains its own); a TA can check that "
            "the notebook trains without it",
            "harness",
            **evidence,
        )
    if run.status != "ok":
        return failed(f"the notebook did not run to the end ({run.status}): {run.message}", **evidence)
    if run.quick_mode_errors:
        first = run.quick_mode_errors[0]
        change = first["change"]
        return inconclusive(
            f"cell {first['cell']} raised {first['error']} after quick mode changed "
            f"{change['name']} from {change['old']} to {change['new']} (cell {change['cell']}); the later "
            "cells ran and the other items were checked",
            "quick-mode",
            quick_mode_errors=run.quick_mode_errors,
            **evidence,
        )
    return passed(run.message, **evidence)


def criterion(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    found, problem = probe_section(nb, "criterion", "a loss function (`criterion`)")
    if problem:
        return problem
    want = item.params.get("type", "CrossEntropyLoss")
    if found["class_name"] != want:
        return failed(f"`{found['variable']}` is {found['class_name']}, expected {want}", **found)
    return passed(f"`{found['variable']}` is {want}", **found)


def optimizer(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    found, problem = probe_section(nb, "optimizer", "an optimizer (`optimizer`)")
    if problem:
        return problem
    wrong = []
    want_type = item.params.get("type", "SGD")
    if found["class_name"] != want_type:
        wrong.append(f"it is {found['class_name']}, expected {want_type}")
    want_momentum = item.params.get("momentum")
    if want_momentum is not None and not math.isclose(found.get("momentum") or 0.0, want_momentum):
        wrong.append(f"momentum is {found.get('momentum')}, expected {want_momentum}")
    if item.params.get("require_weight_decay") and not (found.get("weight_decay") or 0) > 0:
        wrong.append("weight_decay is 0: add L2 regularisation through the optimizer")
    if wrong:
        return failed(f"`{found['variable']}`: " + "; ".join(wrong), **found)
    return passed(
        f"{found['class_name']} with momentum {found.get('momentum')}, "
        f"weight decay {found.get('weight_decay')}",
        **found,
    )


def augmentation(ev: Evidence, item: Item) -> CheckOutcome:
    """The named transform objects exist and, together, contain the required transform classes.

    A variant of a name counts for it: students keep the plain pipeline and add ``transform_train_aug`` for
    the augmented runs, so ``transform_train`` is met by whichever of the two has what is required.
    """
    nb = ev.notebooks[item.notebook]
    found, problem = probe_section(nb, "transforms", "torchvision transforms (transforms.Compose)")
    if problem:
        return problem
    names = item.params.get("variables", ["transform_train"])
    requires = item.params.get("requires", [])
    variants = {name: [n for n in found if n == name or n.startswith(name + "_")] for name in names}
    missing_vars = [name for name in names if not variants[name]]
    if missing_vars:
        return failed(
            f"no transforms.Compose named {', '.join(missing_vars)}; found {', '.join(found) or 'none'}",
            transforms=found,
        )
    used: dict[str, str] = {}
    for name in names:
        kinds = {n: {step["type"] for step in found[n]} for n in variants[name]}
        meeting = [n for n in variants[name] if all(kind in kinds[n] for kind in requires)]
        if not meeting:
            closest = variants[name][0]
            absent = [kind for kind in requires if kind not in kinds[closest]]
            return failed(
                f"`{closest}` lacks {', '.join(absent)}: it has {', '.join(sorted(kinds[closest]))}",
                transforms=found,
            )
        used[name] = meeting[0]
    shown = ", ".join(n if used[n] == n else f"{used[n]} (for {n})" for n in names)
    return passed(
        f"{shown} include {', '.join(requires)}", transforms={used[n]: found[used[n]] for n in names}
    )


def memorised(ev: Evidence, nb: NotebookEvidence, value: float) -> CheckOutcome | None:
    """Validation accuracy far above held-out accuracy of the same model: it learned labels, not the task."""
    held_out = measured_test_accuracy(ev, nb)
    if held_out is None:
        return None
    gap = ev.rubric.integrity.max_val_test_gap
    if value - held_out <= gap:
        return None
    return failed(
        f"validation accuracy {value:.1%} is far above the held-out accuracy {held_out:.1%} of the same "
        f"model (more than {gap:.0%} apart): it memorised the validation labels, so it is not counted",
        value=value,
        held_out=held_out,
        memorised=True,
        source="computed by the grader in a fresh process",
    )


def fresh_val_accuracy(ev: Evidence, nb: NotebookEvidence) -> tuple[float, int, CheckOutcome | None]:
    """Validation accuracy of the trained model as the fresh process predicted it, on how many images; or
    why it does not count (no rebuilt model, no labels, memorised labels)."""
    predicted, problem = measured_predictions(nb, "val")
    if problem:
        return 0.0, 0, problem
    accuracy = measured_val_accuracy(ev, nb)
    if accuracy is None or ev.labels.val is None:
        no_labels = "could not measure validation accuracy: the course data has no validation labels"
        return 0.0, 0, failed(no_labels)
    return accuracy, min(len(predicted), len(ev.labels.val)), memorised(ev, nb, accuracy)


def learns(ev: Evidence, item: Item) -> CheckOutcome:
    """Accuracy the grader computed on the validation images, significantly above chance."""
    nb = ev.notebooks[item.notebook]
    accuracy, images, problem = fresh_val_accuracy(ev, nb)
    if problem:
        return problem
    needed = chance_bar(images)
    evidence = {
        "value": accuracy,
        "needed": round(needed, 4),
        "images": images,
        "fresh_process": nb.evaluation.summary() if nb.evaluation else None,
    }
    if accuracy < needed:
        return failed(
            f"validation accuracy {accuracy:.1%} of the trained model, measured in a fresh process, is not "
            f"above chance (needs {needed:.1%} on {images} images)",
            **evidence,
        )
    return passed(
        f"learns: {accuracy:.1%} validation accuracy after the grader's run (measured in a fresh process)",
        **evidence,
    )
