"""The tests mirror the code: every room of grader/ has a tests/<room>/ folder, and every such folder names a
room, a top-level package, or one of the few folders that test across rooms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

GRADER = REPO_ROOT / "grader"
TESTS = REPO_ROOT / "tests"
# Folders that test across rooms rather than one: the hostile corpus graded in batches, and a submission
# graded end to end through every stage.
CROSS_CUTTING = frozenset({"corpus", "pipeline"})


def grader_rooms() -> list[str]:
    """The subpackages of grader/: every folder in it that holds Python code."""
    return sorted(p.name for p in GRADER.iterdir() if p.is_dir() and any(p.glob("*.py")))


def top_level_packages() -> set[str]:
    return {p.parent.name for p in REPO_ROOT.glob("*/__init__.py")} - {GRADER.name}


def folders_under_tests() -> set[str]:
    return {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}


def test_the_rooms_are_found() -> None:
    """The tree walk sees the rooms the data flow passes through, so an empty list cannot pass vacuously."""
    assert {"intake", "static", "execute", "rubric"} <= set(grader_rooms())
    assert {"reference", "tools"} <= top_level_packages()


@pytest.mark.parametrize("room", grader_rooms())
def test_every_grader_room_has_its_tests(room: str) -> None:
    tests = sorted((TESTS / room).glob("test_*.py"))
    assert tests, f"grader/{room} has no tests: add them under tests/{room}/ (test_*.py)"


def test_every_test_folder_names_a_room() -> None:
    known = set(grader_rooms()) | top_level_packages() | CROSS_CUTTING
    strays = sorted(folders_under_tests() - known)
    assert not strays, (
        f"tests/{', tests/'.join(strays)} name no grader room, top-level package or cross-cutting folder: "
        f"rename to the room they test, or add to CROSS_CUTTING in {Path(__file__).name}"
    )
