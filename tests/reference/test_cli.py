import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reference.cli import build_parser, main
from tests.paths import REPO_ROOT
from tests.reference.tiny_course import make_course_dir
from tools import layout

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_lab1_end_to_end_on_tiny_arrays(tmp_path: Path) -> None:
    data, out = make_course_dir(tmp_path / "data"), tmp_path / "out"
    command = [sys.executable, "-m", "reference", "lab1", "--data", str(data), "--out", str(out)]
    command += ["--epochs", "1", "--device", "cpu", "--threads", "1"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "best val accuracy" in done.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "lab1" and results["ln10"] == pytest.approx(math.log(10))
    assert set(results["runs"]) == {"default", "kaiming"}
    assert results["runs"]["kaiming"]["config"]["init"] == "kaiming"
    for run in results["runs"].values():
        assert len(run["epochs"]) == 1 and run["config"]["epochs"] == 1
        assert 0.0 <= run["best_val_acc"] <= 1.0 and run["initial_loss"] > 0
    assert results["passed"] == (results["runs"]["default"]["best_val_acc"] >= 0.63)
    assert results["files"] == ["curves.png", "init_comparison.png"]
    for name in results["files"]:
        assert (out / name).read_bytes().startswith(PNG_MAGIC)
    for init in ("default", "kaiming"):
        assert len((out / f"train-{init}.jsonl").read_text().splitlines()) == 1
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Lab 1") and "(ln 10 = 2.3026)" in summary and "| --- |" in summary
    assert "Kaiming-normal init" in summary


def test_lab1_without_init_comparison(tmp_path: Path) -> None:
    threads = torch.get_num_threads()
    args = ["lab1", "--data", str(make_course_dir(tmp_path / "data")), "--out", str(tmp_path / "out")]
    args += ["--epochs", "1", "--device", "cpu", "--threads", "1", "--no-init-comparison"]
    try:
        assert main(args) == 0
    finally:
        torch.set_num_threads(threads)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(results["runs"]) == {"default"} and results["files"] == ["curves.png"]
    assert not (tmp_path / "out" / "init_comparison.png").exists()


def test_missing_data_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab1", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert layout.TRAIN_IMAGES in capsys.readouterr().err


def test_every_experiment_shares_the_common_options() -> None:
    args = build_parser().parse_args(["lab1", "--data", "d", "--out", "o", "--epochs", "3", "--seed", "5"])
    assert (args.experiment, args.epochs, args.seed, args.device) == ("lab1", 3, 5, "auto")
