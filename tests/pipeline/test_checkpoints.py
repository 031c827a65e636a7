"""Checkpoints as real ECE661 submissions use them, graded in quick mode: the predictions notebook loads what
the ResNet notebook saved, a committed checkpoint or pickled metrics are unverified, a path of the student's
machine fails the run, and only a known pretrained source is called pretrained."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
import yaml
from torchvision import models

from grader.execute import sandbox_available
from grader.pipeline import GradeOptions, grade_submission
from grader.rubric import RUBRICS_DIR
from tests.crafted import code_notebook, submission_folder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox_available(), reason="bubblewrap (bwrap) is not installed"),
]

MODEL = (
    "import os, pickle, torch, torch.nn as nn\nnet = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))"
)
TRAIN = (
    "optimizer = torch.optim.SGD(net.parameters(), lr=0.1)\n"
    "loss = nn.functional.cross_entropy(net(torch.randn(8, 3, 32, 32)), torch.randint(0, 10, (8,)))\n"
    "loss.backward()\noptimizer.step()"
)
SAVE = (
    "os.makedirs('./saved_model', exist_ok=True)\n"
    "torch.save({'state_dict': net.state_dict()}, './saved_model/resnet.pth')"
)
LOAD = "net.load_state_dict(torch.load('./saved_model/resnet.pth', map_location='cpu')['state_dict'])"
# resume when a checkpoint is there, as the F19 template's TRAIN_FROM_SCRATCH cell does
RESUME = (
    "try:\n    net.load_state_dict(torch.load('./saved_model/committed.pth'))\n"
    "except Exception as exc:\n    print('training from scratch:', exc)"
)


@pytest.fixture(scope="module")
def ece661_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = yaml.safe_load((RUBRICS_DIR / "ece661-hw2.yaml").read_text())
    data["quick"]["subset"] = {"train": 400, "val": 100, "test": 100}
    path = tmp_path_factory.mktemp("rubric") / "ece661-small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def grade(tmp_path: Path, rubric: Path, course: Path, notebooks: dict) -> dict:
    root = submission_folder(tmp_path / "submission", notebooks, None)
    (root / "saved_model").mkdir(exist_ok=True)
    torch.save(torch.nn.Linear(3 * 32 * 32, 10).state_dict(), root / "saved_model" / "committed.pth")
    (root / "saved_model" / "val_acc.pkl").write_bytes(pickle.dumps([0.41, 0.52, 0.58]))
    options = GradeOptions(rubric=rubric, out_dir=tmp_path / "out", data_dir=course, mode="quick")
    return {check.id: check for check in grade_submission(root, options).checks}


def test_checkpoints_of_the_submissions_own_are_never_called_pretrained(
    tmp_path: Path, ece661_small: Path, synthetic_course: Path
) -> None:
    checks = grade(
        tmp_path,
        ece661_small,
        synthetic_course,
        {
            # a Colab path of the student's own machine
            "simplenn-cifar10.ipynb": code_notebook(
                MODEL, "net.load_state_dict(torch.load('/content/drive/MyDrive/simplenn.pth'))"
            ),
            # nogibjj's dev notebook: metrics pickled by an earlier session, loaded instead of trained
            "simplenn-cifar10-dev.ipynb": code_notebook(
                MODEL, "val_acc = pickle.load(open('saved_model/val_acc.pkl', 'rb'))"
            ),
            "resnet-cifar10.ipynb": code_notebook(MODEL, RESUME, TRAIN, SAVE),
            "save_test_predictions.ipynb": code_notebook(MODEL, LOAD, "print('loaded')"),
        },
    )
    verdicts = {key: check.status for key, check in checks.items() if key.startswith("integrity.")}
    assert verdicts == dict.fromkeys(verdicts, "pass"), {k: checks[k].message for k in verdicts}
    assert "written by resnet-cifar10.ipynb's run" in checks["integrity.save_predictions"].message
    for key in ("integrity.simplenn_dev", "integrity.resnet"):
        assert "unverified weights" in checks[key].message and checks[key].evidence["warnings"]
    absolute = checks["lab1.c"]
    assert absolute.status == "fail" and "/content/drive/MyDrive/simplenn.pth" in absolute.message
    assert "absolute path" in absolute.message and absolute.evidence["absolute_path"] is True
    assert not [c.id for c in checks.values() if "pretrained weights (" in c.message]


def test_torchvision_pretrained_weights_are_still_banned(
    tmp_path: Path, ece661_small: Path, synthetic_course: Path
) -> None:
    root = tmp_path / "submission"
    (root / "saved_model").mkdir(parents=True)
    # a committed checkpoint that is torchvision's ImageNet model, shape for shape
    torch.save(models.mobilenet_v2(weights=None).state_dict(), root / "saved_model" / "resnet.pth")
    checks = grade(
        tmp_path,
        ece661_small,
        synthetic_course,
        {
            "resnet-cifar10.ipynb": code_notebook(
                "import torch, torchvision\nnet = torchvision.models.mobilenet_v2()",
                "net.load_state_dict(torch.load('./saved_model/resnet.pth'))",
            ),
            "save_test_predictions.ipynb": code_notebook(
                "import torchvision\nnet = torchvision.models.resnet18(pretrained=True)"
            ),
        },
    )
    banned = checks["integrity.save_predictions"]
    assert banned.status == "fail" and banned.message.startswith("pretrained weights:")
    published = checks["integrity.resnet"]
    assert published.status == "fail" and "holds the weights of torchvision mobilenet_v2" in published.message
