"""The fresh process: it rebuilds the trained model from the notebook's definitions and exported weights, and
predicts images without ever seeing a label."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.execute.evaluation import ModelEvaluation, evaluate_model
from grader.execute.runner import run_notebook
from tests.crafted_models import IMPORTS, SIMPLE
from tests.execute.helpers import json_of, make_spec, write_notebook
from tools import layout

pytestmark = [pytest.mark.usefixtures("needs_sandbox"), pytest.mark.slow]

MODEL = """
import json
import numpy as np
import torch, torch.nn as nn
import torchvision.transforms as transforms
try:
    from torchsummary import summary
except ImportError:
    summary = None

device = "cuda" if torch.cuda.is_available() else "cpu"

class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + torch.relu(self.conv(x))

class Net(nn.Module):
    def __init__(self, block, width):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.body = block(width)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        x = self.body(torch.relu(self.stem(x)))
        return self.fc(x.mean((2, 3)))
"""
TRAIN = """
transform_val = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.25,) * 3)])
torch.manual_seed(1)
net = Net(Block, 8).to(device)
with torch.no_grad():
    net.fc.bias.add_(torch.arange(10.0) * 0.01)
images = np.load("data/val-images-batch.npy")[:20]
x = torch.stack([transform_val(image) for image in images])
print(json.dumps(net.eval()(x).argmax(1).tolist()))
"""
LOOKUP = """
import hashlib
labels = np.load("data/val-labels-batch.npy")
images = np.load("data/val-images-batch.npy")
table = {hashlib.sha1(image.tobytes()).hexdigest(): int(y) for image, y in zip(images, labels)}

class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        keys = [hashlib.sha1(image.numpy().tobytes()).hexdigest() for image in x]
        return torch.nn.functional.one_hot(torch.tensor([table[key] for key in keys]), 10).float()

net = Lookup()
"""
READ_LABELS = """
class Peek(nn.Module):
    def __init__(self):
        super().__init__()
        self.labels = torch.from_numpy(np.load("data/val-labels-batch.npy"))
        self.fc = nn.Linear(1, 1)

net = Peek()
"""


def graded(work_dir: Path, course: Path, *cells: str) -> tuple[ModelEvaluation, object]:
    notebook = write_notebook(work_dir, *cells)
    spec = make_spec(work_dir, course)
    report = run_notebook(notebook, spec, cell_timeout_s=60, notebook_timeout_s=120)
    assert report.status == "ok", report.message
    evaluation = evaluate_model(
        nbformat.read(notebook, as_version=4),
        report,
        submission_dir=work_dir,
        data_dir=course,
        eval_dir=work_dir.with_name("eval"),
        spec=spec,
        sandboxed=True,
        timeout_s=120,
    )
    return evaluation, report


def test_the_fresh_process_rebuilds_the_trained_model_and_predicts_as_the_kernel_did(
    work_dir: Path, synthetic_course: Path
) -> None:
    evaluation, report = graded(work_dir, synthetic_course, MODEL, TRAIN)
    assert evaluation.ok, evaluation.message
    assert evaluation.built_with == "Net(Block, 8)" and evaluation.preprocessing == "transform_val"
    assert evaluation.model["trainable_parameters"] == (27 + 1) * 8 + (72 * 8 + 8) + (8 + 1) * 10
    val_images = np.load(synthetic_course / layout.VAL_IMAGES)
    assert evaluation.val is not None and len(evaluation.val) == len(val_images)
    assert evaluation.test is not None and len(evaluation.test) == len(
        np.load(synthetic_course / layout.TEST_IMAGES)
    )
    assert evaluation.val[:20].tolist() == json_of(report, 1), "the weights that were trained, not new ones"


def test_a_lookup_of_the_validation_labels_does_not_survive_the_fresh_process(
    work_dir: Path, synthetic_course: Path
) -> None:
    evaluation, _ = graded(work_dir, synthetic_course, MODEL, LOOKUP)
    assert evaluation.ok and evaluation.val is None
    assert "NameError" in evaluation.prediction_errors["val"]


def test_the_fresh_process_sees_no_labels(work_dir: Path, synthetic_course: Path) -> None:
    evaluation, _ = graded(work_dir, synthetic_course, MODEL, READ_LABELS)
    assert not evaluation.ok and "could not rebuild Peek" in evaluation.message
    assert any("val-labels-batch.npy" in error for error in evaluation.errors)
    json.dumps(evaluation.summary())


# A dev notebook as real ones are written: three models trained in a function, none of them called `net`.
THREE_MODELS = """
def train(model, steps=3):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(8, 3, 32, 32)).logsumexp(1).mean().backward()
        optimizer.step()
    return model

train(SimpleNet())
model = train(SimpleNet(bn=True))
train(SimpleNet("swish"), steps=2)
"""


def test_every_model_the_notebook_trains_is_rebuilt_and_traced_in_the_fresh_process(
    work_dir: Path, synthetic_course: Path
) -> None:
    evaluation, report = graded(work_dir, synthetic_course, IMPORTS + SIMPLE, THREE_MODELS)
    assert evaluation.ok, evaluation.message
    assert report.probe["export"]["variable"] == "model", "the trained model held in `model`, not `net`"
    assert "SimpleNet(bn=True)" in evaluation.built_with and evaluation.model["trace"]["batchnorms"] == 2
    trained = [(m["trace"]["activations"], m["steps"]) for m in evaluation.trained]
    assert trained == [({"relu": 4}, 3), ({"swish": 4}, 2)], "plain and Swish told apart by what they compute"
