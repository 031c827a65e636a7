"""Which report pages the grading page shows: none beside a found answer, every page of a scanned report, and
for a question the text search missed, the pages between the questions found before and after it."""

from __future__ import annotations

from pathlib import Path

from grader.review.answers import MAX_PAGES_SHOWN, Report
from grader.review.pages import pages_to_show
from grader.review.pdf_answers import Answer

LABELS = ["1.1", "1.2", "Lab 1 (g)", "Lab 1 (h)", "Lab 2 (a)"]


def report(pages: int, found: dict[str, int], scanned: bool = False) -> Report:
    answers = {
        label: Answer(label, label in found and not scanned, 1 if scanned else found.get(label), "", scanned)
        for label in LABELS
    }
    return Report(Path("report.pdf"), pages, answers)


def test_a_found_answer_shows_no_page() -> None:
    assert pages_to_show(report(9, {"1.1": 1}), "1.1", LABELS) == []


def test_a_scanned_report_shows_its_pages_up_to_the_bound() -> None:
    assert pages_to_show(report(3, {}, scanned=True), "1.2", LABELS) == [1, 2, 3]
    assert len(pages_to_show(report(40, {}, scanned=True), "1.2", LABELS)) == MAX_PAGES_SHOWN


def test_a_missed_answer_shows_the_pages_between_its_neighbours() -> None:
    # "Lab 1 (h)" (an unlabelled bonus) lies between (g) on page 4 and Lab 2 (a) on page 6
    found = {"1.1": 1, "1.2": 1, "Lab 1 (g)": 4, "Lab 2 (a)": 6}
    assert pages_to_show(report(9, found), "Lab 1 (h)", LABELS) == [4, 5, 6]
    assert pages_to_show(report(9, {"1.2": 2}), "1.1", LABELS) == [1, 2], "nothing before: from page 1"
    assert pages_to_show(report(9, {"Lab 1 (g)": 7}), "Lab 2 (a)", LABELS) == [7, 8, 9], "to the last page"
    assert pages_to_show(Report(None), "1.1", LABELS) == []
