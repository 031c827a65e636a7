"""``grader batch``: what it hands the batch API when no option is given."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.batch.similarity import find_similar
from grader.cli import build_parser
from grader.commands import batch as batch_command


class Called(Exception):
    pass


def test_without_options_the_verb_calls_grade_batch_with_its_defaults(monkeypatch) -> None:
    calls: list[dict] = []

    def fake(input_dir: Path, options, **kwargs) -> None:
        calls.append(kwargs)
        raise Called

    args = build_parser().parse_args(["batch", "inbox", "--rubric", "r", "--out", "o"])
    monkeypatch.setattr(batch_command, "grade_batch", fake)
    with pytest.raises(Called):
        args.func(args)
    (kwargs,) = calls
    defaults = inspect.signature(grade_batch).parameters
    assert kwargs and all(value == defaults[name].default for name, value in kwargs.items())


def test_the_batch_and_the_similarity_verb_share_the_similarity_threshold() -> None:
    assert (
        inspect.signature(grade_batch).parameters["similarity_threshold"].default
        == inspect.signature(find_similar).parameters["threshold"].default
    )


def test_with_cluster_slurm_the_verb_calls_grade_on_slurm_with_its_defaults(monkeypatch) -> None:
    from grader.cluster import SlurmOptions, grade_on_slurm

    calls: list[tuple[SlurmOptions, dict]] = []

    def fake(input_dir: Path, options, cluster, **kwargs) -> None:
        calls.append((cluster, kwargs))
        raise Called

    args = build_parser().parse_args(["batch", "inbox", "--rubric", "r", "--out", "o", "--cluster", "slurm"])
    monkeypatch.setattr(batch_command, "grade_on_slurm", fake)
    with pytest.raises(Called):
        args.func(args)
    ((cluster, kwargs),) = calls
    assert cluster == SlurmOptions()
    defaults = inspect.signature(grade_on_slurm).parameters
    assert kwargs and all(value == defaults[name].default for name, value in kwargs.items())


def test_status_and_cancel_need_no_batch_options(tmp_path: Path, capsys) -> None:
    """They act on a batch left running; without one under OUT they say so."""
    from grader.cli import main

    for flag in ("--status", "--cancel"):
        with pytest.raises(SystemExit) as stop:
            main(["batch", flag, str(tmp_path)])
        assert stop.value.code == 2
        assert "no cluster batch was submitted into" in capsys.readouterr().err
