"""The students' pre-check: their course data as they keep it, no hidden labels, a fix for every failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main
from grader.execute.host import TRANSPORT_ENV
from grader.paths import REFERENCE_NOTEBOOKS
from grader.precheck import course_data_view
from grader.records import RESULT_FILE, read_result
from grader.report.causes import group_failures
from grader.rubric import load_rubric, resolve_rubric
from tests.paths import REPO_ROOT, STUDENT_TEMPLATE
from tests.student_data import CourseDataFactory, student_data
from tools import layout

F20_SPEC = load_rubric(resolve_rubric("ece590-hw2-f20"))


@pytest.fixture(scope="module")
def course_zips(tmp_path_factory: pytest.TempPathFactory, course_data_factory: CourseDataFactory) -> Path:
    """The course data as students get it: the two zips only (built from 2,000 synthetic images)."""
    return student_data(
        course_data_factory(2000, relabel_seed=3), tmp_path_factory.mktemp("student-data") / "data"
    )


def test_zips_are_unpacked_into_a_view_without_hidden_labels(synthetic_course: Path, tmp_path: Path) -> None:
    only_zips = student_data(synthetic_course, tmp_path / "data")
    with course_data_view(only_zips) as view:
        assert sorted(p.name for p in view.iterdir()) == sorted(layout.TRAINVAL_FILES + layout.TEST_FILES)
        unpacked = view
    assert not unpacked.exists()  # a temporary view
    assert sorted(p.name for p in only_zips.iterdir()) == sorted(
        a.name for a in synthetic_course.glob("*.zip")
    )

    # the .npy files of a folder with hidden labels (a TA's copy): linked, hidden/ left out
    with course_data_view(synthetic_course) as view:
        assert not (view / layout.HIDDEN_DIR).exists()
        assert (view / layout.TRAIN_IMAGES).resolve() == (synthetic_course / layout.TRAIN_IMAGES).resolve()


def test_missing_course_data_is_explained(tmp_path: Path, capsys) -> None:
    (tmp_path / "lenet5-cifar10.ipynb").write_text("{}")
    assert main(["precheck", str(tmp_path)]) == 2
    assert "no course data at" in capsys.readouterr().err
    (tmp_path / "data").mkdir()
    assert main(["precheck", str(tmp_path)]) == 2
    assert "cifar10_trainval_*.zip" in capsys.readouterr().err


@pytest.mark.slow
def test_the_blank_template_fails_with_a_fix_for_each_failure(
    course_zips: Path, tmp_path: Path, capsys
) -> None:
    homework = tmp_path / "homework"
    shutil.copytree(STUDENT_TEMPLATE, homework, symlinks=False)
    shutil.copytree(course_zips, homework / "data")
    assert main(["precheck", str(homework)]) == 1
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    # each notebook stops at its first `raise NotImplementedError`: that cause leads, with a fix, and the
    # failures that follow from it are collapsed under it
    cause = "  Fix this first: lenet5-cifar10.ipynb cell 4 raised NotImplementedError: your code — "
    at = next(i for i, line in enumerate(lines) if line.startswith(cause))
    assert " -- fix: " in lines[at] and "checks below depend on it" in lines[at]
    under = [line for line in lines[at + 1 :] if line.startswith("    FAIL ")]
    assert any(line.startswith("    FAIL lab1.c:") for line in under)
    assert any(line.startswith("    FAIL lab1.f.params:") for line in under)
    alone = [line for line in lines if line.startswith("  FAIL ")]
    assert all(" -- fix: " in line for line in alone)
    assert "  TODO executed.lenet5:" in printed  # not run yet: a reminder, not a failure
    assert "lab3.b: skipped" in printed and "TAs" in printed
    assert printed.rstrip().splitlines()[-1].startswith("FAILED:")


@pytest.mark.slow
def test_the_reference_solution_passes(course_zips: Path, tmp_path: Path, capsys) -> None:
    homework = tmp_path / "homework"
    homework.mkdir()
    for notebook in REFERENCE_NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, homework)
    shutil.copytree(course_zips, homework / "data")
    code = main(["precheck", str(homework), "--rubric", "ece590-hw2-f20", "--out", str(tmp_path / "kept")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "  FAIL " not in printed and printed.rstrip().splitlines()[-1].startswith("OK:")
    assert list((tmp_path / "kept").glob("*/notebooks/lenet5-cifar10.ipynb"))  # executed copies kept
    assert sorted(p.name for p in (homework / "data").iterdir()) == sorted(
        p.name for p in course_zips.iterdir()
    )


@pytest.fixture(scope="module")
def blank_precheck(course_zips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The blank template pre-checked twice: as usual (in the sandbox where there is one), and as on a
    student's laptop: a PATH without bwrap and the kernel forced onto TCP, in a process of its own."""
    root = tmp_path_factory.mktemp("blank")
    homework = root / "homework"
    shutil.copytree(STUDENT_TEMPLATE, homework, symlinks=False)
    shutil.copytree(course_zips, homework / "data")
    assert main(["precheck", str(homework), "--out", str(root / "usual")]) == 1
    empty_path = root / "bin"  # nothing on it: no bwrap, as on macOS, Windows or Colab
    empty_path.mkdir()
    env = {**os.environ, "PATH": str(empty_path), TRANSPORT_ENV: "tcp", "PYTHONPATH": str(REPO_ROOT)}
    laptop = subprocess.run(
        [sys.executable, "-m", "grader", "precheck", str(homework), "--out", str(root / "laptop")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert laptop.returncode == 1, laptop.stderr[-2000:]
    return {
        "usual": read_result(root / "usual" / "homework" / RESULT_FILE),
        "laptop": read_result(root / "laptop" / "homework" / RESULT_FILE),
        "printed": laptop.stdout,
    }


@pytest.mark.slow
def test_without_bwrap_and_over_tcp_the_verdicts_are_the_usual_ones(blank_precheck: dict[str, Any]) -> None:
    usual, laptop = blank_precheck["usual"], blank_precheck["laptop"]
    assert laptop.sandboxed is False and laptop.environment["kernel_transport"] == "tcp"
    assert [(c.id, c.status, c.message) for c in laptop.checks] == [
        (c.id, c.status, c.message) for c in usual.checks
    ]
    assert any(c.status == "fail" for c in laptop.checks)  # the comparison covers failures, not only passes
    first = blank_precheck["printed"].splitlines()[0]
    assert first.startswith("NOTE: no sandbox here (bubblewrap (bwrap) is not installed")
    assert "your own code on your own machine" in first and "kernel over tcp" in first


@pytest.mark.slow
def test_the_blank_templates_failures_follow_from_each_notebooks_first_gap(
    blank_precheck: dict[str, Any],
) -> None:
    result = blank_precheck["usual"]
    grouped = group_failures(result)
    # one cause per notebook: each stops at its first `raise NotImplementedError`
    assert [c.key for c in grouped.causes] == [spec.key for spec in F20_SPEC.notebooks]
    assert all(
        c.run.status == "cell-error" and "NotImplementedError" in (c.run.error or "") for c in grouped.causes
    )
    lenet = grouped.causes[0]
    assert {"lab1.c", "lab1.e.optimizer", "lab1.f.params", "lab1.f.learns"} <= {c.id for c in lenet.checks}
    # every failure that reads a run sits under its notebook's cause; what stands alone reads no run
    assert all(c.reads_run is None for c in grouped.independent)
    assert sum(len(c.checks) for c in grouped.causes) >= 10
