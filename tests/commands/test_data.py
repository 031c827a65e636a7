"""grader data build and show as a TA runs them: messages and exit codes, no tracebacks."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from grader.cli import build_parser, main
from grader.coursedata import build_course_data


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


def test_data_build_defaults_are_build_course_datas() -> None:
    args = vars(build_parser().parse_args(["data", "build", "--source", "synthetic", "--out", "d"]))
    for name, parameter in inspect.signature(build_course_data).parameters.items():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            assert args[name] == parameter.default, name
