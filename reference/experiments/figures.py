"""Figures of the study experiments (sweeps, grids, weight histograms, min-max bands), on Agg canvases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_sweep(
    series: Mapping[str, Sequence[float | None]],
    labels: Sequence[str],
    path: Path,
    title: str,
    xlabel: str,
    target: float | None = None,
) -> Path:
    """Grouped bars of one number per setting (categorical x, so 0 and 1.0 sit beside 1e-5 and 0.001);
    a diverged run (None) shows as a missing bar marked 'x'."""
    fig = _figure((max(6.0, 0.9 * len(labels) * max(1, len(series))), 4.2))
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    x = np.arange(len(labels))
    for index, (name, values) in enumerate(series.items()):
        offset = x - 0.4 + width * (index + 0.5)
        heights = [np.nan if v is None else v for v in values]
        ax.bar(offset, heights, width, label=name, color=f"C{index}")
        for pos, value in zip(offset, values, strict=True):
            if value is None:
                ax.text(pos, 0.02, "x", ha="center", color=f"C{index}")
    if target is not None:
        ax.axhline(target, color="grey", linestyle=":", label=f"target {target:.0%}")
    ax.set_xticks(x, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("best val accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize="small")
    ax.set_title(title)
    return _save(fig, path)


def plot_grid(
    values: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    path: Path,
    title: str,
    axis_names: tuple[str, str],
) -> Path:
    """A heat map with the number written in each cell: the augmentation grid at a glance."""
    fig = _figure((1.6 * len(cols) + 2.5, 0.8 * len(rows) + 1.8))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2%}", ha="center", va="center", color="white")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylabel(axis_names[0])
    ax.set_xlabel(axis_names[1])
    fig.colorbar(image, ax=ax, label="best val accuracy")
    ax.set_title(title)
    return _save(fig, path)


def plot_histograms(weights: Mapping[str, np.ndarray], path: Path, title: str) -> Path:
    """Overlaid histograms on a log count axis, so the spike at zero and the tails both show."""
    fig = _figure((7.5, 4.2))
    ax = fig.subplots()
    everything = np.concatenate(list(weights.values()))
    edge = float(np.quantile(np.abs(everything), 0.999)) or 1.0
    bins = np.linspace(-edge, edge, 121)
    for index, (name, values) in enumerate(weights.items()):
        ax.hist(np.clip(values, -edge, edge), bins=bins, histtype="step", color=f"C{index}", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title)
    return _save(fig, path)


def _band(ax: Axes, name: str, low: np.ndarray, high: np.ndarray, colour: str) -> None:
    steps = np.arange(1, len(low) + 1)
    ax.fill_between(steps, low, high, color=colour, alpha=0.35, label=name)
    ax.plot(steps, low, color=colour, linewidth=0.5)
    ax.plot(steps, high, color=colour, linewidth=0.5)


def plot_bands(
    bands: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: Path,
    title: str,
    ylabel: str,
    log_y: bool = False,
) -> Path:
    """One min-max band per model over the training steps (``fill_between``), as in Santurkar et al."""
    fig = _figure((8.5, 4.2))
    ax = fig.subplots()
    for index, (name, (low, high)) in enumerate(bands.items()):
        _band(ax, name, low, high, f"C{index}")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title)
    return _save(fig, path)


def plot_step_curves(
    losses: Mapping[str, np.ndarray], val_accs: Mapping[str, Sequence[float]], path: Path, title: str
) -> Path:
    """Per-step train loss (left) and per-evaluation val accuracy (right), one colour per model."""
    fig = _figure((11, 4.2))
    loss_ax, acc_ax = fig.subplots(1, 2)
    for index, (name, loss) in enumerate(losses.items()):
        loss_ax.plot(np.arange(1, len(loss) + 1), loss, color=f"C{index}", linewidth=0.7, label=name)
    for index, (name, accs) in enumerate(val_accs.items()):
        acc_ax.plot(np.arange(1, len(accs) + 1), accs, "o-", color=f"C{index}", label=name)
    loss_ax.set_xlabel("training step")
    loss_ax.set_ylabel("train loss (batch)")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("val accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(title)
    return _save(fig, path)
