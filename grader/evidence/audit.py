"""Audit mode's verdict on a notebook: is its claimed curve consistent with the model the grader measured at
the audited epoch?

The run was stopped after k printed epochs and its model measured in the fresh process; the claim is the
submitted outputs' validation accuracy at epoch k. They agree when they are within the band of seed noise
that ``grader audit-band`` measured on the reference. Whatever the harness caused (no band, a run that ended
before epoch k, no model measured) leaves the claim unchecked, never inconsistent.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from grader.errors import GraderError
from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.evidence.consistency import measured_val_accuracy
from grader.records import AuditRecord, Finding

BAND_FILE = "audit-band.json"  # looked for in OUT when no --band is given


class BandEntry(BaseModel):
    """The reference's validation accuracy at epoch ``epoch`` over several seeds, and the band it gives."""

    notebook: str
    epoch: int = Field(gt=0)
    seeds: list[int]
    values: list[float]
    mean: float
    std: float
    c: float
    floor: float
    band: float = Field(gt=0, le=1)


class Band(BaseModel):
    """What ``grader audit-band`` wrote: one entry per notebook key, and how it was measured."""

    rubric: str
    data: str
    how: str
    notebooks: dict[str, BandEntry]


def band_of(values: list[float], c: float, floor: float) -> tuple[float, float, float]:
    """Mean, sample standard deviation and band = max(c * std, floor) of the seeds' accuracies."""
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, std, max(c * std, floor)


def read_band(path: Path) -> Band:
    """The band file at PATH, or an error naming the file and the field that is wrong."""
    try:
        return Band.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GraderError(f"cannot read the audit band {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the file"
        raise GraderError(
            f"{path} is not an audit band written by 'grader audit-band': {where}: {first['msg']}"
        ) from exc


def audit_notebook(ev: Evidence, nb: NotebookEvidence, band: Band | None) -> AuditRecord:
    """The verdict on NB's claimed curve at the audited epoch."""
    stored = nb.stored
    curve = list(stored.val_accuracies) if stored is not None else []
    epoch = ev.rubric.audit.epochs_for(nb.spec.key, len(curve))
    record = AuditRecord(verdict="inconclusive", message="", epoch=epoch, claimed_curve=curve)
    run = nb.run
    if run is None or epoch is None:
        why = "the notebook was not run" if run is None else "the rubric sets no audit epochs for it"
        return _unchecked(record, f"{nb.spec.filename} was not audited: {why}", "harness")
    if run.stopped_after_epochs is None:
        ended = f"{run.status}: {run.message}" if run.status != "ok" else "it ran to the end"
        return _unchecked(
            record,
            f"the grader's run printed {run.epochs_seen} validation accuracies, not the {epoch} it audits "
            f"({ended}), so the model at epoch {epoch} was not measured; a TA can look",
            "harness",
        )
    record.reproduced = measured_val_accuracy(ev, nb) if nb.evaluation and nb.evaluation.ok else None
    if record.reproduced is None:
        message = nb.evaluation.message if nb.evaluation else run.probe_error or "no model was exported"
        if nb.evaluation and nb.evaluation.ok:
            failed = nb.evaluation.prediction_errors.get("val", "it returned no predictions")
            message += f", but its forward pass on the validation images failed: {failed}"
        return _unchecked(record, f"the model at epoch {epoch} was not measured: {message}", "harness")
    if len(curve) < epoch:
        return _unchecked(
            record,
            f"the submitted outputs print {len(curve)} validation accuracies, none for epoch {epoch}",
            "no-claim",
        )
    entry = band.notebooks.get(nb.spec.key) if band is not None else None
    if entry is None or entry.epoch != epoch:
        have = "no seed-noise band" if entry is None else f"a band measured at epoch {entry.epoch}"
        return _unchecked(
            record,
            f"there is {have} for {nb.spec.key} at epoch {epoch}: run 'grader audit-band' for the rubric "
            "and pass its file with --band",
            "harness",
        )
    record.claimed, record.band = curve[epoch - 1], entry.band
    figures = (
        f"claimed {record.claimed:.1%} at epoch {epoch}, reproduced {record.reproduced:.1%} "
        f"(band ±{entry.band * 100:.1f} points)"
    )
    consistent = abs(record.claimed - record.reproduced) <= entry.band
    record.verdict = "consistent" if consistent else "inconsistent"
    record.message = f"{'consistent' if consistent else 'inconsistent'} with the figures: {figures}"
    return record


def _unchecked(record: AuditRecord, message: str, cause: str) -> AuditRecord:
    record.message, record.cause = message, cause
    return record


def audit_findings(ev: Evidence, band: Band | None) -> list[Finding]:
    """Audit every run notebook; an inconsistent curve is an error finding (the claim earns nothing), not an
    accusation: the figures and the code disagree."""
    found = []
    for nb in ev.notebooks.values():
        if nb.run is None:
            continue
        nb.audit = audit_notebook(ev, nb, band)
        if nb.audit.verdict == "inconsistent":
            finding = Finding(
                kind="claim-inconsistent",
                severity="error",
                detail=f"{nb.spec.filename}: {nb.audit.message}",
                notebook=nb.spec.filename,
            )
            nb.findings.append(finding)
            found.append(finding)
    return found
