"""Turns on the machine: notebook runs share it, and a retry of a timed-out run waits to have it alone.

Every worker of a batch grades in the same output folder, so two lock files there are enough to coordinate
them without a server. A run holds the main lock shared; a retry holds it exclusively, so it starts once the
runs under way have finished and no new one starts until it ends. The gate in front keeps a waiting retry
from starving: a run passes through the gate before it takes its shared lock, and the retry holds the gate
while it waits. ``flock`` locks go with their process, so a worker that dies frees its turn. Where there is
no ``fcntl`` (Windows: only the students' pre-check runs there, one notebook at a time) no turns are taken.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from grader.execute.host import fcntl

_GATE, _MACHINE = ".turns-gate.lock", ".turns.lock"


class Turns:
    """The turns of every process that grades into FOLDER."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @contextlib.contextmanager
    def _locked(self, name: str, mode: str) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, getattr(fcntl, mode))
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """An ordinary run: alongside other runs, never alongside a retry."""
        with self._locked(_GATE, "LOCK_EX"):
            pass
        with self._locked(_MACHINE, "LOCK_SH"):
            yield

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        """A retry: waits for the runs under way, and holds off new ones until it ends."""
        with self._locked(_GATE, "LOCK_EX"), self._locked(_MACHINE, "LOCK_EX"):
            yield
