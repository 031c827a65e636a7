"""Answers found in crafted reports: the spellings students use for labels, numbers in prose that are not
labels, answers across a page break, scanned reports, broken files, and the report among a folder's PDFs."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pdfplumber
import pytest
import yaml
from fpdf import FPDF
from PIL import Image, ImageDraw

from grader.review.pdf_answers import (
    MAX_ANSWER_CHARS,
    MAX_PAGES,
    ReportError,
    find_answers,
    question_label,
    render_page,
    report_pdf,
)
from grader.rubric import RUBRICS_DIR

LOREM = (
    "The activations of each channel are normalised over the batch, then scaled and shifted by two learnt "
    "parameters, so the mean the next layer sees is whatever the network learns it should be. "
)


class _Report(FPDF):
    def footer(self) -> None:  # a page number, as LaTeX and Word put one, which must not read as a heading
        self.set_y(-15)
        self.set_font("Helvetica", size=9)
        self.cell(0, 10, str(self.page_no()), align="C")


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with one text line (or wrapped paragraph) per string, each list on a page of its own."""
    pdf = _Report()
    pdf.set_auto_page_break(True, margin=20)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for line in lines:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_report(path: Path) -> Path:
    """A report in the style of the real ones: a title, Problem 1 with an answer that starts on page 1 and
    ends on page 2, then the labs with "(a)" lines under a "Lab 1" heading and an inline "Lab 2 (b)"."""
    problems = [
        "ECE 590 Homework 2: Jane Student (js123)",
        "Problem 1",
        "1.1 False. BN normalises each mini-batch, but the learnt shift moves the mean away from zero.",
        "1.2 True. The graph is built as the code runs; our model reached an accuracy of 1.1% above the "
        "baseline when we printed tensors mid-training, with version 1.1 of the logging library. "
        + LOREM
        * 10,
        "1.10 True. " + LOREM * 12,
    ]
    labs = [
        "Lab 1",
        "(a) We printed the output shape of every layer and compared it with the LeNet-5 paper.",
        "(g) The initial loss is 2.30, which is ln(10) for ten equally likely classes.",
        "The curves flatten after 20 epochs.",
        "Lab 2 (b) BatchNorm lets the learning rate be ten times larger.",
        "Lab 2 (c) The learning rates compared:",
        "2.5",
        "2.0",
        "1.5",
        "1.0",
        "0 5 10 15 20",
        "0.01 gave the best validation accuracy.",
    ]
    return write_pdf(path, [problems + labs])


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return write_report(tmp_path / "report.pdf")


LABELS = ["1.1", "1.2", "1.3", "1.5", "1.10", "Lab 1 (a)", "Lab 1 (g)", "Lab 1 (h)", "Lab 2 (b)", "Lab 2 (c)"]


def test_each_answer_is_found_on_its_page_with_its_text(report: Path) -> None:
    answers = find_answers(report, LABELS)
    assert set(answers) == set(LABELS)
    first = answers["1.1"]
    assert (first.found, first.page, first.scanned) == (True, 1, False)
    assert first.text.startswith("1.1 False. BN normalises")
    assert "1.2" not in first.text and "True" not in first.text
    assert answers["1.2"].text.startswith("1.2 True.") and "version 1.1" in answers["1.2"].text
    assert "1.10" not in answers["1.2"].text
    assert answers["Lab 1 (a)"].page == 2 and answers["Lab 1 (a)"].text.startswith("(a) We printed")
    assert "(g)" not in answers["Lab 1 (a)"].text
    initial = answers["Lab 1 (g)"]
    assert (initial.found, initial.page) == (True, 2)
    assert initial.text == (
        "(g) The initial loss is 2.30, which is ln(10) for ten equally likely classes.\n"
        "The curves flatten after 20 epochs."
    )
    assert answers["Lab 2 (b)"].text == "Lab 2 (b) BatchNorm lets the learning rate be ten times larger."


def test_an_answer_runs_across_the_page_break_and_not_into_the_next_section(report: Path) -> None:
    with pdfplumber.open(report) as document:
        first, second = (page.extract_text() for page in document.pages)
    assert "1.10 True" in first and "it should be." in second.split("Lab 1")[0], "1.10 must cross the break"
    answer = find_answers(report, ["1.10"])["1.10"]
    assert (answer.found, answer.page) == (True, 1)
    assert answer.text.startswith("1.10 True. The activations")
    assert answer.text.count("learns it should be") == 12, "the part on page 2 is missing"
    assert "Lab 1" not in answer.text
    assert not any(line == "1" or line == "2" for line in answer.text.splitlines()), "a page number got in"


