"""What each page of the review app shows, gathered from the results, the grade store and the submission,
apart from the routes so that it can be read (and tested) without a request.

The store is the truth about grades: a result.json shows a grade only once it is merged, and a grade given
to an earlier version of the submission (another content hash) counts as not graded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.manual.store import ManualStore, StoredGrade
from grader.manual.validate import gradable_checks
from grader.records import RESULT_FILE, SUBMISSION_DIR, CheckResult, Result, read_result
from grader.report import load_batch
from grader.report.render import link
from grader.review.answers import MAX_PAGES_SHOWN, AnswerCache, Report
from grader.review.cells import relevant_cells
from grader.review.pdf_answers import question_label
from grader.rubric.model import Rubric

BY_ITEM, BY_STUDENT = "item", "student"


@dataclass(frozen=True)
class Slot:
    """One grade to give: a student's item, with the stored grade if any."""

    folder: Path
    result: Result
    check: CheckResult
    grade: StoredGrade | None

    @property
    def stale(self) -> bool:
        return self.grade is not None and self.grade.stale_for(self.result.input_sha256)

    @property
    def graded(self) -> bool:
        return self.grade is not None and not self.stale


class Review:
    """A results folder seen by the app: read again on every page, so other TAs' grades show at once."""

    def __init__(self, out_dir: Path, rubric: Rubric, store: ManualStore) -> None:
        self.out_dir, self.rubric, self.store = Path(out_dir), rubric, store
        self.answers = AnswerCache(rubric)
        self.items = {item.id: item for item in rubric.items}
        # the question labels in rubric order, which bound where an unlabelled answer can be
        self.labels = list(dict.fromkeys(q for item in rubric.items if (q := question_label(item.title))))

    def slots(self) -> list[Slot]:
        """Every gradable (student, item), by student then rubric order."""
        grades = {(g.submission_id, g.item_id): g for g in self.store.grades()}
        return [
            Slot(folder, result, check, grades.get((result.submission_id, check.id)))
            for folder, result in load_batch(self.out_dir).results
            for check in gradable_checks(result)
        ]

    def folder(self, submission_id: str) -> Path | None:
        """The result folder of a submission with something to grade, read alone (a page image asks for
        it, a dozen times a page: reading the class each time is wasted)."""
        folder = self.out_dir / submission_id
        if Path(submission_id).name != submission_id:
            return None
        try:
            result = read_result(folder / RESULT_FILE)
        except (OSError, ValueError):  # no such submission, or a record that is not one (pydantic's error)
            return None
        return folder if result.submission_id == submission_id and gradable_checks(result) else None

    def item_order(self, slots: list[Slot]) -> list[str]:
        present = {slot.check.id for slot in slots}
        return [item.id for item in self.rubric.items if item.id in present]

    def walk(self, slots: list[Slot], mode: str) -> list[Slot]:
        """The order Enter and j/k walk: students within an item (by question), or items within a student."""
        if mode == BY_STUDENT:
            return slots
        rank = {item_id: at for at, item_id in enumerate(self.item_order(slots))}
        return sorted(slots, key=lambda s: (rank[s.check.id], s.result.submission_id))

    def overview(self) -> dict[str, Any]:
        slots = self.slots()
        items = [
            {"item": self.items[item_id], **_progress([s for s in slots if s.check.id == item_id], BY_ITEM)}
            for item_id in self.item_order(slots)
        ]
        students = [
            {"id": sid, **_progress([s for s in slots if s.result.submission_id == sid], BY_STUDENT)}
            for sid in sorted({s.result.submission_id for s in slots})
        ]
        return {
            "items": items,
            "students": students,
            "graded": sum(s.graded for s in slots),
            "total": len(slots),
        }

    def slot(self, submission_id: str, item_id: str) -> Slot:
        for slot in self.slots():
            if slot.result.submission_id == submission_id and slot.check.id == item_id:
                return slot
        raise GraderError(f"{submission_id} has no item {item_id} for a TA to grade")

    def grading(self, submission_id: str, item_id: str, mode: str) -> dict[str, Any]:
        """Everything the grading form shows for one student's item."""
        walk = self.walk(self.slots(), mode)
        at = next(
            (
                i
                for i, s in enumerate(walk)
                if (s.result.submission_id, s.check.id) == (submission_id, item_id)
            ),
            None,
        )
        if at is None:
            raise GraderError(f"{submission_id} has no item {item_id} for a TA to grade")
        slot, item = walk[at], self.items.get(item_id)
        report = self.answers.report(slot.folder)
        label = question_label(slot.check.title)
        answer = report.answers.get(label) if label else None
        pages = pages_to_show(report, label, self.labels) if report.problem is None else []
        same = [
            s
            for s in walk
            if (s.check.id if mode == BY_ITEM else s.result.submission_id)
            == (item_id if mode == BY_ITEM else submission_id)
        ]
        return {
            "slot": slot,
            "item": item,
            "mode": mode,
            "answer_key": (item.answer_key if item else None) or slot.check.evidence.get("answer_key"),
            "evidence": {k: v for k, v in slot.check.evidence.items() if k != "answer_key"},
            "label": label,
            "report": report,
            "answer": answer,
            "pages": pages,
            "cells": relevant_cells(slot.folder / SUBMISSION_DIR, label, self.rubric),
            "comments": self.store.rubric_comments(item_id),
            "here": url(mode, slot),
            "previous": url(mode, walk[at - 1]) if at > 0 else None,
            "next": url(mode, walk[at + 1]) if at + 1 < len(walk) else None,
            "position": (same.index(slot) + 1, len(same)),
            "ungraded_for_item": sum(not s.graded for s in walk if s.check.id == item_id and s is not slot),
        }


def _progress(slots: list[Slot], mode: str) -> dict[str, Any]:
    """How far SLOTS (one item's, or one student's) are graded, and where grading them goes on."""
    first = next((s for s in slots if not s.graded), slots[0])
    return {"graded": sum(s.graded for s in slots), "total": len(slots), "href": url(mode, first)}


def pages_to_show(report: Report, label: str | None, labels: list[str]) -> list[int]:
    """The report pages to show beside an answer the text search did not give: every page of a scanned
    report; for a label not found, the pages from the previous found question's page to the next one's
    (in rubric order), where the unlabelled answer must be; none when the answer was found."""
    answer = report.answers.get(label) if label else None
    if report.pdf is None or not report.pages or (answer is not None and answer.found and not answer.scanned):
        return []
    first, last = 1, report.pages
    if answer is not None and not answer.scanned and label in labels:
        at = labels.index(label)
        before = [a.page for key in labels[:at] if (a := report.answers.get(key)) and a.found and a.page]
        after = [a.page for key in labels[at + 1 :] if (a := report.answers.get(key)) and a.found and a.page]
        first, last = (before[-1] if before else 1), (after[0] if after else report.pages)
    return list(range(first, max(first, last) + 1))[:MAX_PAGES_SHOWN]


def url(mode: str, slot: Slot) -> str:
    sid, item_id = slot.result.submission_id, slot.check.id
    parts = (BY_ITEM, item_id, sid) if mode == BY_ITEM else (BY_STUDENT, sid, item_id)
    return "/" + link(*parts)
