"""Training-curve figures for the lab reports, drawn on an Agg canvas: no display, no global pyplot state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reference.train import EpochMetrics


def plot_curves(
    runs: Mapping[str, Sequence[EpochMetrics]], path: Path, title: str, target: float | None = None
) -> Path:
    """Loss and accuracy per epoch side by side; train dashed, val solid, one colour per run, the lab's
    accuracy target as a dotted line."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for index, (name, history) in enumerate(runs.items()):
        colour = f"C{index}"
        epochs = [m.epoch for m in history]
        loss_ax.plot(epochs, [m.train_loss for m in history], "--", color=colour, label=f"{name} train")
        loss_ax.plot(epochs, [m.val_loss for m in history], "-", color=colour, label=f"{name} val")
        acc_ax.plot(epochs, [m.train_acc for m in history], "--", color=colour, label=f"{name} train")
        acc_ax.plot(epochs, [m.val_acc for m in history], "-", color=colour, label=f"{name} val")
    if target is not None:
        acc_ax.axhline(target, color="grey", linestyle=":", label=f"target {target:.0%}")
    for ax, label in ((loss_ax, "cross-entropy loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
