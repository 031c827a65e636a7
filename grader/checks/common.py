"""Shared verdict helpers: every check explains a failure in one sentence a student can act on."""

from __future__ import annotations

from typing import Any, get_args

from grader.evidence.bundle import NotebookEvidence
from grader.execute.report import Status
from grader.records import CheckOutcome

# Run outcomes after which nothing about the notebook can be trusted: its run-based checks all fail. After a
# cell error the kernel is alive and the probes ran, so what they saw is still evidence.
FATAL_RUN_STATUSES = frozenset(get_args(Status)) - {"ok", "cell-error"}


def passed(message: str, **evidence: Any) -> CheckOutcome:
    return CheckOutcome(status="pass", message=message, evidence=evidence)


def failed(message: str, **evidence: Any) -> CheckOutcome:
    return CheckOutcome(status="fail", message=message, evidence=evidence)


def inconclusive(message: str, cause: str, **evidence: Any) -> CheckOutcome:
    """Not decided, and not the student's fault: CAUSE says what stood in the way (``harness``,
    ``environment``, ``quick-mode``), so the report and the dashboard can say who must look."""
    return CheckOutcome(status="inconclusive", message=message, evidence={"cause": cause, **evidence})


def skipped(message: str, **evidence: Any) -> CheckOutcome:
    return CheckOutcome(status="skipped", message=message, evidence=evidence)


def excused(nb: NotebookEvidence, outcome: CheckOutcome) -> CheckOutcome:
    """A failure of a check that reads a run which stopped at an import the environment could not serve
    is not the student's: not checked, with the verdict it would have had kept as evidence for a TA."""
    failure = nb.import_failure
    if failure is None or outcome.status != "fail":
        return outcome
    return inconclusive(
        failure.message,
        failure.cause,
        missing_module=failure.module,
        unexcused_verdict=outcome.message,
    )


def missing_notebook(nb: NotebookEvidence) -> CheckOutcome | None:
    """A failure when the notebook is absent or unreadable, else None."""
    if nb.path is None:
        return failed(f"{nb.spec.filename} was not found in the submission")
    if nb.loaded is None or nb.loaded.nb is None:
        problems = "; ".join(
            f.detail for f in (nb.loaded.findings if nb.loaded else []) if f.severity == "error"
        )
        return failed(f"{nb.spec.filename} could not be read as a notebook: {problems or 'unknown problem'}")
    return None


def run_unusable(nb: NotebookEvidence) -> CheckOutcome | None:
    """A failure when the grader's run of the notebook gives nothing to check, else None."""
    absent = missing_notebook(nb)
    if absent is not None:
        return absent
    if nb.run is None:
        return failed(f"{nb.spec.filename} was not executed by the grader")
    if nb.run.status in FATAL_RUN_STATUSES:
        return failed(
            f"the run of {nb.spec.filename} ended in {nb.run.status} before this could be checked: "
            f"{nb.run.message}"
        )
    return None


def probe_section(nb: NotebookEvidence, name: str, what: str) -> tuple[Any, CheckOutcome | None]:
    """The probe's section NAME, or a failure saying why there is none."""
    unusable = run_unusable(nb)
    if unusable is not None:
        return None, unusable
    probe = nb.probe
    if probe.get("errors", {}).get(name):
        return None, failed(f"could not inspect {what}: {probe['errors'][name]}")
    section = probe.get(name)
    if not section:
        return None, failed(f"{nb.spec.filename} does not define {what} after running")
    return section, None


def rebuilt_model(nb: NotebookEvidence) -> tuple[dict | None, CheckOutcome | None]:
    """The description of the trained model as rebuilt in the fresh process, or why there is none.

    The kernel's own description is a claim the student's code can forge, so it is never used here. A model
    the grader could not rebuild is an error for a TA to review, not the student's failure.
    """
    unusable = run_unusable(nb)
    if unusable is not None:
        return None, unusable
    evaluation = nb.evaluation
    if evaluation is None:
        probe = nb.probe
        error = (probe.get("errors") or {}).get("model") or (probe.get("errors") or {}).get("export")
        if error:
            return None, failed(f"could not inspect the model: {error}")
        if nb.run.probe_error:
            return None, failed(f"could not inspect the model: {nb.run.probe_error}")
        return None, failed(
            f"{nb.spec.filename} does not define a model (`net` or an nn.Module) after running"
        )
    if not evaluation.ok or evaluation.model is None:
        return None, CheckOutcome(
            status="error",
            message=(f"not measured, a grader-side problem for a TA to review: {evaluation.message}"),
            evidence={"fresh_process": evaluation.summary()},
        )
    return evaluation.model, None


def measured_predictions(nb: NotebookEvidence, split: str) -> tuple[Any, CheckOutcome | None]:
    """The fresh process's predicted classes for SPLIT ("val" or "test"), or why there are none."""
    _, problem = rebuilt_model(nb)
    if problem is not None:
        return None, problem
    assert nb.evaluation is not None
    predicted = getattr(nb.evaluation, split)
    if predicted is None:
        error = nb.evaluation.prediction_errors.get(split, "it returned no predictions")
        where = "validation" if split == "val" else "held-out test"
        return None, failed(
            f"the trained model, rebuilt in a fresh process, fails on the {where} images: {error}"
        )
    return predicted, None
