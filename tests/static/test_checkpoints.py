"""Reading a carried checkpoint without running it: its tensors' names and shapes, and whether they are a
published pretrained model's."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torchvision import models

from grader.static.checkpoints import published_match, tensor_shapes


def saved(path: Path, obj: object, legacy: bool = False) -> Path:
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


@pytest.mark.parametrize("legacy", [False, True])
def test_imagenet_shaped_weights_match_the_published_model_however_they_are_wrapped(
    tmp_path: Path, legacy: bool
) -> None:
    weights = models.mobilenet_v2(weights=None).state_dict()
    wrapped = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in weights.items()}}
    shapes = tensor_shapes(saved(tmp_path / "ckpt.pth", wrapped, legacy))
    assert shapes["classifier.1.weight"] == (1000, 1280) and len(shapes) == len(weights)
    assert published_match(shapes) == "torchvision mobilenet_v2 (ImageNet, 1000 classes)"


def test_a_cifar_model_of_a_published_family_is_the_students_own(tmp_path: Path) -> None:
    own = models.mobilenet_v2(weights=None, num_classes=10).state_dict()
    shapes = tensor_shapes(saved(tmp_path / "cifar.pth", own))
    assert shapes["classifier.1.weight"] == (10, 1280)
    assert published_match(shapes) is None


def test_files_without_a_state_dict_hold_no_tensors(tmp_path: Path) -> None:
    (tmp_path / "val_acc.pkl").write_bytes(pickle.dumps([0.41, 0.52, 0.58]))
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    for name in ("val_acc.pkl", "notes.txt"):
        assert tensor_shapes(tmp_path / name) == {}
    assert published_match({}) is None


def test_a_hostile_pickle_runs_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    hostile = tmp_path / "model.pth"
    hostile.write_bytes(f"cos\nsystem\n(S'touch {canary}'\ntR.".encode())
    assert tensor_shapes(hostile) == {}
    assert not canary.exists()