def test_a_figures_tick_labels_neither_end_an_answer_nor_count_as_a_label(report: Path) -> None:
    answers = find_answers(report, LABELS)
    assert answers["Lab 2 (c)"].text.endswith("0.01 gave the best validation accuracy.")
    assert not answers["1.5"].found


def test_a_label_only_in_prose_or_absent_is_not_found(report: Path) -> None:
    answers = find_answers(report, LABELS)
    for label in ("1.3", "Lab 1 (h)"):
        assert answers[label] == find_answers(report, [label])[label]
        assert (answers[label].found, answers[label].page, answers[label].scanned) == (False, None, False)


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("1.1 False, because", "1.1"),
        ("Problem 1.1 False, because", "1.1"),
        ("Q1.1 False, because", "1.1"),
        ("Question 1.1: False, because", "1.1"),
        ("1.1. False, because", "1.1"),
        ("1.1) False, because", "1.1"),
        ("(1.1) False, because", "1.1"),
        ("1.1: False, because", "1.1"),
        ("2.4.1 Bonus: the gradient predictiveness", "2.4.1"),
        ("Lab 1 (g) The initial loss", "Lab 1 (g)"),
        ("Lab1 (g) The initial loss", "Lab 1 (g)"),
        ("LAB 1(g) The initial loss", "Lab 1 (g)"),
        ("Lab 1 g) The initial loss", "Lab 1 (g)"),
        ("Lab 1, (g) The initial loss", "Lab 1 (g)"),
        ("lab 1 part (g) The initial loss", "Lab 1 (g)"),
        ("3 (b) Validation accuracy", "3 (b)"),
        ("Problem 3(b) Validation accuracy", "3 (b)"),
    ],
)
def test_the_spellings_students_use_are_found(tmp_path: Path, line: str, label: str) -> None:
    pdf = write_pdf(tmp_path / "r.pdf", [["My report", line, "and the rest of the answer.", "9.9 Next."]])
    answer = find_answers(pdf, [label])[label]
    assert (answer.found, answer.page) == (True, 1), line
    assert answer.text == f"{line}\nand the rest of the answer."


@pytest.mark.parametrize(
    "line",
    [
        "1.10 True, because",
        "11.1 True, because",
        "1.1.2 True, because",
        "The accuracy of 1.1% is low.",
        "We used version 1.1 of the library.",
        "Lab 11 (g) The initial loss",
        "Lab 1 (h) The initial loss",
        "Lab 2 (g) The initial loss",
        "13 (b) Validation accuracy",
        "3.1 (b) Validation accuracy",
    ],
)
def test_other_labels_and_numbers_in_prose_are_not_taken(tmp_path: Path, line: str) -> None:
    pdf = write_pdf(tmp_path / "r.pdf", [["My report", line]])
    answers = find_answers(pdf, ["1.1", "Lab 1 (g)", "3 (b)"])
    assert not any(answer.found for answer in answers.values()), line


@pytest.mark.parametrize(
    ("heading", "label"),
    [("Lab 1", "Lab 1 (g)"), ("Lab1: LeNet-5", "Lab 1 (g)"), ("3", "3 (g)"), ("Problem 3", "3 (g)")],
)
def test_a_part_line_under_its_sections_heading_is_found(tmp_path: Path, heading: str, label: str) -> None:
    lines = ["Report", heading, "(a) First part.", "g) The initial loss is 2.3.", "Lab 9", "(g) Lab 9's."]
    pdf = write_pdf(tmp_path / "r.pdf", [lines])
    answer = find_answers(pdf, [label])[label]
    assert (answer.found, answer.page, answer.text) == (True, 1, "g) The initial loss is 2.3.")


def test_a_part_line_under_another_section_is_not_taken(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "r.pdf", [["Report", "Lab 2", "(g) The initial loss is 2.3."]])
    assert not find_answers(pdf, ["Lab 1 (g)"])["Lab 1 (g)"].found


def test_an_answer_is_bounded(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "r.pdf", [["1.1 False. " + LOREM * 40]])
    answer = find_answers(pdf, ["1.1"])["1.1"]
    assert answer.found and len(answer.text) == MAX_ANSWER_CHARS and answer.text.endswith("…")


def test_pages_past_the_limit_are_not_read_and_a_missing_answer_says_so(tmp_path: Path) -> None:
    pages = [[f"Page {n} of the appendix."] for n in range(MAX_PAGES)] + [["1.1 False. Too late to be read."]]
    answer = find_answers(write_pdf(tmp_path / "long.pdf", pages), ["1.1"])["1.1"]
    assert not answer.found
    assert f"first {MAX_PAGES} of {MAX_PAGES + 1} pages" in answer.text


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    """A page that is only a picture of handwriting: no text layer at all."""
    image = Image.new("RGB", (850, 1100), "white")
    ImageDraw.Draw(image).text((60, 80), "1.1 False. BN normalises ...", fill="black")
    picture = tmp_path / "scan.png"
    image.save(picture)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(picture), x=0, y=0, w=pdf.w)
    path = tmp_path / "scanned.pdf"
    pdf.output(str(path))
    return path


