"""The corpus graded once per session in two batches, static and quick, with the arena watched around them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.batch.summary import BatchSummary
from grader.execute import sandbox_available
from grader.intake import submission_id
from grader.pipeline import COURSE_TOOLS, GradeOptions
from grader.records import RESULT_FILE, read_result
from tests.corpus.arena import Arena, Listener, arena_secrets, open_arena, snapshot
from tests.corpus.cases import CASES, Case, build_all, honest_copy, write_corpus_rubric
from tests.corpus.verdicts import Around
from tests.student_data import CourseDataFactory


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
    static_before: dict[
        str, str
    ]  # the static batch's output folder once it was done, and after the quick one
    static_after: dict[str, str]

    def changed(self) -> set[str]:
        """Paths outside the work folders the grading changed, and the planted links' target if it exists."""
        changed = {
            path
            for path in self.before.keys() | self.after.keys()
            if self.before.get(path) != self.after.get(path)
        }
        return changed | ({str(self.arena.owned)} if self.arena.owned.exists() else set())

    def around(self, case: Case) -> Around:
        """What the case's verdicts look at besides its result.json."""
        static = {
            p
            for p in self.static_before.keys() | self.static_after.keys()
            if self.static_before.get(p) != self.static_after.get(p)
        }
        neighbour = self.out_dirs["quick"] / submission_id(self.arena.neighbour) / RESULT_FILE
        try:
            own = read_result(neighbour).submission_id == submission_id(self.arena.neighbour)
        except (OSError, ValueError):
            own = False
        watched = {
            "host": [f"changed outside the work folders: {sorted(self.changed())}"] if self.changed() else [],
            "static-results": [f"the quick batch changed the static batch's {sorted(static)}"]
            if static
            else [],
            "neighbour": [] if own else [f"{neighbour} is not the neighbour's result any more"],
        }
        folder = self.out_dirs[case.mode] / submission_id(self.submissions[case.name])
        return Around(folder, arena_secrets(self.arena, COURSE_TOOLS.parent), watched)


@pytest.fixture(scope="session")
def corpus_course(course_data_factory: CourseDataFactory) -> Path:
    """Synthetic course data with the real test-set size: 10,000 test images, so 9,999 rows is one short."""
    return course_data_factory(50000, relabel_seed=7)


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
    out_dirs = {mode: root / f"out-{mode}" for mode in inputs}  # cases.planting.STATIC_OUT names out-static
    summaries: dict[str, BatchSummary] = {}
    static_before: dict[str, str] = {}
    for mode in inputs:  # static first: the quick batch's attacks aim at its finished results too
        summaries[mode] = grade_batch(
            inputs[mode],
            GradeOptions(rubric=corpus_rubric, out_dir=out_dirs[mode], data_dir=corpus_course, mode=mode),
            workers=2,
            similarity_threshold=None,
            reports=False,
            progress=False,
        )
        if mode == "static":
            static_before = snapshot(out_dirs["static"])
    after = snapshot(*watched)
    static_after = snapshot(out_dirs["static"])
    yield GradedCorpus(
        arena,
        listener,
        submissions,
        out_dirs,
        summaries,
        corpus_rubric,
        before,
        after,
        static_before,
        static_after,
    )
    listener.close()
    arena.owned.unlink(missing_ok=True)  # only an attack that succeeded made it
    shutil.rmtree(root, ignore_errors=True)
