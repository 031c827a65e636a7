"""Where each manually graded question's answer is in a student's PDF report, for the TAs' review page.

Students label answers in many ways ("1.1", "Q1.1", "(1.1)", "Lab 1 (g)", a "Lab 1" heading and later a line
"(g)"). A label counts only where it opens a line, so a number in prose ("accuracy of 1.1%") is never taken
for a heading; an answer runs to the next line that opens with any question-like label. The report is a
student's file: it is size-checked before it is parsed, at most MAX_PAGES pages are read, and whatever the
PDF libraries raise on a broken or hostile file becomes a ReportError that names the file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from grader.errors import GraderError
from grader.intake.unpack import is_junk

MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PAGES = 80
MAX_ANSWER_CHARS = 3000
MAX_DEPTH = 3  # folders below the submission folder that report_pdf looks into
MAX_RENDER_PIXELS = 40_000_000  # a page ten metres tall is not rendered at full width
# pdfplumber's default (3) joins words that LaTeX and Word set close together; 1.5 keeps them apart on the
# reports tried and still joins the letters of a word.
X_TOLERANCE = 1.5

# pdfium is not thread-safe, and the review app may render two pages at once.
_PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class Answer:
    label: str  # the question's label, e.g. "1.1", "2.4.1", "Lab 1 (g)", "3 (b)"
    found: bool  # the label was found in the text layer
    page: int | None  # 1-based page where it was found (or the page to show), None when unknown
    text: str  # the answer text: from the label up to the next question's label (or a bound)
    scanned: bool  # the PDF has no text layer: show the page image instead


class ReportError(GraderError):
    """A report PDF that cannot be read: too large, not a PDF, truncated, encrypted or broken."""


# --- labels -------------------------------------------------------------------------------------------------

_TITLE_LABEL = re.compile(
    r"^\s*(?:(?P<lab>lab\s*\d+\s*\([a-z]\))|(?P<dotted>\d+(?:\.\d+)+)\.?|(?P<part>\d+\s*\([a-z]\)))(?=\s|$)",
    re.IGNORECASE,
)


def question_label(title: str) -> str | None:
    """The label a rubric item's title starts with ("1.1", "2.4.1", "Lab 1 (a)", "3 (b)"), or None."""
    match = _TITLE_LABEL.match(title)
    if match is None:
        return None
    return " ".join(match.group(match.lastgroup or 0).split())


# How a line may open before its label: a bullet, then "Problem", "Q", "Question"... and a bracket.
_START = r"^(?:[•·*\-–]\s+)?"
_PREFIX = r"(?:(?:problem|question|exercise|task|part|q)\.?\s*)?"
# A number ends where no digit and no ".digit" follows ("1.1" is not "1.10" nor "1.1.2").
_NUMBER_END = r"(?!\d|\.\d)"
_HEADING_END = r"(?=[\s.):\]\-–—]|$)"  # "1.1 ", "1.1.", "1.1)", "1.1:", "(1.1]": not "1.1%"
_PART_SEP = r"[\s,:.\-–]*"  # "Lab 1 (g)", "Lab1(g)", "Lab 1, (g)", "3.(b)"

_LABEL_LAB = re.compile(r"lab\s*(\d+)\s*\(([a-z])\)", re.IGNORECASE)
_LABEL_PART = re.compile(r"(\d+)\s*\(([a-z])\)", re.IGNORECASE)
_LABEL_DOTTED = re.compile(r"\d+(?:\.\d+)+")


def _part(letter: str) -> str:
    """ "(g)", "g)", "part (g)", "part g"."""
    letter = re.escape(letter)
    return rf"(?:(?:part\s*)?\(?{letter}\)|part\s*{letter}\b)"


def _label_pattern(label: str) -> re.Pattern[str]:
    """The lines that open with this label, in the spellings students use."""
    label = " ".join(label.split())
    if match := _LABEL_LAB.fullmatch(label):
        number, letter = match.groups()
        body = rf"lab\s*{number}{_NUMBER_END}{_PART_SEP}{_part(letter)}"
    elif match := _LABEL_PART.fullmatch(label):
        number, letter = match.groups()
        body = rf"{_PREFIX}{number}{_NUMBER_END}{_PART_SEP}{_part(letter)}"
    elif _LABEL_DOTTED.fullmatch(label):
        body = rf"{_PREFIX}[\[(]?{re.escape(label)}{_NUMBER_END}{_HEADING_END}"
    else:
        body = rf"{_PREFIX}{re.escape(label)}(?!\w)"
    return re.compile(_START + body, re.IGNORECASE)


