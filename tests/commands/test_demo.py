"""``grader demo``: the whole job offline, on the embedded default."""

from __future__ import annotations

import inspect
from pathlib import Path

from grader.cli import build_parser, main
from grader.commands.demo import run_demo


def test_demo_runs_offline_on_the_embedded_default(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "building course data from synthetic:3000" in out
    assert "| | total | 2700 | 300 | 600 |" in out
    assert "4 submissions in" in out and "4 graded" in out
    assert (tmp_path / "demo" / "graded" / "index.html").is_file()
    assert (tmp_path / "demo" / "graded" / "reference" / "report.html").is_file()


def test_demo_defaults_are_run_demos() -> None:
    args = vars(build_parser().parse_args(["demo"]))
    for name, parameter in inspect.signature(run_demo).parameters.items():
        assert args[name] == parameter.default, name
