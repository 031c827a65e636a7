import json
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from reference.data import CourseData, load_course_data
from reference.models import build_model
from reference.train import TrainConfig, predict, train
from reference.train.loss import l1_penalty, objective
from tests.reference.tiny_course import make_course_dir

TINY = TrainConfig(epochs=2, batch_size=32, lr=0.02, crop_padding=2, flip_prob=0.5, device="cpu", seed=7)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny batches run fastest, and least disturbed by a busy machine, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> CourseData:
    return load_course_data(make_course_dir(tmp_path_factory.mktemp("course")), with_test=True)


def comparable(result: dict) -> dict:
    """A result without its timings."""
    result = dict(result, seconds=None)
    result["epochs"] = [dict(m, seconds=None) for m in result["epochs"]]
    return result


def test_same_seed_same_metrics(data: CourseData) -> None:
    first = train(replace(TINY, deterministic=True), data)
    second = train(replace(TINY, deterministic=True), data)
    assert comparable(first.to_dict()) == comparable(second.to_dict())
    other = train(replace(TINY, seed=8), data)
    assert comparable(other.to_dict())["epochs"] != comparable(first.to_dict())["epochs"]


def test_result_reports_every_epoch_and_the_best(data: CourseData, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    result = train(TINY, data, log_path=log)
    assert [m.epoch for m in result.epochs] == [1, 2]
    assert result.best_val_acc == max(m.val_acc for m in result.epochs)
    assert result.epochs[result.best_epoch - 1].val_acc == result.best_val_acc
    assert abs(result.initial_loss - math.log(10)) < 0.2
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert set(lines[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_learns_the_tiny_set(data: CourseData) -> None:
    result = train(replace(TINY, epochs=4, batch_size=16, lr=0.05), data)
    assert result.epochs[-1].train_loss < result.initial_loss - 0.3
    assert result.best_val_acc >= 0.3


def test_target_accuracy_stops_early(data: CourseData) -> None:
    result = train(replace(TINY, epochs=5, target_accuracy=0.0), data)
    assert result.reached_target and len(result.epochs) == 1


def test_divergence_stops_the_run(data: CourseData) -> None:
    result = train(replace(TINY, epochs=3, lr=1e6, schedule="constant"), data)
    assert result.diverged and len(result.epochs) == 1
    json.dumps(result.to_dict(), allow_nan=False)


def test_l1_penalty_is_added_to_the_loss() -> None:
    torch.manual_seed(0)
    model = build_model("lenet5")
    params = list(model.parameters())
    logits, targets = model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 3])
    plain, ce = objective(logits, targets, params, 0.0)
    penalised, ce_again = objective(logits, targets, params, 1e-3)
    expected = 1e-3 * sum(p.abs().sum().item() for p in params)
    assert l1_penalty(params).item() == pytest.approx(expected / 1e-3, rel=1e-5)
    assert penalised.item() == pytest.approx(plain.item() + expected, rel=1e-5)
    assert ce_again.item() == pytest.approx(ce.item())


def test_l1_training_shrinks_weights(data: CourseData) -> None:
    plain = train(replace(TINY, weight_decay=0.0), data)
    sparse = train(replace(TINY, weight_decay=0.0, l1=1e-3), data)
    norm = [sum(p.abs().sum().item() for p in r.model.parameters()) for r in (plain, sparse)]
    assert norm[1] < norm[0]


def test_l1_and_weight_decay_do_not_mix() -> None:
    with pytest.raises(ValueError, match="weight_decay=0"):
        TrainConfig(l1=1e-4, weight_decay=5e-4)


def test_kaiming_init_changes_the_initial_weights(data: CourseData) -> None:
    default = train(replace(TINY, epochs=1), data)
    kaiming = train(replace(TINY, epochs=1, init="kaiming"), data)
    assert default.initial_loss != kaiming.initial_loss


def test_predict_returns_int_labels_in_eval_mode_and_restores_training(data: CourseData) -> None:
    model = train(replace(TINY, epochs=1), data).model
    model.train()
    labels = predict(model, data.test_images, batch_size=10)
    assert labels.shape == (len(data.test_images),) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() <= 9
    assert model.training
    assert predict(model, data.test_images[:0]).shape == (0,)


def test_label_smoothing_changes_the_loss_optimised_not_the_one_reported() -> None:
    logits = torch.tensor([[4.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    targets = torch.tensor([0, 1])
    plain, plain_ce = objective(logits, targets, [], 0.0)
    smoothed, smoothed_ce = objective(logits, targets, [], 0.0, label_smoothing=0.1)
    assert torch.equal(plain_ce, smoothed_ce) and torch.equal(plain, plain_ce)
    assert smoothed > plain  # confident right answers cost more once the targets are smoothed
    with pytest.raises(ValueError, match="label_smoothing"):
        TrainConfig(label_smoothing=1.0)
