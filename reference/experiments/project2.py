"""NNDL Project 2: how BatchNorm changes VGG-A's optimisation landscape (Santurkar et al. 2018). For each
learning rate both VGG-A and VGG-A-BN train with Adam while every step's loss, gradient and parameter
change are recorded; plotted per step as min-max bands across the learning rates: the loss landscape, the
gradient predictiveness (l2 distance between successive gradients) and the effective beta-smoothness (that
distance over the distance the parameters moved)."""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from reference.data import CourseData
from reference.train import TrainConfig, evaluate
from reference.train.device import autocast, memory_format, resolve_device
from reference.train.loop import build
from reference.train.tensors import batches, normalize, to_device

from .figures import plot_bands, plot_step_curves
from .report import environment, markdown_table, percent, write_json, write_summary
from .runs import add_limit_argument, load, with_common

HELP = "VGG-A vs VGG-A-BN: training curves, loss landscape, gradient predictiveness, beta-smoothness"
MODELS = {"vgg_a": "VGG-A", "vgg_a_bn": "VGG-A-BN"}
LEARNING_RATES = (1e-3, 2e-3, 1e-4, 5e-4)
CURVE_LR = 1e-3

# The project's setting: Adam at each of the four learning rates (constant), batch 128, no augmentation,
# 20 epochs, the same seed for both models so their initial weights and batch order match. The SGD fields
# of TrainConfig (momentum, weight_decay, schedule) and --compile are unused here: the recording reads
# every parameter's gradient eagerly.
RECIPE = TrainConfig(
    model="vgg_a", epochs=20, batch_size=128, lr=CURVE_LR, weight_decay=0.0, schedule="constant"
)


@dataclass
class StepSeries:
    """Per-step records of one run. ``grad_distance[i]`` and ``beta[i]`` compare step i+1 with step i."""

    loss: np.ndarray
    grad_distance: np.ndarray
    beta: np.ndarray
    val_accs: list[float]
    seconds: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=None, help="cap the optimizer steps of every run")
    parser.add_argument(
        "--batch-size", type=int, default=None, help=f"mini-batch size (default {RECIPE.batch_size})"
    )
    add_limit_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.steps is not None and args.steps < 2:
        raise ValueError(f"--steps must be at least 2 (gradient changes need two steps), not {args.steps}")
    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size)) if v is not None}
    config = with_common(RECIPE, args, **overrides)
    results = run_project2(load(args), Path(args.out), config, args.steps)
    for model, name in MODELS.items():
        best = results["runs"][model][str(CURVE_LR)]["best_val_acc"]
        print(f"{name}: best val accuracy {percent(best)} at lr {CURVE_LR:g}")
    print(f"see {args.out}")
    return 0


def run_project2(
    data: CourseData, out_dir: Path, config: TrainConfig = RECIPE, max_steps: int | None = None
) -> dict[str, Any]:
    """Train every (model, lr) pair, then write results.json, series.json, summary.md and the figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    series = {
        model: {
            lr: train_recording(replace(config, model=model, lr=lr), data, max_steps) for lr in LEARNING_RATES
        }
        for model in MODELS
    }
    bands = {
        metric: {MODELS[m]: band([getattr(s, metric) for s in runs.values()]) for m, runs in series.items()}
        for metric in ("loss", "grad_distance", "beta")
    }
    results = {
        "experiment": "project2",
        "recipe": {**asdict(config), "optimizer": "Adam"},
        "max_steps": max_steps,
        "learning_rates": list(LEARNING_RATES),
        "runs": {m: {str(lr): _summary(s) for lr, s in runs.items()} for m, runs in series.items()},
        "bands": {
            metric: {name: {"mean_width": _mean_width(low, high)} for name, (low, high) in per_model.items()}
            for metric, per_model in bands.items()
        },
        "wall_seconds": time.perf_counter() - start,
        "environment": environment(resolve_device(config.device)),
    }
    write_json(
        out_dir / "series.json",
        {
            m: {
                str(lr): {k: _finite(getattr(s, k)) for k in ("loss", "grad_distance", "beta")}
                for lr, s in runs.items()
            }
            for m, runs in series.items()
        },
    )
    results["files"] = _write_figures(series, bands, out_dir)
    write_json(out_dir / "results.json", results)
    _write_summary(results, out_dir / "summary.md")
    return results


def train_recording(config: TrainConfig, data: CourseData, max_steps: int | None) -> StepSeries:
    """Adam on the train split, keeping each step's loss, ||g_t - g_(t-1)|| and ||theta_t - theta_(t-1)||.

    Gradients and parameters are flattened once per step and the numbers stay on the device until the end,
    so the recording costs no host synchronisation per step.
    """
    device = resolve_device(config.device)
    fmt = memory_format(device)
    model = build(config, device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr)
    generator = torch.Generator(device=device)
    generator.manual_seed(config.seed)
    train_split = to_device(data.train_images, data.train_labels, device)
    val_split = to_device(data.val_images, data.val_labels, device)
    losses: list[torch.Tensor] = []
    grad_changes: list[torch.Tensor] = []
    param_changes: list[torch.Tensor] = []
    previous: tuple[torch.Tensor, torch.Tensor] | None = None
    val_accs: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        for images, labels in batches(train_split, config.batch_size, generator):
            with autocast(device):
                logits = model(normalize(images, fmt))
            loss = F.cross_entropy(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                grad = torch.cat([p.grad.flatten() for p in params]).float()
                weights = torch.cat([p.flatten() for p in params]).float()
                if previous is not None:
                    grad_changes.append(torch.linalg.vector_norm(grad - previous[0]))
                    param_changes.append(torch.linalg.vector_norm(weights - previous[1]))
            previous = (grad, weights)
            optimizer.step()
            losses.append(loss.detach())
            if max_steps is not None and len(losses) >= max_steps:
                break
        val_accs.append(evaluate(model, val_split, config.eval_batch_size)[1])
        print(
            f"[{config.model} lr {config.lr:g}] epoch {epoch}: {len(losses)} steps, last loss "
            f"{losses[-1].item():.4f}, val acc {val_accs[-1]:.4f}",
            flush=True,
        )
        if max_steps is not None and len(losses) >= max_steps:
            break
    grad_distance = _numpy(grad_changes)
    moved = _numpy(param_changes)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(moved > 0, grad_distance / moved, np.nan)
    return StepSeries(_numpy(losses), grad_distance, beta, val_accs, time.perf_counter() - start)


def _numpy(values: list[torch.Tensor]) -> np.ndarray:
    return torch.stack(values).cpu().numpy().astype(np.float64) if values else np.zeros(0)


def band(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-step min and max over runs, on the steps all runs have; NaNs (a diverged run) are skipped."""
    length = min(len(c) for c in curves)
    stacked = np.stack([c[:length] for c in curves])
    return np.fmin.reduce(stacked, axis=0), np.fmax.reduce(stacked, axis=0)


