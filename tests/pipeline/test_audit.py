"""Audit mode end to end on synthetic course data: an honest curve is consistent with the model the grader
measures at the audited epoch, an invented or an edited one is not, and a run that ends before that epoch
leaves the claim unchecked.

The crafted notebooks train a linear classifier of 8x8-pooled pixels: on the synthetic gratings it is at
about 37% (chance 10%) after three epochs and, its loss being convex, the seeds barely move it, so an honest
claim and the grader's reproduction of it agree to a few points without a wide band. The reference notebook
takes too long here; benchmarks/bench_audit.py audits it on the course data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from grader.band import measure_band
from grader.execute import SandboxSpec, run_notebook
from grader.paths import COURSE_TOOLS, RUBRICS_DIR
from grader.pipeline import GradeOptions, grade_submission
from tests.crafted import code_notebook, training_log

pytestmark = pytest.mark.slow

AUDITED_EPOCH = 3
SETUP = """
import torch, torch.nn as nn
import torchvision.transforms as transforms
from tools.dataset import CIFAR10
transform_train = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
transform_val = transform_train
trainloader = torch.utils.data.DataLoader(
    CIFAR10(root='./data', train=True, download=True, transform=transform_train), batch_size=32, shuffle=True)
valloader = torch.utils.data.DataLoader(
    CIFAR10(root='./data', train=False, download=True, transform=transform_val), batch_size=100)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 8 * 8, 10)
    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 8), 1))

net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

def validate():
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in valloader:
            correct += (net(x).argmax(1) == y).sum().item()
            total += len(y)
    net.train()
    return correct / total
"""
TRAIN = """
EPOCHS = 4
for epoch in range(EPOCHS):
    for x, y in trainloader:
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()
    print("Validation loss: 1.0000, Validation accuracy: %.4f" % validate())
"""
# invents its curve: prints a climb to 90% and never trains
FABRICATED = """
import time
for acc in [0.55, 0.72, 0.85, 0.90]:
    time.sleep(0.2)
    print("Validation loss: 0.5000, Validation accuracy: %.4f" % acc)
"""
# prints its first epoch, then the kernel goes down before the audited one
KILLED = """
import os
print("Validation loss: 1.0000, Validation accuracy: %.4f" % validate())
os._exit(1)
"""
KEYS = ("honest", "fabricated", "edited", "killed")


def audit_rubric(path: Path) -> Path:
    """The F20 rubric cut down to one claim item per crafted notebook, all audited at the same epoch."""
    data = yaml.safe_load((RUBRICS_DIR / "ece590-hw2-f20.yaml").read_text())
    data["notebooks"] = [{"key": key, "filename": f"{key}.ipynb", "lab": "Lab 1"} for key in KEYS]
    data["items"] = [
        {
            "id": f"{key}.claim",
            "title": f"{key} claim",
            "points": 1,
            "check": "val_accuracy",
            "notebook": key,
            "params": {"threshold": 0.2},
        }
        for key in KEYS
    ]
    data |= {
        "total_points": len(KEYS),
        "bonus_points": 0,
        "cap": len(KEYS),
        "predictions": None,
        "report": None,
    }
    data["quick"]["overrides"] = {}
    data["limits"]["full"] = {"cell_timeout_s": 300, "notebook_timeout_s": 600}
    # two seeds of a convex model: the floor, not c * std, sets the band
    data["audit"] = {
        "epochs": dict.fromkeys(KEYS, AUDITED_EPOCH),
        "band": {"seeds": 2, "c": 3.0, "floor": 0.06},
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def executed(source: Path, work: Path, course: Path) -> nbformat.NotebookNode:
    """SOURCE run once as the student ran it (with a seed of the student's, not the grader's)."""
    work.mkdir(parents=True)
    shutil.copy(source, work / source.name)
    report = run_notebook(
        work / source.name,
        SandboxSpec(work_dir=work, data_dir=course, tools_dir=COURSE_TOOLS),
        cell_timeout_s=300,
        notebook_timeout_s=600,
        run_probes=False,
        seed=7,
    )
    assert report.status == "ok", report.message
    return nbformat.read(report.executed_notebook, as_version=4)


def test_audit_tells_an_honest_curve_from_invented_and_edited_ones(tmp_path: Path, e2e_course: Path) -> None:
    rubric = audit_rubric(tmp_path / "audit.yaml")
    honest_source = code_notebook(SETUP, TRAIN)
    reference = tmp_path / "reference"
    reference.mkdir()
    nbformat.write(honest_source, reference / "honest.ipynb")
    # the honest notebook stands in for the reference: its band, measured as 'grader audit-band' does
    measured = measure_band(
        rubric, e2e_course, tmp_path / "band.json", notebooks=["honest"], reference_dir=reference
    )
    entry = measured.notebooks["honest"]
    assert entry.epoch == AUDITED_EPOCH and len(entry.values) == 2
    assert all(value > 0.2 for value in entry.values), entry.values  # well above chance at the audited epoch
    measured.notebooks |= {key: entry for key in KEYS}  # all are audited at the same epoch of the same model
    (tmp_path / "band.json").write_text(measured.model_dump_json())

    sub = tmp_path / "submission"
    sub.mkdir()
    honest = executed(reference / "honest.ipynb", tmp_path / "student", e2e_course)
    nbformat.write(honest, sub / "honest.ipynb")
    for output in honest.cells[1].outputs:  # the printed curve raised by 40 points after the run
        output.text = _raised(output.text)
    nbformat.write(honest, sub / "edited.ipynb")
    nbformat.write(
        code_notebook(SETUP, FABRICATED, outputs={1: training_log([0.55, 0.72, 0.85, 0.90])}),
        sub / "fabricated.ipynb",
    )
    nbformat.write(
        code_notebook(SETUP, KILLED, outputs={1: training_log([0.3, 0.35, 0.37, 0.4])}), sub / "killed.ipynb"
    )

    options = GradeOptions(rubric, tmp_path / "out", e2e_course, mode="audit", band=tmp_path / "band.json")
    result = grade_submission(sub, options)
    audits, checks = result.audits, {check.id: check for check in result.checks}
    assert audits["honest"].verdict == "consistent", audits["honest"].message
    assert checks["honest.claim"].status == "pass"
    for key in ("fabricated", "edited"):
        assert audits[key].verdict == "inconsistent", audits[key].message
        assert checks[f"{key}.claim"].status == "fail"
        assert "inconsistent with the figures: claimed" in checks[f"{key}.claim"].message
    assert audits["fabricated"].claimed == 0.85 and audits["fabricated"].reproduced < 0.2
    assert audits["edited"].claimed == pytest.approx(audits["honest"].claimed + 0.4)
    assert audits["killed"].verdict == "inconclusive" and checks["killed.claim"].status == "inconclusive"
    assert {f.notebook for f in result.findings if f.kind == "claim-inconsistent"} == {
        "fabricated.ipynb",
        "edited.ipynb",
    }
    assert all(audits[key].epoch == AUDITED_EPOCH for key in KEYS)


def _raised(text: str) -> str:
    """TEXT with every printed validation accuracy raised by 40 points."""
    out = []
    for line in text.splitlines(keepends=True):
        if "Validation accuracy:" in line:
            head, value = line.rstrip("\n").rsplit(" ", 1)
            line = f"{head} {float(value) + 0.4:.4f}\n"
        out.append(line)
    return "".join(out)
