"""Fixtures shared by the suite: small synthetic course data, and the real CIFAR-10 when ../shared has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.coursedata import build_course_data
from tests.paths import REAL_CIFAR10
from tests.rubrics import tuned_f20_rubric
from tests.student_data import CourseDataFactory


@pytest.fixture(scope="session")
def real_cifar10() -> Path:
    """The official-layout pickles beside the repository; tests that need them skip when they are absent."""
    if not (REAL_CIFAR10 / "data_batch_1").is_file():
        pytest.skip(f"real CIFAR-10 not found at {REAL_CIFAR10} (../shared is absent on this machine)")
    return REAL_CIFAR10


@pytest.fixture(scope="session")
def course_data_factory(tmp_path_factory: pytest.TempPathFactory) -> CourseDataFactory:
    """Builds each size and seed of synthetic course data once a session: the folders are shared, so a test
    that changes one must work on its own copy."""
    built: dict[tuple[int, int | None], Path] = {}

    def course(images: int, relabel_seed: int | None = None) -> Path:
        key = (images, relabel_seed)
        if key not in built:
            out = tmp_path_factory.mktemp(f"course-{images}-seed-{relabel_seed}") / "course"
            build_course_data(f"synthetic:{images}", out, relabel_seed=relabel_seed)
            built[key] = out
        return built[key]

    return course


@pytest.fixture(scope="session")
def synthetic_course(course_data_factory: CourseDataFactory) -> Path:
    """Course data from 1,000 synthetic images (900 train / 100 val / 200 test), relabelled with seed 3."""
    return course_data_factory(1000, relabel_seed=3)


@pytest.fixture(scope="session")
def e2e_course(course_data_factory: CourseDataFactory) -> Path:
    """Synthetic course data large enough for the reference notebooks to clear the handout's thresholds."""
    return course_data_factory(3000, relabel_seed=5)


@pytest.fixture(scope="session")
def e2e_rubric(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The F20 rubric with a quick subset for e2e_course and limits that fit its runs on a loaded machine."""
    return tuned_f20_rubric(
        tmp_path_factory.mktemp("rubric") / "f20-e2e.yaml",
        {"train": 2700, "val": 300, "test": 200},
        quick_limits={"cell_timeout_s": 240, "notebook_timeout_s": 480},
    )


@pytest.fixture(scope="session")
def reference_sample(tmp_path_factory: pytest.TempPathFactory, e2e_course: Path, e2e_rubric: Path) -> Path:
    """The reference notebooks executed on e2e_course, with the predictions.csv Lab 3 wrote."""
    from grader.rubric import load_rubric
    from grader.samples.submissions import SAMPLE_EPOCHS, reference_submission

    out = tmp_path_factory.mktemp("samples") / "reference"
    return reference_submission(load_rubric(e2e_rubric), e2e_course, out, SAMPLE_EPOCHS)
