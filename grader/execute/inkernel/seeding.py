"""Seed the kernel's random generators before the first cell, so that grading the same notebook twice on the
same machine trains the same model and reaches the same accuracy.

Students rarely seed; without this a run that diverges once in twenty would make re-grading a lottery.
A student's own ``torch.manual_seed`` still wins: it runs later.
"""

from __future__ import annotations

import importlib.util
import random


def seed_generators(seed: int) -> None:
    """Seed ``random``, and numpy and torch when they are installed."""
    random.seed(seed)
    if importlib.util.find_spec("numpy") is not None:
        import numpy

        numpy.random.seed(seed)
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.manual_seed(seed)