def _finite(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def _mean_width(low: np.ndarray, high: np.ndarray) -> float | None:
    width = high - low
    width = width[np.isfinite(width)]
    return float(width.mean()) if width.size else None


def _max_or_none(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else None


def _summary(series: StepSeries) -> dict[str, Any]:
    finite = series.grad_distance[np.isfinite(series.grad_distance)]
    return {
        "steps": len(series.loss),
        "final_loss": _finite(series.loss[-1:])[0],
        "val_accs": series.val_accs,
        "best_val_acc": max(series.val_accs),
        "mean_grad_distance": float(finite.mean()) if finite.size else None,
        "max_beta": _max_or_none(series.beta),
        "diverged": not np.isfinite(series.loss).all(),
        "seconds": series.seconds,
    }


def _write_figures(
    series: dict[str, dict[float, StepSeries]],
    bands: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    out_dir: Path,
) -> list[str]:
    paths = [
        plot_step_curves(
            {MODELS[m]: runs[CURVE_LR].loss for m, runs in series.items()},
            {MODELS[m]: runs[CURVE_LR].val_accs for m, runs in series.items()},
            out_dir / "curves.png",
            f"VGG-A with and without BatchNorm (Adam, lr {CURVE_LR:g})",
        ),
        plot_bands(
            bands["loss"], out_dir / "loss_landscape.png", "Loss landscape: min-max over lrs", "train loss"
        ),
        plot_bands(
            bands["grad_distance"],
            out_dir / "gradient_predictiveness.png",
            "Gradient predictiveness: min-max over lrs",
            "||g(t) - g(t-1)||",
            log_y=True,
        ),
        plot_bands(
            bands["beta"],
            out_dir / "beta_smoothness.png",
            "Effective beta-smoothness: min-max over lrs",
            "||g(t) - g(t-1)|| / ||w(t) - w(t-1)||",
            log_y=True,
        ),
    ]
    return [p.name for p in paths]


def _write_summary(results: dict[str, Any], path: Path) -> None:
    recipe = results["recipe"]
    cap = f", capped at {results['max_steps']} steps per run" if results["max_steps"] else ""
    rows = []
    for model, runs in results["runs"].items():
        for lr, run in runs.items():
            beta = "n/a" if run["max_beta"] is None else f"{run['max_beta']:.4g}"
            distance = "n/a" if run["mean_grad_distance"] is None else f"{run['mean_grad_distance']:.4g}"
            final = "diverged" if run["final_loss"] is None else f"{run['final_loss']:.4f}"
            rows.append(
                [
                    MODELS[model],
                    f"{float(lr):g}",
                    run["steps"],
                    final,
                    percent(run["best_val_acc"]),
                    distance,
                    beta,
                ]
            )
    widths = [
        [metric, *(_fmt(results["bands"][metric][name]["mean_width"]) for name in MODELS.values())]
        for metric in results["bands"]
    ]
    blocks = [
        f"Adam, constant lr in {', '.join(f'{lr:g}' for lr in results['learning_rates'])}, batch "
        f"{recipe['batch_size']}, {recipe['epochs']} epochs{cap}, seed {recipe['seed']}, device "
        f"{results['environment']['device']}.",
        markdown_table(
            ["model", "lr", "steps", "final batch loss", "best val acc", "mean grad change (l2)", "max beta"],
            rows,
        ),
        "Mean width of the min-max band across learning rates (narrower: a smoother, more predictable "
        "landscape):",
        markdown_table(["metric", *MODELS.values()], widths),
        " ".join(f"![{name}]({name})" for name in results["files"]),
    ]
    write_summary(path, "Project 2: BatchNorm and the VGG-A loss landscape", blocks)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
