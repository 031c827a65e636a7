"""The shipped rubrics load and add up; a broken rubric is reported with its file, line and field."""

from __future__ import annotations

import copy
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.errors import GraderError
from grader.rubric import (
    CHECK_KINDS,
    DEFAULT_MODES,
    MODEL_NAMES,
    RUBRICS_DIR,
    RubricError,
    available_rubrics,
    load_rubric,
    resolve_rubric,
)
from grader.rubric.model import DEFAULT_PACKAGES
from grader.template import TemplateError, check_template_dir
from tests.paths import REPO_ROOT, STUDENT_TEMPLATE

F20 = RUBRICS_DIR / "ece590-hw2-f20.yaml"
ECE661 = RUBRICS_DIR / "ece661-hw2.yaml"
NNDL = RUBRICS_DIR / "nndl-project2.yaml"

MINIMAL = {
    "name": "mini",
    "title": "Mini",
    "course": "C",
    "term": "T",
    "data_api": "train_flag",
    "total_points": 10,
    "bonus_points": 2,
    "cap": 10,
    "format_deduction": 0.2,
    "notebooks": [{"key": "lab1", "filename": "lab1.ipynb", "lab": "Lab 1", "model": "lenet5"}],
    "predictions": {"headers": [["Id", "Label"]], "produced_by": "lab1"},
    "report": {"filename": "*.pdf"},
    "limits": {
        "cell_timeout_s": 60,
        "notebook_timeout_s": 120,
        "memory_mb": 1024,
        "max_processes": 8,
        "max_file_mb": 10,
        "full": {"cell_timeout_s": 3600, "notebook_timeout_s": 7200},
    },
    "quick": {"overrides": {"lab1": {"EPOCHS": 1}}, "subset": {"train": 100, "val": 50, "test": 50}},
    "items": [
        {"id": "runs", "title": "runs", "points": 4, "check": "runs", "notebook": "lab1"},
        {
            "id": "acc",
            "title": "accuracy",
            "points": 6,
            "check": "val_accuracy",
            "notebook": "lab1",
            "params": {"threshold": 0.63},
        },
        {
            "id": "bonus",
            "title": "bonus",
            "points": 2,
            "bonus": True,
            "check": "manual",
            "answer_key": "ln 10",
        },
    ],
}


