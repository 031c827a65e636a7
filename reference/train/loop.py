"""The training loop: data and augmentation stay on the device, the host only sees per-epoch numbers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from reference.data import CourseData
from reference.models import build_model

from .augment import augment
from .config import TrainConfig
from .device import autocast, determinism, memory_format, resolve_device
from .evaluate import evaluate
from .init import initialize
from .loss import objective
from .metrics import EpochMetrics, TrainResult, append_jsonl
from .schedules import build_scheduler
from .tensors import DeviceSplit, batches, normalize, to_device


def build(config: TrainConfig, device: torch.device) -> nn.Module:
    """The seeded, initialised model on its device; the seed makes the init repeatable."""
    torch.manual_seed(config.seed)
    model = build_model(config.model)
    initialize(model, config.init)
    return model.to(device=device, memory_format=memory_format(device))


def train_epoch(
    net: nn.Module,
    split: DeviceSplit,
    config: TrainConfig,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
) -> tuple[float, float]:
    """One pass over a shuffled, augmented split; returns (mean cross-entropy, accuracy)."""
    device = split.images.device
    fmt = memory_format(device)
    params = [p for p in net.parameters() if p.requires_grad]
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    net.train()
    for images, labels in batches(split, config.batch_size, generator):
        x = normalize(augment(images, config.crop_padding, config.flip_prob, generator), fmt)
        with autocast(device):
            logits = net(x)
        loss, ce = objective(logits, labels, params, config.l1, config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += ce.detach() * labels.shape[0]
        correct += (logits.argmax(1) == labels).sum()
    return loss_sum.item() / len(split), correct.item() / len(split)


def train(
    config: TrainConfig,
    data: CourseData,
    *,
    log_path: Path | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> TrainResult:
    """Train on data's train split, measuring val after every epoch.

    Stops early when val accuracy reaches ``config.target_accuracy`` or the train loss stops being finite.
    """
    device = resolve_device(config.device)
    with determinism(config.deterministic):
        model = build(config, device)
        net = torch.compile(model) if config.compile else model
        generator = torch.Generator(device=device)
        generator.manual_seed(config.seed)
        train_split = to_device(data.train_images, data.train_labels, device)
        val_split = to_device(data.val_images, data.val_labels, device)
        optimizer = torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
        )
        steps_per_epoch = math.ceil(len(train_split) / config.batch_size)
        scheduler = build_scheduler(optimizer, config, steps_per_epoch)
        initial_loss, _ = evaluate(net, val_split, config.eval_batch_size)
        history: list[EpochMetrics] = []
        reached = diverged = False
        start = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            tick = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            train_loss, train_acc = train_epoch(net, train_split, config, optimizer, scheduler, generator)
            val_loss, val_acc = evaluate(net, val_split, config.eval_batch_size)
            metrics = EpochMetrics(
                epoch, train_loss, train_acc, val_loss, val_acc, lr, time.perf_counter() - tick
            )
            history.append(metrics)
            if log_path is not None:
                append_jsonl(log_path, metrics)
            if on_epoch is not None:
                on_epoch(metrics)
            diverged = not math.isfinite(train_loss)
            reached = config.target_accuracy is not None and val_acc >= config.target_accuracy
            if diverged or reached:
                break
    best = max(history, key=lambda m: m.val_acc)
    return TrainResult(
        config=config,
        epochs=history,
        initial_loss=initial_loss,
        best_val_acc=best.val_acc,
        best_epoch=best.epoch,
        seconds=time.perf_counter() - start,
        model=model,
        reached_target=reached,
        diverged=diverged,
    )
