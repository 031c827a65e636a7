"""plan_notebook: a notebook keeps its own epochs on fewer training images when they fit the budget."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook

from grader.coursedata.quick import plan_notebook
from grader.rubric.model import QuickSpec, Subset

SUBSET = Subset(train=4000, val=500, test=500)


def spec(**budget: int) -> QuickSpec:
    return QuickSpec(
        overrides={"lab": {"EPOCHS": 5, "NUM_WORKERS": 0}}, subset=SUBSET, budget=budget, min_train=500
    )


def notebook(*sources: str):
    return new_notebook(cells=[new_code_cell(s) for s in sources])


def test_epochs_within_the_budget_are_kept_on_fewer_images() -> None:
    plan = plan_notebook(
        notebook("EPOCHS = 30", "train(EPOCHS)", "EPOCHS = 30\ntrain(EPOCHS)"), spec(lab=30000), "lab"
    )
    assert plan.overrides == {"NUM_WORKERS": 0}, "EPOCHS is left as the student wrote it"
    assert plan.subset == Subset(train=500, val=500, test=500), "60 epochs in all x 500 images = 30,000"
    assert "EPOCHS kept as written (60 epochs in all) on 500 training images" in (plan.note or "")


def test_a_short_run_keeps_the_whole_subset() -> None:
    plan = plan_notebook(notebook("EPOCHS = 2"), spec(lab=30000), "lab")
    assert plan.subset == SUBSET and "EPOCHS" not in plan.overrides


def test_beyond_the_budget_the_override_applies() -> None:
    plan = plan_notebook(notebook("EPOCHS = 200"), spec(lab=30000), "lab")
    assert plan.overrides == {"EPOCHS": 5, "NUM_WORKERS": 0} and plan.subset == SUBSET
    assert "200 epochs on 500 training images exceed its quick-mode budget of 30000" in (plan.note or "")


def test_without_a_budget_or_a_countable_epoch_setting_the_overrides_apply() -> None:
    assert plan_notebook(notebook("EPOCHS = 3"), spec(), "lab").overrides["EPOCHS"] == 5
    computed = notebook("EPOCHS = 3", "EPOCHS = int(os.environ['E'])")  # an expression cannot be counted
    assert plan_notebook(computed, spec(lab=30000), "lab").overrides["EPOCHS"] == 5
    assert plan_notebook(notebook("epochs = 3"), spec(lab=30000), "lab").note is None
