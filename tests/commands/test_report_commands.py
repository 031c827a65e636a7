"""``grader report`` and ``grader gradescope`` as a TA or Gradescope runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.report import validate_gradescope
from grader.rubric import RUBRICS_DIR
from tests.crafted import hidden_labels
from tests.report.helpers import class_results, training_notebook, write_batch, write_notebook
from tools.predictions import write_predictions


def test_report_renders_every_page(tmp_path: Path, capsys) -> None:
    out = write_batch(tmp_path / "out", *class_results())
    assert main(["report", str(out), "--rubric", "ece590-hw2-f20"]) == 0
    printed = capsys.readouterr().out
    assert "4 student reports" in printed and "dashboard:" in printed and "gradebook:" in printed
    for sid in ("alice", "bob", "carol", "evil<b>"):
        assert (out / sid / "report.html").is_file()
    assert (out / "index.html").is_file() and (out / "gradebook.csv").is_file()


def test_report_goes_on_past_an_unreadable_record_and_says_so(tmp_path: Path, capsys) -> None:
    out = write_batch(tmp_path / "out", class_results()[0])
    (out / "broken").mkdir()
    (out / "broken" / "result.json").write_text("[]")
    assert main(["report", str(out), "--rubric", "ece590-hw2-f20"]) == 1
    assert "skipped" in capsys.readouterr().out and "broken" in (out / "index.html").read_text()
    assert (out / "alice" / "report.html").is_file()


def test_report_of_a_missing_folder_is_a_message(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "nope"), "--rubric", "ece590-hw2-f20"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.fixture
def gradescope_layout(tmp_path: Path, synthetic_course: Path) -> dict[str, Path]:
    """Gradescope's folders, elsewhere: a submission, the course data and a rubric for 200 test rows."""
    data = yaml.safe_load((RUBRICS_DIR / "ece590-hw2-f20.yaml").read_text())
    data["predictions"]["rows"] = 200
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))
    submission = tmp_path / "autograder" / "submission"
    for name, accuracy in [("lenet5-cifar10", 0.66), ("lenet5-cifar10-dev", 0.75), ("resnet-cifar10", 0.9)]:
        write_notebook(submission / f"{name}.ipynb", training_notebook([accuracy - 0.1, accuracy]))
    write_predictions(hidden_labels(synthetic_course), submission / "predictions.csv")
    (submission / "report.pdf").write_bytes(b"%PDF-1.4\n")
    return {"submission": submission, "data": synthetic_course, "rubric": rubric}


def test_gradescope_end_to_end(tmp_path: Path, gradescope_layout: dict[str, Path], capsys) -> None:
    results = tmp_path / "autograder" / "results" / "results.json"
    args = ["gradescope", "--rubric", str(gradescope_layout["rubric"]), "--results", str(results)]
    args += ["--submission", str(gradescope_layout["submission"]), "--data", str(gradescope_layout["data"])]
    assert main(args) == 0
    payload = json.loads(results.read_text())
    assert validate_gradescope(payload) == []
    tests = {t["tags"][0]: t for t in payload["tests"] if "tags" in t}
    assert tests["lab3.b"]["status"] == "passed" and tests["lab3.b"]["score"] == 12  # all 200 rows right
    assert tests["lab1.f.accuracy"]["status"] == "passed"  # claimed 66% in static mode
    assert tests["lab1.c"]["status"] == "failed" and "not checked in static mode" in tests["lab1.c"]["output"]
    assert tests["tf.1.1"]["visibility"] == "after_published"
    assert payload["score"] == sum(t["score"] for t in payload["tests"]) > 0
    assert payload["extra_data"]["mode"] == "static"
    assert f"{payload['score']:g} / 100" in capsys.readouterr().out


def test_gradescope_without_course_data_is_a_message(tmp_path: Path, gradescope_layout, capsys) -> None:
    args = ["gradescope", "--rubric", str(gradescope_layout["rubric"]), "--results", str(tmp_path / "r.json")]
    args += ["--submission", str(gradescope_layout["submission"]), "--data", str(tmp_path / "none")]
    assert main(args) == 2
    assert "no course data" in capsys.readouterr().err and not (tmp_path / "r.json").exists()
