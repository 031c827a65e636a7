"""Grading through the app: what is refused is shown beside the field and nothing is stored; a second TA's
save never overwrites unseen; a rubric comment applies to many at once; a changed submission's grade is
stale; every save reaches result.json, the reports and the gradebook."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from grader.manual.refresh import refresh
from grader.manual.store import ManualStore
from grader.records import read_result, write_result
from tests.report.helpers import F20
from tests.review.helpers import STUDENTS, client, results_folder, save


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("2.5", "outside 0 to 2"),
        ("-1", "outside 0 to 2"),
        ("two", "is not a number"),
        ("nan", "not a finite"),
    ],
)
def test_bad_points_are_shown_beside_the_field_and_nothing_is_stored(
    tmp_path: Path, points: str, message: str
) -> None:
    out = results_folder(tmp_path / "out")
    response = save(client(out), "alice", "tf.1.1", points, comment="kept")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="points-error"' in html and message in html
    assert ">kept</textarea>" in html  # what the TA typed is still there
    assert not ManualStore(out).grades()
    assert not (out / "gradebook.csv").exists()


def test_a_save_refreshes_the_result_the_report_and_the_gradebook(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    before = read_result(out / "alice/result.json").score
    started = time.perf_counter()
    response = save(client(out, grader="tess"), "alice", "lab1.g", "6.5", comment="curves <b>fine</b>")
    elapsed = time.perf_counter() - started
    assert response.status_code == 302
    result = read_result(out / "alice/result.json")
    assert result.score == before + 6.5
    check = next(c for c in result.checks if c.id == "lab1.g")
    assert check.ta_grade is not None and check.ta_grade.grader == "tess"
    report = (out / "alice/report.html").read_text()
    assert "graded by tess: 6.5 of 8" in report and "curves &lt;b&gt;fine&lt;/b&gt;" in report
    rows = {row["submission_id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["alice"]["lab1.g"] == "6.5" and rows["bob"]["lab1.g"] == ""
    assert float(rows["alice"]["total"]) == result.score
    assert (out / "index.html").is_file()
    assert elapsed < 5, f"a save took {elapsed:.1f} s on three students"


def test_enter_goes_to_the_next_student_and_the_walk_continues_with_the_next_item(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    first = test_client.get("/item/tf.1.1/alice").get_data(as_text=True)
    assert 'name="then" value="/item/tf.1.1/bob"' in first and 'id="previous"' not in first
    last = test_client.get("/item/tf.1.1/carol").get_data(as_text=True)
    assert 'id="next" href="/item/tf.1.2/alice"' in last
    by_student = test_client.get("/student/alice/tf.1.1").get_data(as_text=True)
    assert 'id="next" href="/student/alice/tf.1.2"' in by_student
    response = test_client.post(
        "/grade/item/alice/tf.1.1", data={"points": "1", "version": "0", "then": "/item/tf.1.1/bob"}
    )
    assert response.headers["Location"] == "/item/tf.1.1/bob"
    evil = test_client.post(
        "/grade/item/bob/tf.1.1", data={"points": "1", "version": "0", "then": "//evil.example/"}
    )
    assert evil.headers["Location"] == "/"


def test_the_overview_counts_graded_items_in_rubric_order(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    save(test_client, "alice", "tf.1.1", "2")
    save(test_client, "bob", "tf.1.1", "0")
    html = test_client.get("/").get_data(as_text=True)
    manual = 22  # the manual items of ece590-hw2-f20
    assert f"2 of {manual * len(STUDENTS)} graded" in html
    assert html.index("tf.1.1") < html.index("tf.1.10") < html.index("lab1.a") < html.index("lab2.c.l1")
    assert "2 of 3 graded" in html  # tf.1.1
    assert f"2 of {manual} graded" not in html and f"1 of {manual} graded" in html  # alice, bob
    assert 'href="/item/tf.1.1/carol"' in html  # the first student still to grade


def test_two_tas_at_once_lose_nothing(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    first, second = client(out, grader="ann"), client(out, grader="ben")
    assert 'name="version" value="0"' in second.get("/item/lab1.g/alice").get_data(as_text=True)
    assert save(first, "alice", "lab1.g", "7", comment="ann's view").status_code == 302
    late = save(second, "alice", "lab1.g", "3", version=0, comment="ben's view")
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert 'id="conflict"' in html and "ann gave 7 of 8" in html and "ann&#39;s view" in html
    assert 'value="3"' in html and "ben&#39;s view</textarea>" in html  # ben's typing is kept
    assert 'name="version" value="1"' in html  # saving again now replaces ann's grade knowingly
    assert ManualStore(out).grade("alice", "lab1.g").points == 7
    assert save(second, "alice", "lab1.g", "3", version=1, comment="ben's view").status_code == 302
    history = ManualStore(out).history("alice", "lab1.g")
    assert [(c.grader, c.points) for c in history] == [("ann", 7), ("ben", 3)]


def test_clear_grade_makes_the_item_ungraded_again(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    save(test_client, "alice", "tf.1.1", "2")
    assert 'id="clear"' in test_client.get("/item/tf.1.1/alice").get_data(as_text=True)
    response = test_client.post("/grade/item/alice/tf.1.1", data={"action": "clear", "version": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/item/tf.1.1/alice"
    assert ManualStore(out).grade("alice", "tf.1.1") is None
    check = next(c for c in read_result(out / "alice/result.json").checks if c.id == "tf.1.1")
    assert check.awaits_ta and check.points == 0


def test_a_rubric_comment_fills_the_form_and_applies_to_every_ungraded_student(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    save(test_client, "alice", "tf.1.3", "2", comment="alice's own")
    added = test_client.post(
        "/comment/item/bob/tf.1.3", data={"text": "False, with a reason", "points": "1.5"}
    )
    assert added.status_code == 302
    html = test_client.get("/item/tf.1.3/bob").get_data(as_text=True)
    assert 'data-text="False, with a reason" data-points="1.5"' in html
    assert "apply to all ungraded students" in html
    [comment] = ManualStore(out).rubric_comments("tf.1.3")
    applied = test_client.post("/apply/item/bob/tf.1.3", data={"comment_id": str(comment.id)})
    assert applied.status_code == 302
    grades = {g.submission_id: g for g in ManualStore(out).grades() if g.item_id == "tf.1.3"}
    assert grades["alice"].points == 2 and grades["alice"].comment == "alice's own"  # graded: untouched
    assert grades["bob"].points == grades["carol"].points == 1.5
    assert grades["carol"].comment == "False, with a reason"
    assert "graded by tess: 1.5 of 2" in (out / "carol/report.html").read_text()
    over = test_client.post("/comment/item/bob/tf.1.3", data={"text": "too many", "points": "3"})
    assert over.status_code == 400 and "outside 0 to 2" in over.get_data(as_text=True)


def test_a_grade_given_to_an_earlier_version_is_stale(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    save(test_client, "alice", "tf.1.1", "2")
    path = out / "alice/result.json"
    write_result(read_result(path).model_copy(update={"input_sha256": "cd" * 32}), path)
    overview = test_client.get("/").get_data(as_text=True)
    assert "0 of 3 graded" in overview  # tf.1.1: the stale grade does not count
    page = test_client.get("/item/tf.1.1/alice").get_data(as_text=True)
    assert 'id="stale"' in page and "stale: graded on an earlier version, check again" in page
    refresh(out, F20, ["alice"])  # what re-grading the submission does after writing its new result
    report = (out / "alice/report.html").read_text()
    assert "stale: graded on an earlier version, check again" in report
    assert next(c for c in read_result(path).checks if c.id == "tf.1.1").points == 0
    assert save(test_client, "alice", "tf.1.1", "2", version=1).status_code == 302
    assert "graded by tess: 2 of 2" in (out / "alice/report.html").read_text()


def test_an_unknown_item_or_student_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    test_client = client(results_folder(tmp_path / "out"))
    for path in ("/item/tf.1.1/nobody", "/item/lab1.c/alice", "/student/alice/nothing"):
        response = test_client.get(path)
        assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)
    assert save(test_client, "alice", "lab1.c", "1").status_code == 404  # automatic: not a TA's


def test_an_inconclusive_check_is_graded_with_the_graders_evidence(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out", ("alice",))
    path = out / "alice/result.json"
    result = read_result(path)
    checks = [
        c.model_copy(
            update={
                "status": "inconclusive",
                "points": 0.0,
                "message": "the kernel died",
                "evidence": {"x": 1},
            }
        )
        if c.id == "lab1.c"
        else c
        for c in result.checks
    ]
    write_result(result.model_copy(update={"checks": checks}), path)
    test_client = client(out)
    assert "lab1.c" in test_client.get("/").get_data(as_text=True)
    html = test_client.get("/item/lab1.c/alice").get_data(as_text=True)
    assert "What the grader found" in html and "the kernel died" in html
    maximum = next(c.max_points for c in checks if c.id == "lab1.c")
    assert save(test_client, "alice", "lab1.c", f"{maximum:g}").status_code == 302
    graded = next(c for c in read_result(path).checks if c.id == "lab1.c")
    assert graded.points == maximum and not graded.awaits_ta