def test_a_scanned_report_is_shown_as_pages(scanned: Path) -> None:
    answers = find_answers(scanned, ["1.1", "Lab 1 (g)"])
    for answer in answers.values():
        assert (answer.found, answer.scanned, answer.page, answer.text) == (False, True, 1, ""), answer


def test_render_page_gives_a_png_of_the_requested_width(scanned: Path, report: Path) -> None:
    for pdf, width in ((scanned, 900), (report, 640)):
        png = render_page(pdf, 1, width=width)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.width == width and image.height > width
    assert Image.open(io.BytesIO(render_page(report, 2))).width == 900


@pytest.mark.parametrize("page", [0, 3, -1])
def test_render_page_refuses_a_page_that_does_not_exist(report: Path, page: int) -> None:
    with pytest.raises(ReportError, match=r"report\.pdf.*no page"):
        render_page(report, page)


def _broken_files(tmp_path: Path, report: Path) -> dict[str, Path]:
    files = {}
    files["garbage"] = tmp_path / "garbage" / "report.pdf"
    files["truncated"] = tmp_path / "truncated" / "report.pdf"
    files["empty"] = tmp_path / "empty" / "report.pdf"
    files["encrypted"] = tmp_path / "encrypted" / "report.pdf"
    for path in files.values():
        path.parent.mkdir()
    files["garbage"].write_bytes(os.urandom(4096))
    data = report.read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["empty"].write_bytes(b"")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "1.1 False. Behind a password.")
    pdf.set_encryption(owner_password="owner", user_password="student")
    pdf.output(str(files["encrypted"]))
    return files


@pytest.mark.parametrize(
    ("kind", "says"),
    [("garbage", "not a PDF"), ("truncated", "truncated"), ("empty", "empty"), ("encrypted", "password")],
)
def test_a_broken_file_is_an_error_naming_it(tmp_path: Path, report: Path, kind: str, says: str) -> None:
    path = _broken_files(tmp_path, report)[kind]
    for read in (lambda: find_answers(path, ["1.1"]), lambda: render_page(path, 1)):
        with pytest.raises(ReportError) as caught:
            read()
        named, _, problem = str(caught.value).partition(": ")
        assert named == str(path) and says in problem  # the folder's name is no part of what is wrong


def test_a_pdf_cut_after_its_header_is_a_report_error(tmp_path: Path, report: Path) -> None:
    """The header is there and %%EOF is appended, but the body is gone: the parser's own error is named."""
    path = tmp_path / "report.pdf"
    path.write_bytes(report.read_bytes()[:400] + b"\n%%EOF\n")
    with pytest.raises(ReportError) as caught:
        find_answers(path, ["1.1"])
    assert str(caught.value).startswith(f"{path}: the PDF cannot be read (")


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grader.review.pdf_answers as module

    path = write_pdf(tmp_path / "report.pdf", [["1.1 False."]])
    monkeypatch.setattr(module, "MAX_PDF_BYTES", 100)
    with pytest.raises(ReportError, match=r"report\.pdf.*over the"):
        find_answers(path, ["1.1"])


EXAMPLES = {
    "1.1 BatchNorm pushes the mean of activations to zero": "1.1",
    "2.4.1 Bonus: gradient predictiveness (VGG_Grad_Pred)": "2.4.1",
    "1.10 ResNets introduce shortcut connections": "1.10",
    "Lab 1 (a) How to check that LeNet-5 behaves as expected": "Lab 1 (a)",
    "3 (b) Validation accuracy with and without augmentation": "3 (b)",
    "1 (a) Parameters and MACs of LeNet-5": "1 (a)",
    "Notebook runs to the end": None,
    "100 epochs of training": None,
    "ResNet-20 reaches 90% (1.1 points bonus)": None,
}


@pytest.mark.parametrize(("title", "label"), EXAMPLES.items())
def test_question_label_examples(title: str, label: str | None) -> None:
    assert question_label(title) == label


def _manual_titles() -> list[tuple[str, str]]:
    titles = []
    for path in sorted(RUBRICS_DIR.glob("*.yaml")):
        rubric = yaml.safe_load(path.read_text())
        titles += [(path.name, item["title"]) for item in rubric["items"] if item.get("check") == "manual"]
    return titles


def test_every_manual_item_of_every_rubric_has_a_label() -> None:
    titles = _manual_titles()
    assert len({name for name, _ in titles}) >= 4, "the shipped rubrics were not found"
    unlabelled = [(name, title) for name, title in titles if question_label(title) is None]
    assert not unlabelled