def write_rubric(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(tmp_path: Path, change) -> str:
    data = copy.deepcopy(MINIMAL)
    change(data)
    with pytest.raises(RubricError) as info:
        load_rubric(write_rubric(tmp_path, data))
    message = str(info.value)
    assert message.startswith(str(tmp_path / "broken.yaml"))
    return message


def part_totals(path: Path) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for item in load_rubric(path).items:
        if not item.bonus:
            totals[
                ".".join(item.id.split(".")[:2]) if item.id.startswith("lab") else item.id.split(".")[0]
            ] += item.points
    return dict(totals)


# ---------------------------------------------------------------- shipped rubrics


def test_all_shipped_rubrics_load():
    assert available_rubrics() == ["ece590-hw2-f20", "ece590-lab2-f19", "ece661-hw2", "nndl-project2"]
    for name in available_rubrics():
        assert load_rubric(resolve_rubric(name)).name == name


def test_f20_adds_up_to_the_handout():
    rubric = load_rubric(F20)
    assert (rubric.total_points, rubric.bonus_points, rubric.cap, rubric.format_deduction) == (
        100,
        10,
        100,
        0.2,
    )
    assert sum(i.points for i in rubric.items if i.bonus) == 10
    totals = part_totals(F20)
    assert totals["tf"] == 20
    handout = {"a": 2, "b": 4, "c": 4, "d": 2, "e": 4, "f": 10, "g": 8}
    assert {k: totals[f"lab1.{k}"] for k in handout} == handout
    assert (totals["lab2.a"], totals["lab2.b"], totals["lab2.c"]) == (6, 12, 12)
    assert (totals["lab3.a"], totals["lab3.b"]) == (4, 12)
    assert [rubric.item(f"tf.1.{n}").points for n in range(1, 11)] == [2] * 10


def test_f19_adds_up_to_the_handout():
    rubric = load_rubric(RUBRICS_DIR / "ece590-lab2-f19.yaml")
    assert (rubric.total_points, rubric.bonus_points, rubric.format_deduction) == (125, 10, 0.0)
    parts: dict[str, float] = defaultdict(float)
    for entry in rubric.items:
        if not entry.bonus and entry.id.startswith("a"):
            parts[".".join(entry.id.split(".")[:2])] += entry.points
    handout = {"a1.a": 10, "a2.a": 10, "a2.b": 10, "a2.c": 5, "a3.a": 10, "a3.b": 10, "a3.c": 5}
    handout |= {"a4.a": 10, "a4.b": 10, "a4.c": 5, "a5.accuracy": 35, "a5.report": 5}
    assert dict(parts) == handout
    assert [rubric.item(i).params["threshold"] for i in ("a5.accuracy", "a5.bonus85", "a5.bonus90")] == [
        0.8,
        0.85,
        0.9,
    ]


def test_f19_files_and_data_api():
    rubric = load_rubric(RUBRICS_DIR / "ece590-lab2-f19.yaml")
    assert [nb.filename for nb in rubric.notebooks] == ["lenet5-cifar10.ipynb", "mydnn-cifar10.ipynb"]
    assert rubric.data_api == "train_flag"
    assert rubric.predictions.headers == [("Id", "Category")] and rubric.predictions.terms == ("F19",)


def test_f20_files_data_api_and_quick_settings():
    rubric = load_rubric(F20)
    assert [nb.filename for nb in rubric.notebooks] == [
        "lenet5-cifar10.ipynb",
        "lenet5-cifar10-dev.ipynb",
        "resnet-cifar10.ipynb",
    ]
    assert rubric.data_api == "train_flag"
    assert rubric.predictions.headers == [("Id", "Label"), ("Id", "Category")]
    assert rubric.predictions.rows == 10_000
    assert all(1 <= settings["EPOCHS"] <= 5 for settings in rubric.quick.overrides.values()), (
        "quick stays short"
    )
    assert set(rubric.quick.overrides) == {nb.key for nb in rubric.notebooks}
    assert rubric.quick.subset.train < 45_000 and rubric.quick.subset.test < 10_000
    assert rubric.limits_for("quick").notebook_timeout_s < rubric.limits_for("full").notebook_timeout_s
    assert rubric.item("lab1.f.accuracy").params["threshold"] == 0.63
    assert rubric.item("lab2.c.accuracy").params["threshold"] == 0.70
    holdout = rubric.item("lab3.b")
    assert holdout.check == "holdout_accuracy" and holdout.params["threshold"] == 0.90
    assert holdout.partial is not None and holdout.partial.floor < 0.90


def test_f20_manual_items_carry_answer_keys():
    rubric = load_rubric(F20)
    manual = [item for item in rubric.items if item.check == "manual"]
    assert all(item.answer_key for item in manual)
    assert "2.303" in rubric.item("lab1.g").answer_key
    assert rubric.item("tf.1.1").answer_key.startswith("False")
    assert rubric.item("lab1.h").bonus and rubric.item("lab2.c.l1").bonus


def test_ece661_and_nndl_add_up():
    ece661 = load_rubric(ECE661)
    assert (ece661.total_points, ece661.bonus_points) == (100, 10)
    assert ece661.data_api == "mode"
    assert ece661.predictions.headers == [("Id", "Label")]
    assert ece661.predictions.produced_by == "save_predictions"
    assert {nb.filename for nb in ece661.notebooks} >= {
        "simplenn-cifar10.ipynb",
        "save_test_predictions.ipynb",
    }
    totals = part_totals(ECE661)
    assert (totals["tf"], totals["comp"]) == (15, 15)
    nndl = load_rubric(NNDL)
    assert (nndl.total_points, nndl.bonus_points, nndl.predictions) == (90, 10, None)


def test_model_names_match_the_reference_zoo():
    from reference.models import MODELS

    assert set(MODEL_NAMES) == set(MODELS)


def test_parameter_expectations_match_the_reference_models():
    from reference.models import build_model, count_parameters

    rubric = load_rubric(F20)
    assert count_parameters(build_model("lenet5")) == rubric.item("lab1.f.params").params["expected"]
    resnet = rubric.item("lab3.a.params").params
    assert count_parameters(build_model("resnet20")) == resnet["expected"]
    projection = count_parameters(build_model("resnet20", shortcut="B"))
    assert abs(projection - resnet["expected"]) <= resnet["tolerance"]
    assert (
        count_parameters(build_model("simplenn"))
        == load_rubric(ECE661).item("lab1.f.params").params["expected"]
    )


def test_check_kinds_constant_and_default_modes():
    assert len(CHECK_KINDS) == 19
    assert {"file_present", "holdout_accuracy", "predictions_agreement", "manual"} <= set(CHECK_KINDS)
    assert set(DEFAULT_MODES) == set(CHECK_KINDS)
    assert DEFAULT_MODES["manual"] == () and DEFAULT_MODES["predictions_agreement"] == ("full",)


def test_limits_resolve_per_mode(tmp_path):
    rubric = load_rubric(write_rubric(tmp_path, MINIMAL))
    assert rubric.limits_for("static").cell_timeout_s == 60
    assert rubric.limits_for("quick").cell_timeout_s == 60
    full = rubric.limits_for("full")
    assert (full.cell_timeout_s, full.notebook_timeout_s, full.memory_mb) == (3600, 7200, 1024)


def test_default_modes_follow_the_check_and_can_be_overridden(tmp_path):
    data = copy.deepcopy(MINIMAL)
    data["items"][0]["modes"] = ["full"]
    rubric = load_rubric(write_rubric(tmp_path, data))
    assert rubric.item("runs").automatic_modes == ("full",)
    assert rubric.item("acc").automatic_modes == ("static", "quick", "full", "audit")
    assert rubric.item("bonus").automatic_modes == ()


# ---------------------------------------------------------------- broken rubrics


def test_resolve_unknown_rubric_lists_the_shipped_ones():
    with pytest.raises(GraderError, match="ece590-hw2-f20"):
        resolve_rubric("ece590-hw9")


def test_missing_file(tmp_path):
    with pytest.raises(RubricError, match="not found"):
        load_rubric(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nitems: [\n  {id: a,, b}\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"broken.yaml: not valid YAML: line 3, column \d+"):
        load_rubric(path)


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(RubricError, match="expected a mapping of rubric fields at the top level, found list"):
        load_rubric(path)


def test_unknown_check_kind_names_the_item_and_field(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][0].update(check="runs_fast"))
    assert "items[0] (id 'runs').check" in message
    assert "'runs_fast'" in message and "'holdout_accuracy'" in message


def test_unknown_notebook_key(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][1].update(notebook="lab9"))
    assert "items[1] (id 'acc').notebook: 'lab9' is not a notebook key; the keys are lab1" in message


