import ast
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.static.predictions import read_predictions
from reference.cli import main
from reference.experiments import lab2, lab3, project2
from tests.paths import REPO_ROOT
from tests.reference.tiny_course import make_course_dir
from tools import layout

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_course_dir(tmp_path_factory.mktemp("course") / "data")


def _run(name: str, course: Path, out: Path, *extra: str) -> dict:
    args = [name, "--data", str(course), "--out", str(out), "--device", "cpu", "--threads", "1", *extra]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == name
    for file in results["files"]:
        assert (out / file).read_bytes().startswith(PNG_MAGIC), file
    return results


@pytest.mark.slow
def test_lab2_runs_every_study_and_the_final_run(course: Path, tmp_path: Path, one_thread: None) -> None:
    out = tmp_path / "lab2"
    results = _run("lab2", course, out, "--epochs", "2", "--budget-epochs", "1")
    studies = results["studies"]
    grid = {(r["crop_padding"], r["flip_prob"]) for r in studies["augmentation"]["runs"]}
    assert grid == {(p, f) for p in (0, 2, 4) for f in (0.0, 0.5)}
    assert [r["lr"] for r in studies["learning_rate"]["runs"]] == list(lab2.LEARNING_RATES)
    assert [r["weight_decay"] for r in studies["l2"]["runs"]] == [1e-2, 1e-3, 1e-4, 1e-5, 0.0]
    assert {(r["model"], r["lr"]) for r in studies["batchnorm_large_lr"]["runs"]} == {
        (m, lr) for m in ("lenet5", "lenet5_bn") for lr in (0.5, 1.0)
    }
    assert [r["model"] for r in studies["activation"]["runs"]] == list(lab2.ACTIVATION_MODELS)
    assert [r["penalty"] for r in studies["l1"]["runs"]] == ["l2", "l1"]
    assert 0.0 <= studies["l1"]["runs"][1]["near_zero_fraction"] <= 1.0
    for run in results["runs"].values():
        expected = 2 if run is results["runs"]["final"] else 1
        assert run["config"]["epochs"] == expected and len(run["epochs"]) <= expected
    final = results["final"]["config"]
    assert final["lr"] == studies["learning_rate"]["best"]
    assert final["weight_decay"] == studies["l2"]["best"]
    assert final["model"] == studies["activation"]["best"]
    assert (final["crop_padding"], final["flip_prob"]) == tuple(studies["augmentation"]["best"].values())
    assert results["passed"] == (results["final"]["best_val_acc"] >= 0.70)
    assert "weights_l1_l2.png" in results["files"] and "augmentation.png" in results["files"]
    assert len((out / "train-final.jsonl").read_text().splitlines()) == 2
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Lab 2") and "## (a) Data augmentation" in summary and "| --- |" in summary


def test_lab3_writes_scored_predictions(tmp_path: Path, one_thread: None) -> None:
    course = make_course_dir(tmp_path / "data")
    truth = np.random.default_rng(1).integers(0, layout.NUM_CLASSES, 32)
    (course / layout.HIDDEN_DIR).mkdir()
    np.save(course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS, truth)
    out = tmp_path / "lab3"
    results = _run("lab3", course, out, "--epochs", "1")
    lines = (out / "predictions.csv").read_text().splitlines()
    assert lines[0] == "Id,Label" and len(lines) == 33
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(32))
    labels = read_predictions(out / "predictions.csv", expected_rows=32).labels
    assert results["test_acc"] == pytest.approx(float(np.mean(labels == truth)))
    assert results["predictions"]["rows"] == 32 and results["files"] == ["curves.png"]
    assert results["recipe"]["model"] == "resnet20" and results["recipe"]["lr"] == 0.1
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Lab 3") and "test accuracy of predictions.csv" in summary


def test_lab3_without_hidden_labels_reports_no_test_accuracy(tmp_path: Path) -> None:
    assert lab3.score(np.zeros(4, dtype=np.int64), tmp_path / "missing.npy", 4) is None
    hidden = tmp_path / "labels.npy"
    np.save(hidden, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="expected 4 labels"):
        lab3.score(np.zeros(4, dtype=np.int64), hidden, 4)


def test_the_reference_never_imports_the_grader_that_grades_it() -> None:
    imported = set()
    for path in (REPO_ROOT / "reference").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add((path.name, node.module.split(".")[0]))
    assert {(name, module) for name, module in imported if module == "grader"} == set()


def test_lab3_milestones_follow_the_epoch_budget() -> None:
    assert lab3.milestones(182) == (91, 136)
    assert lab3.milestones(200) == (100, 150)
    assert lab3.milestones(2) == (1,)
    assert lab3.milestones(1) == ()


@pytest.mark.slow
def test_project2_records_bands_for_both_models(course: Path, tmp_path: Path, one_thread: None) -> None:
    out = tmp_path / "p2"
    extra = ("--epochs", "1", "--steps", "2", "--limit", "16", "--batch-size", "8")
    results = _run("project2", course, out, *extra)
    assert set(results["runs"]) == {"vgg_a", "vgg_a_bn"}
    for runs in results["runs"].values():
        assert set(runs) == {str(lr) for lr in project2.LEARNING_RATES}
        assert all(run["steps"] == 2 and run["max_beta"] > 0 for run in runs.values())
    assert set(results["bands"]) == {"loss", "grad_distance", "beta"}
    expected = ["curves.png", "loss_landscape.png", "gradient_predictiveness.png", "beta_smoothness.png"]
    assert results["files"] == expected
    series = json.loads((out / "series.json").read_text())
    assert len(series["vgg_a"]["0.001"]["loss"]) == 2 and len(series["vgg_a"]["0.001"]["beta"]) == 1
    assert (out / "summary.md").read_text().startswith("# Project 2")


def test_project2_refuses_a_single_step(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["project2", "--data", str(course), "--out", str(tmp_path), "--steps", "1"]
    assert main(args) == 2
    assert "--steps must be at least 2" in capsys.readouterr().err


def test_band_skips_nan_and_truncates() -> None:
    low, high = project2.band([np.array([1.0, np.nan, 3.0]), np.array([2.0, 5.0])])
    assert low.tolist() == [1.0, 5.0] and high.tolist() == [2.0, 5.0]


def test_lab3_fast_recipe_runs_on_the_cpu_without_compiling(tmp_path: Path, one_thread: None, capsys) -> None:
    course = make_course_dir(tmp_path / "data")
    results = _run("lab3", course, tmp_path / "fast", "--recipe", "fast", "--epochs", "2")
    recipe = results["recipe"]
    assert (recipe["schedule"], recipe["batch_size"], recipe["nesterov"]) == ("onecycle", 512, True)
    assert recipe["label_smoothing"] == 0.1 and recipe["compile"] is False  # no compile on the CPU
    assert len(results["run"]["epochs"]) == 2
    assert "s of training" in capsys.readouterr().out  # the time is printed beside the accuracy
