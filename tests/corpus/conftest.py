"""The corpus graded once per session in two batches, static and quick, with the arena watched around them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.batch.runner import BatchSummary
from grader.coursedata import build_course_data
from grader.execute import sandbox_available
from grader.grading import GradeOptions
from tests.corpus.arena import Arena, Listener, open_arena, snapshot
from tests.corpus.cases import CASES, build_all, honest_copy, write_corpus_rubric


@dataclass
class GradedCorpus:
    arena: Arena
    listener: Listener
    submissions: dict[str, Path]  # case name -> what was submitted
    out_dirs: dict[str, Path]  # mode -> the batch's output folder
    summaries: dict[str, BatchSummary]
    rubric: Path
    before: dict[str, str]
    after: dict[str, str]


@pytest.fixture(scope="session")
def corpus_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic course data with the real test-set size: 10,000 test images, so 9,999 rows is one short."""
    out = tmp_path_factory.mktemp("corpus-course") / "course"
    build_course_data("synthetic:50000", out, relabel_seed=7)
    return out


@pytest.fixture(scope="session")
def corpus_rubric(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus_rubric(tmp_path_factory.mktemp("corpus-rubric") / "f20-corpus.yaml")


@pytest.fixture(scope="session")
def graded_corpus(
    tmp_path_factory: pytest.TempPathFactory, corpus_course: Path, corpus_rubric: Path, reference_sample: Path
) -> Iterator[GradedCorpus]:
    if not sandbox_available():
        pytest.skip("bubblewrap (bwrap) is not installed: the corpus runs hostile code only in the sandbox")
    root = tmp_path_factory.mktemp("corpus")
    inputs = {mode: root / f"input-{mode}" for mode in ("static", "quick")}
    neighbour = inputs["quick"] / "neighbour"
    arena, listener = open_arena(root, corpus_course, reference_sample, neighbour)
    inputs["quick"].mkdir(parents=True)
    honest_copy(neighbour, arena)
    submissions: dict[str, Path] = {}
    for mode, folder in inputs.items():
        submissions |= build_all(tuple(c for c in CASES if c.mode == mode), folder, arena)
    watched = (corpus_course, arena.canary.parent, *inputs.values())
    before = snapshot(*watched)
    out_dirs = {mode: root / f"out-{mode}" for mode in inputs}
    summaries = {
        mode: grade_batch(
            inputs[mode],
            GradeOptions(rubric=corpus_rubric, out_dir=out_dirs[mode], data_dir=corpus_course, mode=mode),
            workers=2,
            similarity_threshold=None,
            reports=False,
            progress=False,
        )
        for mode in inputs
    }
    after = snapshot(*watched)
    yield GradedCorpus(arena, listener, submissions, out_dirs, summaries, corpus_rubric, before, after)
    listener.close()
    shutil.rmtree(root, ignore_errors=True)
