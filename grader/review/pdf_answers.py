"""STAND-IN, to be replaced by the real module when its branch is merged: the students' answers read from
their PDF reports. Same signatures, the least behaviour the review app needs (text search per page)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError


@dataclass(frozen=True)
class Answer:
    label: str
    found: bool
    page: int | None
    text: str
    scanned: bool


class ReportError(GraderError):
    """The report PDF cannot be read."""


_LABEL = re.compile(r"^\s*((?:Lab\s+\d+\s+)?\([a-z]\)|\d+\.\d+)")


def question_label(title: str) -> str | None:
    """The question label a rubric item's title starts with: "1.1 ..." -> "1.1", "Lab 1 (g) ..." -> ..."""
    match = _LABEL.match(title)
    return match.group(1) if match else None


def _pages(pdf: Path) -> list[str]:
    import pdfplumber

    try:
        with pdfplumber.open(pdf) as doc:
            return [page.extract_text() or "" for page in doc.pages]
    except Exception as exc:  # pdfminer raises many kinds for a broken file
        raise ReportError(f"{pdf.name} cannot be read as a PDF: {exc}") from None


def find_answers(pdf: Path, labels: Sequence[str]) -> dict[str, Answer]:
    """Per label: the text from the label to the end of its page (first page that holds it)."""
    pages = _pages(pdf)
    scanned = not any(text.strip() for text in pages)
    answers = {}
    for label in labels:
        answers[label] = Answer(label, False, None, "", scanned)
        for number, text in enumerate(pages, start=1):
            match = re.search(re.escape(label) + r"(?![0-9])", text)
            if match:
                answers[label] = Answer(label, True, number, text[match.start() :].strip(), scanned)
                break
    return answers


def render_page(pdf: Path, page: int, width: int = 900) -> bytes:
    """Page PAGE (from 1) of PDF as a PNG WIDTH pixels wide."""
    import pypdfium2

    try:
        doc = pypdfium2.PdfDocument(pdf)
    except Exception as exc:
        raise ReportError(f"{pdf.name} cannot be read as a PDF: {exc}") from None
    try:
        if not 1 <= page <= len(doc):
            raise ReportError(f"{pdf.name} has no page {page}")
        sheet = doc[page - 1]
        image = sheet.render(scale=width / sheet.get_width()).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    finally:
        doc.close()


def report_pdf(submission_dir: Path, pattern: str) -> Path | None:
    """The submission's report: the first file matching the rubric's glob PATTERN (None: there is none)."""
    found = sorted(path for path in Path(submission_dir).glob(pattern) if path.is_file())
    return found[0] if found else None
