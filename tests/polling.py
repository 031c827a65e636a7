"""Waiting for something another process does, without a fixed sleep that is too short on a busy machine."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    condition: Callable[[], T], *, timeout_s: float = 30.0, interval_s: float = 0.05, what: str = "condition"
) -> T:
    """Returns the first truthy value of ``condition``; fails the test once ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not hold within {timeout_s:g} s")
        time.sleep(interval_s)
