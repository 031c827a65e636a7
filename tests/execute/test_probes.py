"""The probes, run in-process on the reference models: shapes, BatchNorm, stages, swish, settings, and the
framed reports."""

from __future__ import annotations

import io
import json
import os

import torch
from torch import nn
from torchvision import transforms

from grader.execute.channels import Channel, parse_messages
from grader.execute.inkernel import probes
from grader.execute.inkernel.describe import jsonable
from reference.models import LeNet5, ResNet20

NONCE = "0123456789abcdef" * 2


def describe(ns: dict[str, object]) -> dict[str, object]:
    info = probes._describe({}, ns)
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
    assert probes._describe({}, {"x": 1}) is None


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
    probes._describe(context, ns)
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
    json.dumps(jsonable(steps), allow_nan=False)


def test_each_section_is_sent_as_it_ends_and_a_failing_one_keeps_the_others() -> None:
    channel = Channel(1 << 20)
    sender = probes._Sender(channel.write_fd, NONCE)
    sender.section("environment", lambda: 1 / 0)
    sender.section("model", lambda: {"value": float("nan")})
    os.write(channel.write_fd, b"@@grader " + b"f" * 32 + b" model 2\n{}")  # not this run's nonce
    messages = parse_messages(channel.collect(), NONCE)
    first, second = (json.loads(messages.payloads[k]) for k in ("environment", "model"))
    assert first["value"] is None and first["error"].startswith("ZeroDivisionError")
    assert second["value"] == {"value": "nan"} and not messages.repeated


def test_a_section_sent_again_is_reported_and_the_first_copy_kept() -> None:
    channel = Channel(1 << 20)
    sender = probes._Sender(channel.write_fd, NONCE)
    sender.send("model", b"first")
    sender.send("model", b"forged")
    messages = parse_messages(channel.collect(), NONCE)
    assert messages.payloads["model"] == b"first" and messages.repeated == ["model"]


def test_the_export_sends_the_weights_of_the_model_found() -> None:
    channel = Channel(1 << 22)
    sender = probes._Sender(channel.write_fd, NONCE)
    context: dict[str, object] = {}
    probes._describe(context, {"net": LeNet5()})
    info = probes._export(context, sender)
    messages = parse_messages(channel.collect(), NONCE)
    state = torch.load(io.BytesIO(messages.payloads[probes.STATE_DICT]), weights_only=True)
    assert info["variable"] == "net" and info["class_name"] == "LeNet5"
    assert sum(v.numel() for k, v in state.items() if "running" not in k) == 62006