def _section_part(label: str) -> tuple[str, int, str] | None:
    """("lab", 1, "g") for "Lab 1 (g)", ("num", 3, "b") for "3 (b)": a label that may be a "(g)" line under
    its section's heading."""
    label = " ".join(label.split())
    if match := _LABEL_LAB.fullmatch(label):
        return "lab", int(match.group(1)), match.group(2).lower()
    if match := _LABEL_PART.fullmatch(label):
        return "num", int(match.group(1)), match.group(2).lower()
    return None


# The headings that open a section: "Lab 1", "Lab1: LeNet-5", "Lab 2 (b) ..."; "Problem 3", "Q3", a line that
# is only "3" or "3.", "3 (b) ...". "3. We trained" is not one: numbered lists are common inside answers.
_LAB_HEADING = re.compile(_START + rf"lab\s*(\d+){_NUMBER_END}", re.IGNORECASE)
_NUM_HEADING = re.compile(
    _START
    + rf"(?:(?:problem|question|exercise|task|q)\.?\s*(\d+){_NUMBER_END}"
    + rf"|(\d+)\s*[.):]?\s*$|(\d+){_NUMBER_END}{_PART_SEP}\(?[a-z]\))",
    re.IGNORECASE,
)
# A section numbered as a LaTeX or Word template numbers it, titled by its lab: "2 Lab: Setting up the
# training pipeline" is the report's first lab (Lab 1), unless it names its own number ("2 Lab 1: LeNet-5").
_NUMBERED_LAB = re.compile(
    _START + rf"(\d+(?:\.\d+)*){_NUMBER_END}\s*[.):]?\s+lab\b(?:\s*(\d+))?", re.IGNORECASE
)
# "(g)", "g)", "Question (g)", and one line for two parts: "(c/d)", "(e, f)"
_LETTERS = r"[a-z](?:\s*[/,&]\s*[a-z])*"
_SUBPART = re.compile(_START + _PREFIX + rf"\(?({_LETTERS})\)", re.IGNORECASE)
_NUMBERED_PART = re.compile(_START + r"(\d+)\s*\(([a-z])\)", re.IGNORECASE)  # "2 (g)" in section 2
# Any question-like opening, which ends the answer before it: "1.1" (question numbers have no zero part, so
# a table row "0.01: 62%" or "1.0 ..." in a learning-rate answer is not one), "Lab N", "(x)", "Problem N", or
# a line that is only a number.
_ANY_HEADING = re.compile(
    _START
    + rf"(?:{_PREFIX}[\[(]?[1-9]\d?(?:\.[1-9]\d?)+{_NUMBER_END}{_HEADING_END}|lab\s*\d+{_NUMBER_END}"
    + rf"|{_PREFIX}\(?{_LETTERS}\)|(?:problem|question|exercise|task|q)\.?\s*\d+(?!\d)|\d+\s*[.):]?\s*$"
    + r"|\d+\s*\([a-z]\)|\d+(?:\.\d+)*\s*[.):]?\s+(?:lab|bonus)\b)",
    re.IGNORECASE,
)
_NUMBERS_ONLY = re.compile(r"^[\d.,%\s\-–+e]+$")  # a figure's tick labels: "2.5", "0 5 10 15 20"
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?$", re.IGNORECASE)
_TOC_ENTRY = re.compile(r"(?:\.\s*){4,}\d+$")  # "1.1 BatchNorm ........ 3"


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    page: int
    text: str


@dataclass(frozen=True)
class _Text:
    lines: list[_Line]
    pages_read: int
    page_count: int


