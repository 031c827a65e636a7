"""Fixtures shared by the suite: small synthetic course data, and the real CIFAR-10 when ../shared has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.coursedata import build_course_data

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
REAL_CIFAR10 = SHARED_DIR / "data" / "cifar10" / "cifar-10-batches-py"


@pytest.fixture(scope="session")
def real_cifar10() -> Path:
    """The official-layout pickles beside the repository; tests that need them skip when they are absent."""
    if not (REAL_CIFAR10 / "data_batch_1").is_file():
        pytest.skip(f"real CIFAR-10 not found at {REAL_CIFAR10} (../shared is absent on this machine)")
    return REAL_CIFAR10


@pytest.fixture(scope="session")
def synthetic_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Course data from 1,000 synthetic images (900 train / 100 val / 200 test), relabelled with seed 3."""
    out = tmp_path_factory.mktemp("course") / "synthetic"
    build_course_data("synthetic:1000", out, relabel_seed=3)
    return out