def test_every_manual_label_of_a_rubric_is_found_where_the_report_writes_it(tmp_path: Path) -> None:
    """A report answering every manual item of each rubric, in the order and spelling of the titles."""
    by_rubric: dict[str, list[str]] = {}
    for name, title in _manual_titles():
        by_rubric.setdefault(name, []).append(title)
    for name, titles in by_rubric.items():
        labels = list(dict.fromkeys(question_label(title) or "" for title in titles))
        lines = [f"{label} Answer number {index}." for index, label in enumerate(labels)]
        answers = find_answers(write_pdf(tmp_path / f"{name}.pdf", [lines]), labels)
        for index, label in enumerate(labels):
            assert answers[label].text == f"{label} Answer number {index}.", (name, label)


def test_report_pdf_prefers_the_report_then_the_homework_then_the_largest(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "hw2" / "figures").mkdir(parents=True)
    (sub / "hw2" / "figures" / "loss_curve.pdf").write_bytes(b"%PDF-1.4" + b"x" * 5000)
    (sub / "paper.pdf").write_bytes(b"%PDF-1.4" + b"x" * 9000)
    assert report_pdf(sub, "*.pdf") == sub / "paper.pdf"
    (sub / "ECE590_HW2_js123.pdf").write_bytes(b"%PDF-1.4" + b"x" * 10)
    assert report_pdf(sub, "*.pdf") == sub / "ECE590_HW2_js123.pdf"
    (sub / "hw2" / "Final_Report.PDF").write_bytes(b"%PDF-1.4")
    assert report_pdf(sub, "*.pdf") == sub / "hw2" / "Final_Report.PDF"


def test_report_pdf_ignores_links_litter_and_deep_folders(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "__MACOSX").mkdir(parents=True)
    (sub / "report.pdf").symlink_to("/etc/passwd")
    (sub / "__MACOSX" / "report.pdf").write_bytes(b"\0" * 100)
    (sub / "._report.pdf").write_bytes(b"\0" * 100)
    (sub / "a" / "b" / "c" / "d").mkdir(parents=True)
    (sub / "a" / "b" / "c" / "d" / "report.pdf").write_bytes(b"%PDF-1.4")
    (sub / "linked").symlink_to(tmp_path)
    (tmp_path / "elsewhere_report.pdf").write_bytes(b"%PDF-1.4")
    assert report_pdf(sub, "*.pdf") is None
    (sub / "a" / "b" / "c" / "homework.pdf").write_bytes(b"%PDF-1.4")
    assert report_pdf(sub, "*.pdf") == sub / "a" / "b" / "c" / "homework.pdf"


def test_report_pdf_is_none_without_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "lenet5.ipynb").write_text("{}")
    assert report_pdf(tmp_path, "*.pdf") is None
    assert report_pdf(tmp_path / "missing", "*.pdf") is None


def test_parts_numbered_by_a_report_templates_sections_belong_to_their_lab(tmp_path: Path) -> None:
    """Section 2 of a LaTeX template titled "Lab: ..." is the first lab; one naming its lab is that lab."""
    pdf = write_pdf(
        tmp_path / "report.pdf",
        [
            [
                "1 True/False Questions",
                "1.1",
                "True.",
                "2 Lab: Setting up the training pipeline",
                "2 (g)",
                "Initial loss 2.30.",
                "2 Bonus",
                "Kaiming init.",
                "5 Lab 3: ResNets",
                "5 (b)",
                "See predictions.csv.",
            ]
        ],
    )
    answers = find_answers(pdf, ["Lab 1 (g)", "Lab 3 (b)", "Lab 2 (b)"])
    assert answers["Lab 1 (g)"].text == "2 (g)\nInitial loss 2.30."
    assert answers["Lab 3 (b)"].text == "5 (b)\nSee predictions.csv."
    assert not answers["Lab 2 (b)"].found, "no section stands for Lab 2: the second numbered lab names Lab 3"


def test_a_question_word_and_a_line_for_two_parts_are_found_under_a_dotted_lab_heading(
    tmp_path: Path,
) -> None:
    lines = ["0.3 Lab 1", "Question (a) 32x32 RGB inputs.", "Question (c/d) DataLoader and GPU.", "0.4 Lab 2"]
    answers = find_answers(
        write_pdf(tmp_path / "report.pdf", [lines]), ["Lab 1 (a)", "Lab 1 (d)", "Lab 2 (a)"]
    )
    assert answers["Lab 1 (a)"].text == "Question (a) 32x32 RGB inputs."
    assert answers["Lab 1 (d)"].text == "Question (c/d) DataLoader and GPU."
    assert not answers["Lab 2 (a)"].found
