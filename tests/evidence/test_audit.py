"""Audit mode's verdict rules: a curve is judged only on a band, a run stopped at the audited epoch and a
measured model; whatever of those is missing leaves the claim unchecked (inconclusive), never inconsistent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader.errors import GraderError
from grader.evidence.audit import Band, BandEntry, audit_findings, audit_notebook, band_of, read_band
from grader.evidence.bundle import Evidence, Labels, NotebookEvidence
from grader.execute import ExecutionReport
from grader.execute.evaluation import ModelEvaluation
from grader.rubric import load_rubric, resolve_rubric
from grader.static import StoredOutputs

VAL = np.arange(200) % 10
EPOCH = 3  # the F20 rubric audits LeNet-5 at epoch 3


def band(width: float = 0.05, epoch: int = EPOCH) -> Band:
    entry = BandEntry(
        notebook="lenet5-cifar10.ipynb",
        epoch=epoch,
        seeds=[0, 1, 2],
        values=[0.5, 0.52, 0.54],
        mean=0.52,
        std=0.02,
        c=3.0,
        floor=0.02,
        band=width,
    )
    return Band(rubric="ece590-hw2-f20", data="/data", how="test", notebooks={"lenet5": entry})


def evidence(
    claimed: list[float], right: int | None = 100, stopped: int | None = EPOCH, status: str = "ok"
) -> tuple[Evidence, NotebookEvidence]:
    """The F20 rubric's Lab 1 notebook claiming the curve CLAIMED, its run stopped after STOPPED epochs (None:
    not stopped) and its model right on RIGHT of 200 validation images (None: not measured)."""
    rubric = load_rubric(resolve_rubric("ece590-hw2-f20"))
    run = ExecutionReport(
        notebook="lenet5-cifar10.ipynb",
        status=status,
        message="stopped" if stopped else "it ended",
        sandboxed=True,
        epochs_seen=stopped if stopped is not None else 1,
        stopped_after_epochs=stopped,
    )
    evaluation = None
    if right is not None:
        predicted = np.where(np.arange(200) < right, VAL, (VAL + 1) % 10)
        evaluation = ModelEvaluation(True, "rebuilt", preprocessing="transform_val", val=predicted)
    nb = NotebookEvidence(
        rubric.notebook("lenet5"),
        stored=StoredOutputs(executed=True, val_accuracies=claimed),
        run=run,
        evaluation=evaluation,
    )
    return Evidence(rubric, "audit", {"lenet5": nb}, Labels(val=VAL)), nb


def test_a_claim_within_the_band_is_consistent() -> None:
    ev, nb = evidence([0.3, 0.4, 0.53, 0.6])  # reproduced 100/200 = 50% at epoch 3
    record = audit_notebook(ev, nb, band(0.05))
    assert record.verdict == "consistent", record.message
    assert (record.epoch, record.claimed, record.reproduced, record.band) == (3, 0.53, 0.5, 0.05)
    assert record.claimed_curve == [0.3, 0.4, 0.53, 0.6]


def test_a_claim_outside_the_band_is_inconsistent_and_an_error_finding() -> None:
    ev, nb = evidence([0.55, 0.72, 0.85, 0.9])
    found = audit_findings(ev, band(0.05))
    assert nb.audit is not None and nb.audit.verdict == "inconsistent"
    assert "claimed 85.0% at epoch 3, reproduced 50.0%" in nb.audit.message
    assert [(f.kind, f.severity, f.notebook) for f in found] == [
        ("claim-inconsistent", "error", "lenet5-cifar10.ipynb")
    ]
    ev, nb = evidence([0.3, 0.4, 0.45])  # 5 points below, not above: the band holds both ways
    assert audit_notebook(ev, nb, band(0.049)).verdict == "inconsistent"


@pytest.mark.parametrize(
    ("case", "cause", "said"),
    [
        ("no band", "harness", "no seed-noise band"),
        ("band at another epoch", "harness", "a band measured at epoch 5"),
        ("ended before k", "harness", "printed 1 validation accuracies, not the 3"),
        ("nothing measured", "harness", "was not measured"),
        ("no claim", "no-claim", "print 0 validation accuracies, none for epoch 3"),
    ],
)
def test_what_stands_in_the_way_leaves_the_claim_unchecked(case: str, cause: str, said: str) -> None:
    curve = [] if case == "no claim" else [0.3, 0.4, 0.9, 0.95]  # a shorter curve is audited at its end
    ev, nb = evidence(
        curve,
        right=None if case == "nothing measured" else 100,
        stopped=None if case == "ended before k" else EPOCH,
    )
    given = {"no band": None, "band at another epoch": band(epoch=5)}.get(case, band())
    record = audit_notebook(ev, nb, given)
    assert record.verdict == "inconclusive" and record.cause == cause
    assert said in record.message
    assert not audit_findings(ev, given)


def test_an_unrun_notebook_is_not_audited() -> None:
    ev, nb = evidence([0.3, 0.4, 0.5])
    nb.run = None
    assert audit_notebook(ev, nb, band()).verdict == "inconclusive"
    assert audit_findings(ev, band()) == [] and nb.audit is None


def test_the_band_is_c_sample_deviations_but_never_below_the_floor() -> None:
    mean, std, width = band_of([0.50, 0.52, 0.54], 3.0, 0.02)
    assert mean == pytest.approx(0.52) and std == pytest.approx(0.02) and width == pytest.approx(0.06)
    assert band_of([0.50, 0.501, 0.502], 3.0, 0.02)[2] == 0.02


def test_a_band_file_reads_back_and_a_bad_one_names_the_file_and_field(tmp_path: Path) -> None:
    good = tmp_path / "band.json"
    good.write_text(band().model_dump_json())
    assert read_band(good) == band()
    data = json.loads(good.read_text())
    data["notebooks"]["lenet5"]["band"] = 1.5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(GraderError, match=r"bad\.json .*notebooks\.lenet5\.band"):
        read_band(bad)
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(GraderError, match=r"junk\.json is not an audit band"):
        read_band(tmp_path / "junk.json")
    with pytest.raises(GraderError, match=r"cannot read the audit band .*missing\.json"):
        read_band(tmp_path / "missing.json")
