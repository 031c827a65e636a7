"""The corpus: crafted hostile, broken and honest-but-unusual submissions, each with the verdict it must get.

Static cases are the reference sample (or raw bytes) with one thing wrong; quick cases are a one-notebook
submission whose Lab 1 notebook does the hostile thing, so that each run is seconds long. Every builder
writes one submission named after its case into the batch input folder and returns its path.
"""

from __future__ import annotations

from pathlib import Path

from tests.corpus.arena import Arena
from tests.corpus.cases.attacks import ATTACKS
from tests.corpus.cases.case import LAB1, Case
from tests.corpus.cases.copies import honest_copy
from tests.corpus.cases.escapes import ESCAPES
from tests.corpus.cases.execution import EXECUTION
from tests.corpus.cases.honest import HONEST
from tests.corpus.cases.malformed import MALFORMED
from tests.rubrics import tuned_f20_rubric

__all__ = ["BASELINE", "CASES", "LAB1", "Case", "build_all", "honest_copy", "write_corpus_rubric"]

CASES: tuple[Case, ...] = (*EXECUTION, *ESCAPES, *ATTACKS, *MALFORMED, *HONEST)
BASELINE = "honest-reference"


def build_all(cases: tuple[Case, ...], input_dir: Path, arena: Arena) -> dict[str, Path]:
    """Write every case's submission into INPUT_DIR; return each case's submission path."""
    input_dir.mkdir(parents=True, exist_ok=True)
    return {case.name: case.build(input_dir / case.name, arena) for case in cases}


def write_corpus_rubric(path: Path) -> Path:
    """The F20 rubric with a small quick subset and short limits, so that hostile runs end in seconds; the
    honest runs train one epoch."""
    limits = {"cell_timeout_s": 10, "notebook_timeout_s": 30, "memory_mb": 1536, "max_disk_mb": 64}
    return tuned_f20_rubric(path, {"train": 400, "val": 100, "test": 100}, limits, lenet5_epochs=1)
