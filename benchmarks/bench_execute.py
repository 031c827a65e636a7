"""What the sandbox, the guard, the probes and the fresh-process evaluation cost: one small CPU training
notebook run by bare nbclient and by ``run_notebook`` followed by ``evaluate_model``, alternating, and the
median of each.

    .venv/bin/python benchmarks/bench_execute.py [--repeats 3] [--train-images 400] [--epochs 2] [--threads 1]

The goal is a ratio of at most 1.10. Kernel start is timed from launch to the first kernel_info reply; the
cells' span and the kernel's own CPU time (printed by the last cell) show whether the notebook itself ran
slower, which on a shared machine is steadier than the wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import tools
from grader.coursedata import build_course_data
from grader.execute import SandboxSpec, run_notebook, sandbox_available
from grader.execute.evaluation import FreshProcess

TRAINING = """
import resource
import torch, torch.nn as nn
import torchvision.transforms as transforms
from tools.dataset import CIFAR10

torch.manual_seed(0)
normalize = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
transform_train = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.ToTensor(), normalize])
transform_val = transforms.Compose([transforms.ToTensor(), normalize])
train_set = CIFAR10("./data", mode="train", transform=transform_train)
train_set.data, train_set.targets = train_set.data[:{images}], train_set.targets[:{images}]
val_set = CIFAR10("./data", mode="val", transform=transform_val)
train_loader = torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=100)
"""
MODEL = """
net = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
EPOCHS = {epochs}
"""
LOOP = """
for epoch in range(EPOCHS):
    net.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (net(x).argmax(1) == y).sum().item()
            total += len(y)
    print(f"Validation accuracy: {correct / total:.4f}")
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"kernel CPU {usage.ru_utime + usage.ru_stime:.3f}")
"""


def make_notebook(images: int, epochs: int) -> nbformat.NotebookNode:
    cells = [TRAINING.format(images=images), MODEL.format(epochs=epochs), LOOP]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.strip()) for c in cells])


@dataclass(frozen=True)
class Timing:
    """Seconds: all; launch to kernel_info; first cell's input to last cell's reply; the kernel's CPU."""

    total_s: float
    start_s: float
    cells_s: float
    kernel_cpu_s: float


def _measure(nb: nbformat.NotebookNode, total_s: float, start_s: float) -> Timing:
    first, last = nb.cells[0].metadata.execution, nb.cells[-1].metadata.execution
    cells_s = (_moment(last["shell.execute_reply"]) - _moment(first["iopub.execute_input"])).total_seconds()
    output = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    cpu = float(re.findall(r"kernel CPU ([0-9.]+)", output)[-1])
    return Timing(total_s, start_s, cells_s, cpu)


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def run_bare(work: Path, nb: nbformat.NotebookNode) -> Timing:
    """Plain nbclient, the way nbconvert would run it."""
    started = time.perf_counter()
    ready: list[float] = []
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
        on_notebook_start=lambda notebook: ready.append(time.perf_counter()),
    )
    client.execute()
    return _measure(nb, time.perf_counter() - started, ready[0] - started)


def run_graded(work: Path, course: Path, nb: nbformat.NotebookNode, threads: int) -> Timing:
    """run_notebook with sandbox, guard and probes, then the fresh process that measures the trained model
    (predictions on the val and test images), started beside the run as the pipeline starts it."""
    path = work / "bench.ipynb"
    nbformat.write(nb, path)
    spec = SandboxSpec(work_dir=work, data_dir=course, tools_dir=Path(tools.__file__).parent, threads=threads)
    started = time.perf_counter()
    fresh = FreshProcess(
        work.with_name(work.name + ".eval"), course, spec, sandboxed=True, timeout_s=300, wait_limit_s=900
    )
    report = run_notebook(path, spec, cell_timeout_s=300, notebook_timeout_s=600)
    if report.status != "ok" or report.probe is None or report.probe["errors"]:
        fresh.cancel()
        raise SystemExit(f"the graded run failed: {report.status}: {report.message} {report.probe_error}")
    evaluation = fresh.evaluate(nb, report, work)
    total = time.perf_counter() - started
    if not evaluation.ok or evaluation.val is None:
        raise SystemExit(f"the fresh process failed: {evaluation.message} {evaluation.prediction_errors}")
    assert report.kernel_start_s is not None and report.executed_notebook is not None
    return _measure(nbformat.read(report.executed_notebook, as_version=4), total, report.kernel_start_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads in both kernels (1: steadiest)")
    args = parser.parse_args()
    if not sandbox_available():
        raise SystemExit("bubblewrap is not usable here; nothing to compare")
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)  # the bare kernel's
    runs: dict[str, list[Timing]] = {"bare": [], "graded": []}
    with tempfile.TemporaryDirectory(prefix="bench-execute-") as tmp:
        course = Path(tmp) / "course"
        build_course_data("synthetic:1000", course, relabel_seed=3)
        for repeat in range(args.repeats):
            for mode in ("bare", "graded") if repeat % 2 == 0 else ("graded", "bare"):
                work = Path(tmp) / f"{mode}-{repeat}"
                work.mkdir()
                nb = make_notebook(args.train_images, args.epochs)
                if mode == "bare":
                    (work / "data").symlink_to(course)
                    timing = run_bare(work, nb)
                else:
                    timing = run_graded(work, course, nb, args.threads)
                runs[mode].append(timing)
                print(f"  {mode:6s} run {repeat + 1}: {_line(timing)}", flush=True)
    medians = {mode: _median(timings) for mode, timings in runs.items()}
    print(f"bare nbclient, median: {_line(medians['bare'])}")
    print(f"run_notebook,  median: {_line(medians['graded'])}")
    bare, graded = medians["bare"], medians["graded"]
    wall, cells = graded.total_s / bare.total_s, graded.cells_s / bare.cells_s
    print(f"ratio {wall:.3f} wall (goal <= 1.10), {cells:.3f} cells")
    print(f"kernel start: {bare.start_s:.2f} s bare, {graded.start_s:.2f} s sandboxed")


def _median(timings: list[Timing]) -> Timing:
    return Timing(*(statistics.median(getattr(t, f.name) for t in timings) for f in fields(Timing)))


def _line(timing: Timing) -> str:
    return (
        f"{timing.total_s:6.2f} s wall, kernel start {timing.start_s:.2f} s, "
        f"cells {timing.cells_s:6.2f} s, kernel CPU {timing.kernel_cpu_s:6.2f} s"
    )


if __name__ == "__main__":
    main()
