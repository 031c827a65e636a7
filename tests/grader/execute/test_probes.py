"""The probes, run in-process on the reference models: shapes, BatchNorm, stages, swish, settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torchvision import transforms

from grader.execute import probes
from reference.models import LeNet5, ResNet20
from tools import layout

CIFAR_NORMALIZE = transforms.Normalize(probes.CIFAR10_MEAN, probes.CIFAR10_STD)


def describe(ns: dict[str, object]) -> dict[str, object]:
    info = probes._describe_model({}, ns)
    assert info is not None
    return info


def test_resnet20_shape_parameters_stages_and_batchnorm() -> None:
    net = ResNet20()
    net.train()
    info = describe({"net": net})
    assert info["class_name"] == "ResNet20" and info["source"] == "variable net"
    assert info["output_shape"] == [2, 10]
    assert info["trainable_parameters"] == 269_722
    assert info["conv_layers"] == 19 and info["linear_layers"] == 1
    stages = [(s["name"], s["blocks"], s["out_channels"], s["stride"]) for s in info["stages"]]
    assert stages == [("layer1", 3, 16, 1), ("layer2", 3, 32, 2), ("layer3", 3, 64, 2)]
    assert info["order"] == "execution"
    placement = {p["name"]: p["batchnorm_after"] for p in info["batchnorm"]}
    assert placement.pop("fc") is False and all(placement.values())
    assert net.training, "the probe must leave the model in the mode it found it in"


def test_lenet_variants_batchnorm_placement_and_swish() -> None:
    plain = describe({"net": LeNet5()})
    assert plain["trainable_parameters"] == 62_006
    assert not any(p["batchnorm_after"] for p in plain["batchnorm"])
    assert plain["activations"] == []
    bn = describe({"net": LeNet5(batch_norm=True)})
    assert [p["batchnorm_after"] for p in bn["batchnorm"]] == [True, True, True, True, False]
    swish = describe({"net": LeNet5(activation="swish")})
    (activation,) = swish["activations"]
    assert activation["type"] == "Swish"
    assert activation["max_abs_diff_swish"] < 1e-6 < 0.1 < activation["max_abs_diff_relu"]


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)  # wrong input width for images: the forward fails


def test_model_found_without_net_and_a_failing_forward_is_reported() -> None:
    info = describe({"model": Broken(), "criterion": nn.CrossEntropyLoss()})
    assert info["source"] == "variable model"
    assert "forward_error" in info and "output_shape" not in info
    assert info["trainable_parameters"] == 8 and info["order"] == "registration"
    cls = type("StudentNet", (LeNet5,), {"__module__": "__main__"})
    built = describe({"StudentNet": cls, "helper": int})
    assert built["source"].startswith("class StudentNet()") and built["output_shape"] == [2, 10]
    assert probes._describe_model({}, {"x": 1}) is None


def test_optimizer_scheduler_criterion_and_transforms() -> None:
    net = LeNet5()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    ns = {
        "net": net,
        "optimizer": optimizer,
        "scheduler": torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[150, 100], gamma=0.1),
        "criterion": nn.CrossEntropyLoss(),
        "transform_train": transforms.Compose(
            [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor()]
        ),
    }
    context: dict[str, object] = {}
    probes._describe_model(context, ns)
    opt = probes._describe_optimizer(context, ns)
    assert opt is not None
    assert (opt["class_name"], opt["lr"], opt["momentum"], opt["weight_decay"]) == ("SGD", 0.1, 0.9, 5e-4)
    assert opt["model_parameters_covered"] == 1.0
    sched = probes._describe_scheduler(ns)
    assert sched is not None and sched["milestones"] == [100, 150] and sched["gamma"] == 0.1
    assert probes._describe_criterion(ns) == {
        "variable": "criterion",
        "class_name": "CrossEntropyLoss",
        "reduction": "mean",
        "label_smoothing": 0.0,
    }
    steps = probes._describe_transforms(ns)["transform_train"]
    assert [s["type"] for s in steps] == ["RandomCrop", "RandomHorizontalFlip", "ToTensor"]
    assert steps[0]["params"]["padding"] == 4 and steps[0]["params"]["size"] == [32, 32]
    assert steps[1]["params"] == {"p": 0.5}
    json.dumps(probes._jsonable(steps), allow_nan=False)


def test_predictions_use_the_students_transform_and_are_int64(tmp_path: Path, synthetic_course: Path) -> None:
    torch.manual_seed(0)
    net = LeNet5()
    transform = transforms.Compose([transforms.ToTensor(), CIFAR_NORMALIZE])
    context = {"out_dir": str(tmp_path), "prediction_files": {"val": "val.npy", "test": "test.npy"}}
    files = {
        "val": (layout.VAL_IMAGES, ("transform_val",)),
        "test": (layout.TEST_IMAGES, ("transform_test",)),
    }
    report = probes._predictions(
        context, {"net": net, "transform_val": transform}, str(synthetic_course), files
    )
    assert report["val"]["preprocessing"] == "transform_val"
    assert report["test"]["preprocessing"].startswith("ToTensor+Normalize")
    val = np.load(tmp_path / "val.npy", allow_pickle=False)
    test = np.load(tmp_path / "test.npy", allow_pickle=False)
    images = np.load(synthetic_course / layout.VAL_IMAGES)
    assert val.dtype == np.int64 and val.shape == (len(images),) and test.shape == (200,)
    with torch.no_grad():
        expected = net.eval()(probes._preprocess(images, None)).argmax(1).numpy()
    assert np.array_equal(val, expected), "the default preprocessing equals ToTensor + Normalize"


def test_a_failing_section_is_recorded_and_the_others_still_written(tmp_path: Path) -> None:
    report = probes._Report(str(tmp_path))
    report.section("first", lambda: 1 / 0)
    report.section("second", lambda: {"value": float("nan")})
    written = json.loads((tmp_path / probes.PROBE_FILE).read_text())
    assert written["first"] is None and written["errors"]["first"].startswith("ZeroDivisionError")
    assert written["second"] == {"value": "nan"}


def test_probe_source_ends_with_the_call() -> None:
    source = probes.probe_source("/w/.grader", None, "v.npy", "t.npy")
    assert source.rstrip().endswith("run_probes('/w/.grader', None, 'v.npy', 't.npy')")
    compile(source, "probes", "exec")


@pytest.mark.parametrize("value", [np.float32(1.5), torch.tensor([1, 2]), (1, 2), {3}, float("inf")])
def test_jsonable(value: object) -> None:
    json.dumps(probes._jsonable(value), allow_nan=False)