def test_notebook_check_without_notebook(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][0].pop("notebook"))
    assert "items[0] (id 'runs').notebook: check runs needs a notebook" in message


def test_duplicate_item_ids(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][1].update(id="runs"))
    assert "items[1] (id 'runs').id: 'runs' is used twice (items[0] has it too)" in message


def test_point_totals_name_both_numbers(tmp_path):
    message = broken(tmp_path, lambda d: d.update(total_points=12))
    assert "total_points: 12, but the non-bonus items add up to 10" in message
    message = broken(tmp_path, lambda d: d.update(bonus_points=0))
    assert "bonus_points: 0, but the bonus items add up to 2" in message


def test_misspelt_field_is_reported_not_ignored(tmp_path):
    def misspell(data):
        data["items"][0]["pionts"] = data["items"][0].pop("points")

    message = broken(tmp_path, misspell)
    assert "items[0] (id 'runs').pionts: unknown field" in message
    assert "items[0] (id 'runs').points: this field is required" in message


def test_manual_item_needs_an_answer_key(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][2].pop("answer_key"))
    assert "items[2] (id 'bonus').answer_key: a manual item needs an answer key" in message


def test_required_param_must_be_a_number(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][1]["params"].update(threshold="6.3e-1"))
    assert "items[1] (id 'acc').params.threshold: '6.3e-1' is not a number" in message
    message = broken(tmp_path, lambda d: d["items"][1]["params"].update(threshold=63))
    assert "must be a fraction in (0, 1]" in message
    message = broken(tmp_path, lambda d: d["items"][1].update(params={}))
    assert "check val_accuracy needs params.threshold" in message


def test_partial_floor_must_be_below_threshold(tmp_path):
    message = broken(tmp_path, lambda d: d["items"][1].update(partial={"floor": 0.7}))
    assert "items[1] (id 'acc').partial.floor: floor 0.7 must be below threshold 0.63" in message


def test_unknown_model_and_predictions_producer(tmp_path):
    message = broken(tmp_path, lambda d: d["notebooks"][0].update(model="resnet18"))
    assert "notebooks[0].model" in message and "'resnet18'" in message
    message = broken(tmp_path, lambda d: d["predictions"].update(produced_by="lab3"))
    assert "predictions.produced_by: 'lab3' is not a notebook key" in message


