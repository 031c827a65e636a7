"""The ``grader`` command as a user runs it: exit codes and messages, not tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.cli import main


def test_data_build_and_show(tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "data",
                "build",
                "--source",
                "synthetic:500",
                "--out",
                str(tmp_path / "d"),
                "--relabel-seed",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "train 450, val 50, test 100" in out and "relabelled with seed 1" in out
    assert main(["data", "show", str(tmp_path / "d"), "--png", str(tmp_path / "s.png")]) == 0
    table = capsys.readouterr().out
    assert "| | total | 450 | 50 | 100 |" in table
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_bad_source_is_a_message_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "data",
            "build",
            "--source",
            str(tmp_path / "absent"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "absent does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_offline_on_the_embedded_default(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "building course data from synthetic:3000" in out
    assert "| | total | 2700 | 300 | 600 |" in out
    assert "4 submissions in" in out and "4 graded" in out
    assert (tmp_path / "demo" / "graded" / "index.html").is_file()
    assert (tmp_path / "demo" / "graded" / "reference" / "report.html").is_file()
