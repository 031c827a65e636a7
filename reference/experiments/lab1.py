"""Lab 1: LeNet-5 (Table 1) with SGD, reaching the handout's 63% validation accuracy; initial loss against
ln(10) (question g) and PyTorch's default init against Kaiming-normal (bonus h)."""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from reference.data import load_course_data
from reference.train import TrainConfig, TrainResult, train
from reference.train.device import resolve_device

from .plots import plot_curves
from .report import environment, markdown_table, percent, write_json, write_summary
from .runs import echo

HELP = "LeNet-5 baseline: >= 63% val accuracy, initial loss vs ln(10), default vs Kaiming init"
TARGET_VAL_ACC = 0.63

# Eight epochs of one-cycle SGD (peak lr 0.05) with random flips: 66.7% val accuracy on the real split for
# seeds 0 and 1, a margin of over three points on the target in about a quarter of the handout's 30-epoch
# budget. Six epochs measured 64.1-65.8% over three seeds, too close to the target. Fixed budget, no early
# stop.
RECIPE = TrainConfig(
    model="lenet5",
    epochs=8,
    batch_size=128,
    lr=0.05,
    momentum=0.9,
    weight_decay=5e-4,
    schedule="onecycle",
    warmup_fraction=0.25,
    crop_padding=0,
    flip_prob=0.5,
)
INITS = {"default": "PyTorch default", "kaiming": "Kaiming-normal"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init-comparison",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train with Kaiming-normal init for question (h) (default: on)",
    )


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    config = replace(
        RECIPE, device=args.device, compile=args.compile, deterministic=args.deterministic, **overrides
    )
    results = run_lab1(Path(args.data), Path(args.out), config, init_comparison=args.init_comparison)
    best = results["runs"]["default"]["best_val_acc"]
    verdict = "reached" if results["passed"] else "NOT reached"
    print(f"best val accuracy {percent(best)}: target {percent(TARGET_VAL_ACC)} {verdict}; see {args.out}")
    return 0


def run_lab1(
    data_dir: Path, out_dir: Path, config: TrainConfig = RECIPE, *, init_comparison: bool = True
) -> dict[str, Any]:
    """Train the recipe (and its Kaiming-init twin), then write results.json, summary.md and the plots."""
    data = load_course_data(data_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    runs: dict[str, TrainResult] = {}
    for init in ("default", "kaiming") if init_comparison else ("default",):
        log_path = out_dir / f"train-{init}.jsonl"
        log_path.unlink(missing_ok=True)
        runs[init] = train(replace(config, init=init), data, log_path=log_path, on_epoch=echo(init))
    results = {
        "experiment": "lab1",
        "target_val_acc": TARGET_VAL_ACC,
        "ln10": math.log(10),
        "passed": runs["default"].best_val_acc >= TARGET_VAL_ACC,
        "recipe": asdict(config),
        "runs": {init: result.to_dict() for init, result in runs.items()},
        "wall_seconds": time.perf_counter() - start,
        "environment": environment(resolve_device(config.device)),
        "files": _write_figures(runs, out_dir),
    }
    write_json(out_dir / "results.json", results)
    _write_summary(results, runs, out_dir / "summary.md")
    return results


def _write_figures(runs: dict[str, TrainResult], out_dir: Path) -> list[str]:
    paths = [
        plot_curves(
            {"LeNet-5": runs["default"].epochs}, out_dir / "curves.png", "Lab 1: LeNet-5", TARGET_VAL_ACC
        )
    ]
    if "kaiming" in runs:
        named = {INITS[init]: result.epochs for init, result in runs.items()}
        paths.append(
            plot_curves(named, out_dir / "init_comparison.png", "Lab 1 (h): weight init", TARGET_VAL_ACC)
        )
    return [p.name for p in paths]


def _write_summary(results: dict[str, Any], runs: dict[str, TrainResult], path: Path) -> None:
    config = runs["default"].config
    recipe = (
        f"Recipe: {config.model}, {config.epochs} epochs, batch {config.batch_size}, SGD momentum "
        f"{config.momentum}, weight decay {config.weight_decay}, {config.schedule} schedule with peak lr "
        f"{config.lr}, random crop padding {config.crop_padding}, flip probability {config.flip_prob}, "
        f"seed {config.seed}, device {results['environment']['device']}."
    )
    rows = [
        [f"loss before any step (ln 10 = {results['ln10']:.4f})"]
        + [f"{r.initial_loss:.4f}" for r in runs.values()],
        [f"best val accuracy (target >= {percent(TARGET_VAL_ACC)})"]
        + [f"{percent(r.best_val_acc)} (epoch {r.best_epoch})" for r in runs.values()],
        ["val accuracy after epoch 1"] + [percent(r.epochs[0].val_acc) for r in runs.values()],
        ["final train accuracy"] + [percent(r.epochs[-1].train_acc) for r in runs.values()],
        ["final val loss"] + [f"{r.epochs[-1].val_loss:.4f}" for r in runs.values()],
        ["time (train and val passes)"] + [f"{r.seconds:.1f} s" for r in runs.values()],
    ]
    verdict = "reached" if results["passed"] else "**not reached**"
    table = markdown_table(["", *(INITS[init] + " init" for init in runs)], rows)
    figures = " ".join(f"![{name}]({name})" for name in results["files"])
    write_summary(
        path,
        "Lab 1: LeNet-5 on CIFAR-10",
        [recipe, table, f"Target of {percent(TARGET_VAL_ACC)} val accuracy: {verdict}.", figures],
    )
