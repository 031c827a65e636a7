"""A Fall 2019 Lab 2 submission written the F19 way, graded statically with the shipped F19 rubric.

The patterns are the F19 corpus's: the template's hyper-parameter cell and resume cell (``torch.load`` of
``./saved_model/model.h5`` without ``map_location``, the student's own checkpoint committed), no "Best
validation accuracy" line, an Assignment 5 notebook under a name of the student's own beside a plot helper,
and a Kaggle file with the header ``Id,Category`` under another name, beside the course's sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from grader.coursedata import build_course_data
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Result
from grader.rubric import resolve_rubric
from tests.crafted import code_notebook, hidden_labels, submission_folder

HYPER = "TRAIN_BATCH_SIZE = 128\nINITIAL_LR = 0.05\nMOMENTUM = 0.9\nREG = 1e-5\nEPOCHS = 100\n"
RESUME = (
    "TRAIN_FROM_SCRATCH = False\n"
    "CKPT_PATH = './saved_model/model.h5'\n"
    "try:\n    ckpt = torch.load(CKPT_PATH)\nexcept Exception as e:\n    ckpt = None\n"
    "if ckpt is not None and not TRAIN_FROM_SCRATCH:\n    net.load_state_dict(ckpt['net'])\n"
)


def f19_log(accuracies: list[float]) -> str:
    """What the F19 template's training cell prints: no best line, only "Optimization finished."."""
    epochs = "".join(
        f"Epoch {i}:\nTraining loss: 1.0000, Training accuracy: 0.5000\nValidation...\n"
        f"Validation loss: 1.0000, Validation accuracy: {a:.4f}\nSaving ...\n"
        for i, a in enumerate(accuracies)
    )
    return epochs + "Optimization finished.\n"


@pytest.fixture(scope="module")
def f19_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("f19") / "course"
    build_course_data("synthetic:1000", out, relabel_seed=3, term="F19")
    return out


def f19_submission(root: Path, truth: np.ndarray) -> Path:
    lenet = code_notebook(
        "import torch\nfrom tools.dataloader import CIFAR10",
        HYPER,
        "trainset = CIFAR10(root='./data', train=True, download=True)",
        RESUME,
        "for i in range(EPOCHS):\n    train_one_epoch()",
        outputs={4: f19_log([0.48, 0.7342, 0.7290])},
    )
    own = code_notebook(
        "import torch\nimport torch.optim as optim\nfrom tools.dataloader import CIFAR10\nEPOCHS = 60",
        "optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)",
        "with open('submission.csv', 'w') as f:\n    f.write('Id,Category\\n')",
        outputs={1: f19_log([0.61, 0.87])},
    )
    helper = code_notebook("import matplotlib.pyplot as plt\nplt.plot(acc)")
    sub = submission_folder(root, {"lenet5-cifar10.ipynb": lenet, "myCNN.ipynb": own}, None)
    submission_folder(sub, {"plot-helper.ipynb": helper}, None)
    guessed = truth.copy()
    wrong = int(len(truth) * 0.13)  # 87% right
    guessed[:wrong] = (truth[:wrong] + 1) % 10
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(guessed))
    (sub / "submission.csv").write_text("Id,Category\n" + rows)
    (sub / "sample_labels.csv").write_text("Id,Category\n" + "".join(f"{i},0\n" for i in range(len(truth))))
    (sub / "saved_model").mkdir()
    torch.save({"net": {"c1.weight": torch.zeros(6, 3, 5, 5)}, "epoch": 3}, sub / "saved_model" / "model.h5")
    return sub


def grade(sub: Path, course: Path, out: Path) -> tuple[dict, Result]:
    options = GradeOptions(
        rubric=resolve_rubric("ece590-lab2-f19"), out_dir=out, data_dir=course, mode="static"
    )
    result = grade_submission(sub, options)
    return {check.id: check for check in result.checks}, result


def test_an_f19_submission_gets_the_verdicts_a_ta_gives(tmp_path: Path, f19_course: Path) -> None:
    sub = f19_submission(tmp_path / "carol", hidden_labels(f19_course))
    checks, result = grade(sub, f19_course, tmp_path / "out")
    verdicts = {key: checks[key].status for key in checks if checks[key].status not in ("manual", "skipped")}
    assert verdicts == {
        "executed.lenet5": "pass",
        "integrity.lenet5": "pass",  # its own checkpoint, committed: not pretrained
        "a4.c.accuracy": "pass",
        "executed.mydnn": "pass",
        "integrity.mydnn": "pass",
        "format.predictions": "pass",
        "a5.accuracy": "pass",
        "a5.bonus85": "pass",
        "a5.bonus90": "fail",
    }
    assert checks["a4.c.accuracy"].evidence["value"] == pytest.approx(0.7342)
    assert checks["a5.accuracy"].points == 35 and checks["a5.bonus85"].points == 5
    assert checks["format.predictions"].evidence["header"] == ["Id", "Category"]
    graded = [f.detail for f in result.findings if f.detail.startswith("graded")]
    assert any("'myCNN.ipynb'" in detail for detail in graded), (
        "the plot helper is not the Assignment 5 notebook"
    )
    assert any("'submission.csv'" in detail for detail in graded), "the course's sample is not the student's"
    assert result.score == 3 + 35 + 5 and not result.deductions  # F19 gives no file-layout guidance


def test_f19_predictions_are_not_scored_against_another_terms_labels(
    tmp_path: Path, synthetic_course
) -> None:
    sub = f19_submission(tmp_path / "carol", hidden_labels(synthetic_course))  # F20 data
    checks, _ = grade(sub, synthetic_course, tmp_path / "out")
    for key in ("a5.accuracy", "a5.bonus85", "a5.bonus90"):
        assert checks[key].status == "inconclusive" and checks[key].evidence["cause"] == "environment"
    assert checks["format.predictions"].status == "pass"
