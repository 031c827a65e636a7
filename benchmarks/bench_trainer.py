"""Epoch time of the reference trainer against the template's pipeline, on the same data, model and optimizer.

The template pipeline is what the notebooks do: tools.dataset.CIFAR10 with PIL transforms
(RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize) behind a DataLoader (batch 128, val
batch 100, NUM_WORKERS 2), and a loop that calls .item() every batch. The reference trainer runs the same
augmentation on uint8 batches on the device. Both epochs include the pass over the val split; the first epoch
of each is a warm-up and is left out when there is more than one; the fastest remaining epoch is reported, the
estimate least disturbed by other load on a shared machine.

Usage: python benchmarks/bench_trainer.py [--data DIR] [--limit N] [--epochs 2] [--threads 2] [--json OUT]
(without --data, the course data is built from ../shared/data/cifar10 into a temporary folder). Both pipelines
run in the same process and OpenMP environment; time them on an otherwise idle machine, since spinning OpenMP
threads slow both many times over as soon as another process competes for the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import transforms

from grader.coursedata import build_course_data
from reference.data import CourseData, load_course_data
from reference.models import build_model
from reference.train import TrainConfig, train
from reference.train.device import resolve_device
from reference.train.tensors import CIFAR10_MEAN, CIFAR10_STD
from tools.dataset import CIFAR10

SHARED_CIFAR10 = Path(__file__).resolve().parents[1].parent / "shared/data/cifar10/cifar-10-batches-py"
LR, MOMENTUM, WEIGHT_DECAY, BATCH, VAL_BATCH = 0.05, 0.9, 5e-4, 128, 100


def reference_epochs(data: CourseData, epochs: int, device: str) -> list[float]:
    config = TrainConfig(
        model="lenet5",
        epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY,
        schedule="constant",
        crop_padding=4,
        flip_prob=0.5,
        device=device,
    )
    return [m.seconds for m in train(config, data).epochs]


def template_loaders(root: Path, limit: int | None, workers: int) -> tuple[DataLoader, DataLoader]:
    normalize = transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)
    train_tf = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize,
        ]
    )
    val_tf = transforms.Compose([transforms.ToTensor(), normalize])
    train_set = CIFAR10(root, mode="train", download=False, transform=train_tf)
    val_set = CIFAR10(root, mode="val", download=False, transform=val_tf)
    if limit is not None:
        train_set = Subset(train_set, range(min(limit, len(train_set))))
        val_set = Subset(val_set, range(min(limit, len(val_set))))
    return (
        DataLoader(train_set, batch_size=BATCH, shuffle=True, num_workers=workers),
        DataLoader(val_set, batch_size=VAL_BATCH, shuffle=False, num_workers=workers),
    )


def template_epochs(
    root: Path, limit: int | None, workers: int, epochs: int, device: torch.device
) -> list[float]:
    torch.manual_seed(0)
    net = build_model("lenet5").to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    train_loader, val_loader = template_loaders(root, limit, workers)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        net.train()
        train_loss, correct, total = 0.0, 0, 0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            total += targets.size(0)
            correct += outputs.max(1)[1].eq(targets).sum().item()
        net.eval()
        val_loss, val_correct = 0.0, 0
        with torch.no_grad():
            for inputs, targets in val_loader:
                inputs, targets = inputs.to(device), targets.to(device)
                outputs = net(inputs)
                val_loss += criterion(outputs, targets).item()
                val_correct += outputs.max(1)[1].eq(targets).sum().item()
        seconds.append(time.perf_counter() - start)
    return seconds


def steady(seconds: list[float]) -> float:
    return min(seconds[1:] if len(seconds) > 1 else seconds)


def with_course_data(data_dir: str | None, run: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    if data_dir is not None:
        return run(Path(data_dir))
    with tempfile.TemporaryDirectory() as tmp:
        build_course_data(str(SHARED_CIFAR10), Path(tmp) / "course")
        return run(Path(tmp) / "course")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=None, help="course data folder (default: build from ../shared)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and val images")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2, help="DataLoader workers of the template (its default)"
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)

    def run(root: Path) -> dict[str, Any]:
        data = load_course_data(root)
        if args.limit is not None:
            data = data.limit(args.limit)
        fast = reference_epochs(data, args.epochs, str(device))
        slow = template_epochs(root, args.limit, args.workers, args.epochs, device)
        return {
            "train_images": len(data.train_images),
            "val_images": len(data.val_images),
            "device": str(device),
            "threads": args.threads,
            "template_workers": args.workers,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "reference_epoch_s": fast,
            "template_epoch_s": slow,
            "reference_s": steady(fast),
            "template_s": steady(slow),
            "ratio": steady(slow) / steady(fast),
        }

    result = with_course_data(args.data, run)
    images = f"{result['train_images']} train + {result['val_images']} val images"
    print(f"{images}, {device}, {args.threads} threads, template workers {args.workers}")
    print(f"reference trainer: {result['reference_s']:.2f} s/epoch  {result['reference_epoch_s']}")
    print(f"template pipeline: {result['template_s']:.2f} s/epoch  {result['template_epoch_s']}")
    print(f"speed-up: {result['ratio']:.2f}x")
    if args.json is not None:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