def _check_file(pdf: Path) -> None:
    """Refuse, before any parser sees it, a file that is too large or plainly not a whole PDF."""
    try:
        info = pdf.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ReportError(f"{pdf}: not a regular file")
        if info.st_size > MAX_PDF_BYTES:
            size, limit = info.st_size / 2**20, MAX_PDF_BYTES / 2**20
            raise ReportError(f"{pdf}: {size:.0f} MB is over the {limit:.0f} MB a report may be")
        with pdf.open("rb") as handle:
            head = handle.read(1024)
            handle.seek(max(0, info.st_size - 2048))
            tail = handle.read()
    except OSError as exc:
        raise ReportError(f"{pdf}: cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise ReportError(f"{pdf}: the file is empty")
    if b"%PDF-" not in head:
        raise ReportError(f"{pdf}: not a PDF (it does not start with %PDF-)")
    if b"%%EOF" not in tail:
        raise ReportError(f"{pdf}: the PDF is truncated (it does not end with %%EOF)")


def _broken(pdf: Path, exc: BaseException) -> ReportError:
    """The parser's failure as a message naming the file; a password is said so, since it has a remedy."""
    # pdfminer raises PDFPasswordIncorrect (wrapped by pdfplumber); pdfium says "Incorrect password".
    causes = [exc, *exc.args, exc.__cause__, exc.__context__]
    encrypted = any(type(cause).__name__ == "PDFPasswordIncorrect" for cause in causes)
    if encrypted or "password" in str(exc).lower():
        return ReportError(f"{pdf}: the PDF is encrypted with a password; ask for an unprotected copy")
    detail = str(exc) or type(exc).__name__
    return ReportError(f"{pdf}: the PDF cannot be read ({detail})")


def _page_lines(raw: str, page: int) -> list[_Line]:
    lines = [" ".join(unicodedata.normalize("NFKC", line).split()) for line in raw.splitlines()]
    lines = [line for line in lines if line and not _TOC_ENTRY.search(line)]
    # A page number above or below the text would read as a heading "2" and end the answer it interrupts.
    if lines and _PAGE_NUMBER.fullmatch(lines[-1]):
        lines.pop()
    if lines and _PAGE_NUMBER.fullmatch(lines[0]):
        lines.pop(0)
    return [_Line(page, line) for line in lines]


def _read_text(pdf: Path) -> _Text:
    import pdfplumber  # imported here: only the review app needs it

    _check_file(pdf)
    lines: list[_Line] = []
    try:
        with pdfplumber.open(pdf) as document:
            count = len(document.pages)
            for number, page in enumerate(document.pages[:MAX_PAGES], start=1):
                lines += _page_lines(page.extract_text(x_tolerance=X_TOLERANCE) or "", number)
                page.close()  # frees the page's parsed objects: 80 pages of figures add up
    # pdfminer raises whatever its parser hit on a malformed file (PSEOF, KeyError, TypeError...): each is
    # the file's fault, and the TA is told which file rather than shown a traceback.
    except Exception as exc:
        raise _broken(pdf, exc) from exc
    return _Text(lines, min(count, MAX_PAGES), count)


# --- answers ------------------------------------------------------------------------------------------------


def _figure_noise(lines: list[_Line], index: int) -> bool:
    """A line of bare numbers beside another such line: a plot's tick labels, not a heading "1.5"."""
    if not _NUMBERS_ONLY.match(lines[index].text):
        return False
    neighbours = [lines[i].text for i in (index - 1, index + 1) if 0 <= i < len(lines)]
    return any(_NUMBERS_ONLY.match(text) for text in neighbours)


def _sections(lines: list[_Line]) -> Iterator[tuple[int | None, int | None]]:
    """For each line, the lab and the numbered problem it is under: a "Lab N" heading opens a lab (and leaves
    any problem); "Problem N" opens a problem (and leaves any lab); a bare "3" or "3 (b)" opens problem 3."""
    lab: int | None = None
    num: int | None = None
    numbered_labs = 0
    for index, line in enumerate(lines):
        if _figure_noise(lines, index):
            pass
        elif match := _NUMBERED_LAB.match(line.text):
            numbered_labs += 1
            section, named = match.groups()
            num, lab = int(section) if section.isdigit() else None, int(named or numbered_labs)
        elif match := _LAB_HEADING.match(line.text):
            lab, num = int(match.group(1)), None
        elif match := _NUM_HEADING.match(line.text):
            prefixed, alone, with_part = match.groups()
            num = int(prefixed or alone or with_part)
            if prefixed:
                lab = None
        yield lab, num


def _locate(label: str, lines: list[_Line], sections: list[tuple[int | None, int | None]]) -> int | None:
    """The first line that opens with LABEL, or that is its "(g)" line under its section's heading."""
    pattern = _label_pattern(label)
    under = _section_part(label)
    for index, line in enumerate(lines):
        if _figure_noise(lines, index):
            continue
        if pattern.match(line.text):
            return index
        if under is None:
            continue
        kind, number, letter = under
        lab, num = sections[index]
        subpart = _SUBPART.match(line.text)
        if subpart and letter in _letters(subpart) and (lab if kind == "lab" else num) == number:
            return index
        # "2 (g)" in the section "2 Lab: ..." that stands for Lab 1
        numbered = _NUMBERED_PART.match(line.text)
        if kind == "lab" and numbered and lab == number and _numbered(numbered) == (num, letter):
            return index
    return None


def _letters(match: re.Match[str]) -> set[str]:
    return set(re.findall(r"[a-z]", match.group(1).lower()))


def _numbered(match: re.Match[str]) -> tuple[int, str]:
    return int(match.group(1)), match.group(2).lower()


def _answer_text(lines: list[_Line], start: int, boundaries: list[bool]) -> str:
    parts = [lines[start].text]
    size = len(parts[0])
    for index in range(start + 1, len(lines)):
        if boundaries[index] or size > MAX_ANSWER_CHARS:
            break
        parts.append(lines[index].text)
        size += len(lines[index].text) + 1
    text = "\n".join(parts)
    return text if len(text) <= MAX_ANSWER_CHARS else text[: MAX_ANSWER_CHARS - 1] + "…"


@dataclass(frozen=True)
class ReportAnswers:
    pages: int  # the report's page count (all of them, also those past MAX_PAGES)
    answers: dict[str, Answer]


def find_answers(pdf: Path, labels: Sequence[str]) -> dict[str, Answer]:
    """One Answer per label, from one reading of the report's text layer (at most MAX_PAGES pages)."""
    return read_report(pdf, labels).answers


def read_report(pdf: Path, labels: Sequence[str]) -> ReportAnswers:
    """The answers of find_answers and the page count, from the same one reading of the file."""
    content = _read_text(pdf)
    return ReportAnswers(content.page_count, _answers(content, labels))


def _answers(content: _Text, labels: Sequence[str]) -> dict[str, Answer]:
    lines = content.lines
    if not lines:  # a scanned report: the app shows the rendered pages instead
        return {label: Answer(label, False, 1, "", True) for label in labels}
    patterns = [_label_pattern(label) for label in labels]
    boundaries = [
        not _figure_noise(lines, index)
        and (bool(_ANY_HEADING.match(line.text)) or any(p.match(line.text) for p in patterns))
        for index, line in enumerate(lines)
    ]
    sections = list(_sections(lines))
    missing = ""
    if content.page_count > content.pages_read:
        missing = (
            f"not found in the first {content.pages_read} of {content.page_count} pages "
            "(the rest of the report was not read)"
        )
    answers: dict[str, Answer] = {}
    for label in labels:
        index = _locate(label, lines, sections)
        if index is None:
            answers[label] = Answer(label, False, None, missing, False)
        else:
            text = _answer_text(lines, index, boundaries)
            answers[label] = Answer(label, True, lines[index].page, text, False)
    return answers


# --- pages --------------------------------------------------------------------------------------------------


def render_page(pdf: Path, page: int, width: int = 900) -> bytes:
    """PNG bytes of the 1-based PAGE, WIDTH pixels wide: what the TA sees of a scanned or figure-only page."""
    import pypdfium2

    if not 1 <= width <= 4000:
        raise ValueError(f"width {width} must be between 1 and 4000 pixels")
    _check_file(pdf)
    with _PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as exc:
            raise _broken(pdf, exc) from exc
        try:
            if not 1 <= page <= len(document):
                raise ReportError(f"{pdf}: has no page {page} (it has {len(document)})")
            handle = document[page - 1]
            page_width, page_height = handle.get_size()
            if page_width <= 0 or page_height <= 0:
                raise ReportError(f"{pdf}: page {page} has no size")
            scale = min(width / page_width, (MAX_RENDER_PIXELS / (page_width * page_height)) ** 0.5)
            image = handle.render(scale=scale).to_pil()
            handle.close()
        except pypdfium2.PdfiumError as exc:
            raise _broken(pdf, exc) from exc
        finally:
            document.close()
    if image.width != width and image.width * image.height <= MAX_RENDER_PIXELS:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- the report among the submission's files ----------------------------------------------------------------

_REPORT_NAME = re.compile(r"report", re.IGNORECASE)
_HOMEWORK_NAME = re.compile(r"(?<![a-z])(?:hw|homework)", re.IGNORECASE)


def _regular_files(folder: Path, depth: int = 0) -> Iterator[tuple[Path, int]]:
    """(path, size) of the regular files under FOLDER, MAX_DEPTH folders deep, never through a link."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and depth < MAX_DEPTH:
            yield from _regular_files(Path(entry.path), depth + 1)
        elif stat.S_ISREG(info.st_mode):
            yield Path(entry.path), info.st_size


def report_pdf(submission_dir: Path, pattern: str) -> Path | None:
    """The student's report among the files matching the rubric's glob: a name with "report" first, then
    "hw"/"homework", then the largest (a handout or a paper the student carries is rarely the biggest)."""
    candidates = []
    for path, size in _regular_files(submission_dir):
        relative = path.relative_to(submission_dir)
        target = relative.as_posix() if "/" in pattern else path.name
        if is_junk(relative.parts) or not fnmatch(target.lower(), pattern.lower()):
            continue
        rank = 0 if _REPORT_NAME.search(path.name) else 1 if _HOMEWORK_NAME.search(path.name) else 2
        candidates.append((rank, -size, relative.as_posix(), path))
    return min(candidates)[3] if candidates else None
