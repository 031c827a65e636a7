"""Scoring predicted labels: against the true labels, or against another set of predictions."""

from __future__ import annotations

import numpy as np


def _fraction_equal(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> float:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} have shape {a.shape} but {b_name} have shape {b.shape}; they must match")
    if a.size == 0:
        raise ValueError(f"{a_name} and {b_name} are empty; there is nothing to compare")
    return float(np.mean(a == b))


def accuracy(labels: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of predicted labels equal to the true labels (the hidden ones, for the held-out test set)."""
    return _fraction_equal(labels, truth, "predicted labels", "true labels")


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of positions where two predictions agree (submitted file vs predictions from a re-run)."""
    return _fraction_equal(a, b, "the first predictions", "the second predictions")
