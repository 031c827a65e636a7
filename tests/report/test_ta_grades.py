"""The reports once a TA graded: the gradebook has the TA's points, the dashboard's note counts only what
still awaits a TA, Gradescope's test carries the TA's points and the summary says the score includes them,
and a stale grade is shown as stale, not counted."""

from __future__ import annotations

from pathlib import Path

from grader.manual.merge import rescore
from grader.records import Result, TAGrade
from grader.report import render_dashboard, render_student_report, to_gradescope
from grader.report.gradebook import gradebook_frame
from tests.report.helpers import F20, make_result, write_batch


def graded(result: Result, **grades: TAGrade) -> Result:
    return rescore(F20, result, {item.replace("_", "."): grade for item, grade in grades.items()})


def test_gradebook_dashboard_and_gradescope_count_the_tas_points(tmp_path: Path) -> None:
    manual = [item for item in F20.items if item.check == "manual"]
    alice = graded(
        make_result("alice"), tf_1_1=TAGrade(points=1.5, comment="half <i>right</i>", grader="ann")
    )
    bob = graded(make_result("bob"), tf_1_1=TAGrade(points=2, grader="ann", stale=True))
    frame = gradebook_frame([alice, bob], F20).set_index("submission_id")
    assert frame.loc["alice", "tf.1.1"] == 1.5 and frame.isna().loc["bob", "tf.1.1"]
    assert frame.isna().loc["alice", "tf.1.2"]

    out = write_batch(tmp_path / "out", alice, bob)
    total = sum(item.points for item in manual)
    dashboard = render_dashboard(out, F20).read_text()
    grades = 2 * len(manual) - 1
    assert f"{grades} grades across the class, up to {total:g} points a student" in dashboard

    report = render_student_report(out / "alice", F20).read_text()
    assert "graded by ann: 1.5 of 2" in report and "half &lt;i&gt;right&lt;/i&gt;" in report
    assert f"{total - 2:g} points are graded by a TA" in report
    assert "The score includes 1.5 points graded by a TA." in report
    stale = render_student_report(out / "bob", F20).read_text()
    assert "stale: graded on an earlier version, check again" in stale

    payload = to_gradescope(alice)
    test = next(t for t in payload["tests"] if "tf.1.1" in t["tags"])
    assert test["score"] == 1.5 and test["output"].startswith("Graded by ann: 1.5 of 2.")
    assert "The score includes 1.5 points graded by a TA (1 item)." in payload["output"]
    assert f"{total - 2:g} points are graded by a TA and are not in this score yet." in payload["output"]
    assert payload["score"] == alice.score
    bob_test = next(t for t in to_gradescope(bob)["tests"] if "tf.1.1" in t["tags"])
    assert bob_test["score"] == 0 and "0 here is not your grade" in bob_test["output"]