def test_quick_override_must_be_a_literal(tmp_path):
    message = broken(tmp_path, lambda d: d["quick"]["overrides"]["lab1"].update(EPOCHS=[1]))
    assert "quick.overrides.lab1.EPOCHS: [1] must be a number or a string" in message
    message = broken(tmp_path, lambda d: d["quick"]["overrides"].update(lab7={"EPOCHS": 1}))
    assert "quick.overrides.lab7: 'lab7' is not a notebook key" in message


def test_cell_timeout_cannot_exceed_notebook_timeout(tmp_path):
    message = broken(tmp_path, lambda d: d["limits"]["full"].update(cell_timeout_s=9000))
    assert "limits.full: cell_timeout_s 9000 exceeds notebook_timeout_s 7200 in full mode" in message


def test_problems_point_at_the_yaml_line(tmp_path):
    text = F20.read_text(encoding="utf-8").replace("check: criterion", "check: criterio")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, content in enumerate(text.splitlines(), 1) if "check: criterio" in content)
    with pytest.raises(RubricError, match=rf"line {line}, items\[\d+\] \(id 'lab1.e.criterion'\).check"):
        load_rubric(path)


def test_duplicate_yaml_key_is_reported_with_both_lines(tmp_path):
    text = F20.read_text(encoding="utf-8").replace("    points: 12\n", "    points: 12\n    points: 11\n", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    first = next(n for n, content in enumerate(text.splitlines(), 1) if content == "    points: 12")
    with pytest.raises(
        RubricError, match=rf"line {first + 1}, .*points: key appears twice \(first on line {first}\)"
    ):
        load_rubric(path)


def test_several_problems_are_listed(tmp_path):
    def two(data):
        data["items"][0]["check"] = "nope"
        data["items"][1]["points"] = -1

    message = broken(tmp_path, two)
    assert ": 2 problems:" in message
    assert "items[0] (id 'runs').check" in message and "items[1] (id 'acc').points" in message


def test_the_course_environment_defaults_to_what_make_setup_installs(tmp_path):
    rubric = load_rubric(write_rubric(tmp_path, MINIMAL))
    assert rubric.environment.packages == DEFAULT_PACKAGES
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {canonicalize_name(Requirement(spec).name) for spec in declared}
    assert {canonicalize_name(package) for package in DEFAULT_PACKAGES} <= names


def test_a_rubric_may_list_its_own_environment_and_a_bad_name_is_located(tmp_path):
    data = {**copy.deepcopy(MINIMAL), "environment": {"packages": ["torchsummary", "opencv-python"]}}
    assert load_rubric(write_rubric(tmp_path, data)).environment.packages == ("torchsummary", "opencv-python")
    message = broken(
        tmp_path, lambda d: d.__setitem__("environment", {"packages": ["seaborn", "not a name"]})
    )
    assert "environment.packages[1]" in message and "'not a name' is not a package name" in message


def test_the_term_template_is_a_folder_of_notebooks_where_it_is_used(tmp_path):
    """A pip-installed pre-check has no templates: the rubric loads, and the batch or similarity pass that
    needs the folder says what is wrong with it, naming the rubric's field."""
    data = {**copy.deepcopy(MINIMAL), "template": "student_template/no-such-term"}
    rubric = load_rubric(write_rubric(tmp_path, data))
    with pytest.raises(TemplateError, match=r"the rubric's template \('student_template/no-such-term'\)"):
        check_template_dir(rubric.template_dir, f"the rubric's template ({rubric.template!r}):")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TemplateError, match=r"holds no notebooks \(\*\.ipynb\)"):
        check_template_dir(tmp_path / "empty")
    assert load_rubric(resolve_rubric("ece661-hw2")).template_dir == STUDENT_TEMPLATE / "ece661"
    assert load_rubric(resolve_rubric("ece590-hw2-f20")).template_dir is None  # the F20 template, derived


def test_audit_epochs_come_from_the_rubric_or_a_share_of_the_claim_and_never_pass_it() -> None:
    from grader.rubric.model import AuditSpec

    spec = AuditSpec(epochs={"lenet5": 3}, share=0.05)
    assert spec.epochs_for("lenet5", 30) == 3
    assert spec.epochs_for("lenet5", 2) == 2  # a two-epoch curve is audited at its last epoch
    assert spec.epochs_for("lenet5", 0) == 3  # nothing claimed: the run still stops there
    assert spec.epochs_for("resnet", 200) == 10
    assert spec.epochs_for("resnet", 30) == 2  # ceil(1.5)
    assert spec.epochs_for("resnet", 4) == 1  # at least one epoch
    assert AuditSpec(epochs={"lenet5": 3}).epochs_for("resnet", 200) is None
