"""``grader grade`` and the grading options it shares with ``grader batch``."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import build_parser
from grader.commands.grade import grading_options
from grader.pipeline import GradeOptions


@pytest.mark.parametrize("verb", [["grade", "alice.zip"], ["batch", "inbox"]])
def test_without_options_a_verb_grades_with_the_pipelines_defaults(verb: list[str]) -> None:
    args = build_parser().parse_args([*verb, "--rubric", "r", "--out", "o"])
    assert grading_options(args) == GradeOptions(rubric="r", out_dir=Path("o"))
