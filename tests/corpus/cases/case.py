"""What a corpus case is, and the file names its builders write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.corpus.arena import Arena
from tests.corpus.verdicts import Verdict

Group = Literal["execution", "escape", "attack", "malformed", "honest"]
LAB1 = "lenet5-cifar10.ipynb"
LAB3 = "resnet-cifar10.ipynb"
PREDICTIONS = "predictions.csv"
REPORT = b"%PDF-1.4\n% report\n%%EOF\n"


@dataclass(frozen=True)
class Case:
    name: str
    group: Group
    mode: Literal["static", "quick"]
    build: Callable[[Path, Arena], Path]  # (folder to write into, arena) -> the submission it wrote
    verdicts: tuple[Verdict, ...]
