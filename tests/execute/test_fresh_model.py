"""The fresh process's helpers, run in-process on a reference model: the transform it picks and the classes
it predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torchvision import transforms

from grader.execute.inkernel import fresh_model
from reference.models import LeNet5
from tools import layout

CIFAR_NORMALIZE = transforms.Normalize(fresh_model.CIFAR10_MEAN, fresh_model.CIFAR10_STD)


def test_predictions_use_the_students_transform(synthetic_course: Path) -> None:
    torch.manual_seed(0)
    net = LeNet5().eval()
    transform = transforms.Compose([transforms.ToTensor(), CIFAR_NORMALIZE])
    images = np.load(synthetic_course / layout.VAL_IMAGES)
    assert fresh_model._transform({"transform_val": transform}, ["transform_val"]) == (
        "transform_val",
        transform,
    )
    predicted = fresh_model._predict(net, images, transform)
    assert len(predicted) == len(images) and all(isinstance(p, int) for p in predicted)
    with torch.no_grad():
        expected = net(fresh_model._preprocess(images, None)).argmax(1).tolist()
    assert predicted == expected, "the default preprocessing equals ToTensor + Normalize"
