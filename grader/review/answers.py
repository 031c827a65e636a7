"""The students' answers from their PDF reports, read once per submission and kept in memory: reading a
PDF takes a while, and a TA walks many items of the same student."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader.records import SUBMISSION_DIR
from grader.review.pdf_answers import Answer, ReportError, question_label, read_report, report_pdf
from grader.rubric.model import Rubric

MAX_PAGES_SHOWN = 12


@dataclass(frozen=True)
class Report:
    """One submission's report: where it is, its pages, and the answers found per question label."""

    pdf: Path | None
    pages: int = 0
    answers: dict[str, Answer] = field(default_factory=dict)
    problem: str | None = None  # why it could not be read (a ReportError's message)


class AnswerCache:
    """Reports by submission folder, read on first use; safe for the threaded server."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self._reports: dict[tuple[Path, float], Report] = {}
        self._lock = threading.Lock()

    def report(self, folder: Path) -> Report:
        pattern = self.rubric.report.filename if self.rubric.report else None
        pdf = report_pdf(folder / SUBMISSION_DIR, pattern) if pattern else None
        if pdf is None:
            return Report(None)
        key = (pdf, pdf.stat().st_mtime)
        with self._lock:
            if key not in self._reports:
                self._reports[key] = self._read(pdf)
            return self._reports[key]

    def _read(self, pdf: Path) -> Report:
        labels = sorted({label for item in self.rubric.items if (label := question_label(item.title))})
        try:
            read = read_report(pdf, labels)
        except ReportError as exc:
            return Report(pdf, problem=str(exc))
        return Report(pdf, read.pages, read.answers)
