"""``grader similarity`` on a graded OUT."""

from __future__ import annotations

import inspect
from pathlib import Path

from grader.batch.similarity import find_similar
from grader.cli import build_parser, main
from tests.batch.similar_code import ORIGINAL, graded_submission


def test_the_similarity_verb(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    graded_submission(out, "alice", ORIGINAL)
    graded_submission(out, "bob", ORIGINAL.replace("history", "record"))
    assert main(["similarity", str(out), "--rubric", "ece590-hw2-f20", "--threshold", "0.9"]) == 0
    printed = capsys.readouterr().out
    assert "alice  bob" in printed and "1 pairs at or above 90%" in printed


def test_similarity_defaults_are_find_similars() -> None:
    args = build_parser().parse_args(["similarity", "out"])
    defaults = inspect.signature(find_similar).parameters
    assert (args.threshold, args.rubric) == (defaults["threshold"].default, defaults["rubric"].default)
