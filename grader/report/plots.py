"""The reports' figures, drawn with matplotlib's object API (no pyplot state), embedded as PNG data URIs."""

from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from grader.records import AuditRecord
from grader.report.artifacts import Curves

CLAIMED_COLOUR = "#2563eb"
REPRODUCED_COLOUR = "#ea580c"
HIDDEN_COLOUR = "#16a34a"
AUDIT_COLOUR = "#dc2626"
BAR_COLOUR = "#4f46e5"


def png_data_uri(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def curves_png(
    curves: list[Curves], hidden_test: dict[str, float], audits: dict[str, AuditRecord] | None = None
) -> str | None:
    """One panel per notebook with a curve: claimed vs the grader's run, and the hidden-test accuracy line.

    HIDDEN_TEST maps a notebook key to the accuracy the grader measured on the held-out test labels; AUDITS
    (audit mode) to the audit whose measured point is drawn at its epoch, the band as its error bar, so that
    a TA sees at a glance whether the claimed curve passes within it.
    """
    points = {key: a for key, a in (audits or {}).items() if a.reproduced is not None and a.epoch is not None}
    shown = [
        c for c in curves if c.claimed or c.reproduced or c.spec.key in hidden_test or c.spec.key in points
    ]
    if not shown:
        return None
    fig = Figure(figsize=(3.6 * len(shown) + 0.6, 3.5), layout="constrained")
    axes = fig.subplots(1, len(shown), squeeze=False)[0]
    for ax, curve in zip(axes, shown, strict=True):
        if curve.claimed:
            epochs = range(1, len(curve.claimed) + 1)
            ax.plot(epochs, curve.claimed, color=CLAIMED_COLOUR, marker="o", ms=3, lw=1.6, label="claimed")
        if curve.reproduced:
            epochs = range(1, len(curve.reproduced) + 1)
            ax.plot(
                epochs,
                curve.reproduced,
                color=REPRODUCED_COLOUR,
                marker="s",
                ms=3,
                lw=1.6,
                ls="--",
                label="grader's run",
            )
        if curve.spec.key in hidden_test:
            ax.axhline(hidden_test[curve.spec.key], color=HIDDEN_COLOUR, lw=1.4, ls=":", label="hidden test")
        audit = points.get(curve.spec.key)
        if audit is not None:
            ax.errorbar(
                [audit.epoch],
                [audit.reproduced],
                yerr=None if audit.band is None else [[audit.band], [audit.band]],
                color=AUDIT_COLOUR,
                marker="D",
                ms=5,
                capsize=4,
                lw=1.4,
                label="audited model, ± band",
            )
        ax.set_title(curve.spec.filename, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        last = max(len(curve.claimed), len(curve.reproduced), audit.epoch if audit else 0, 1)
        ax.set_xlim(0.5, last + 0.5)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation accuracy", fontsize=8)
    legend = {
        label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)
    }
    fig.legend(
        legend.values(),
        legend.keys(),
        loc="outside upper center",
        ncol=len(legend),
        fontsize=8,
        frameon=False,
    )
    return png_data_uri(fig)


def histogram_png(scores: list[float], max_score: float) -> str | None:
    if not scores:
        return None
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    ax = fig.subplots()
    top = max(max_score, max(scores))
    ax.hist(scores, bins=20, range=(0, top), color=BAR_COLOUR, edgecolor="white")
    ax.set_xlabel("score", fontsize=8)
    ax.set_ylabel("submissions", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    return png_data_uri(fig)
