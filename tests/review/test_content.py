"""What the grading page shows of a submission: the answer found in its PDF report (or the page images),
and the notebook cells that name the question, with everything the student wrote escaped."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from fpdf import FPDF
from nbformat import v4
from PIL import Image

from grader.records import SUBMISSION_DIR
from tests.report.helpers import F20, write_notebook
from tests.review.helpers import client, results_folder

EVIL = "<script>alert('pwned')</script>"


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def png_base64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_an_answer_found_in_the_report_is_shown_as_text(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    write_pdf(
        out / "alice" / SUBMISSION_DIR / "report.pdf",
        [
            ["1.1 False: gamma and beta shift the mean.", "1.10 True."],
            ["Lab 1 (g) The initial loss is 2.30."],
        ],
    )
    test_client = client(out)
    html = test_client.get("/item/tf.1.1/alice").get_data(as_text=True)
    assert "1.1 False: gamma and beta shift the mean." in html and "report.pdf, page 1" in html
    assert "Answer key" in html and "Santurkar" in html  # the rubric's answer key
    lab = test_client.get("/item/lab1.g/alice").get_data(as_text=True)
    assert "Lab 1 (g) The initial loss is 2.30." in lab and "page 2" in lab
    assert 'loading="lazy" alt="page 2" src="/page/alice/2.png"' in lab, "the page itself, for its figures"
    missing = test_client.get("/item/tf.1.5/alice").get_data(as_text=True)
    assert "1.5 was not found in report.pdf" in missing
    assert '<img class="page" alt="page 1" src="/page/alice/1.png">' in missing
    image = test_client.get("/page/alice/2.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).width == 900
    assert test_client.get("/page/alice/3.png").status_code == 404  # the report has 2 pages
    assert test_client.get("/page/alice/0.png").status_code == 404
    no_report = test_client.get("/item/tf.1.1/bob").get_data(as_text=True)
    assert "No report PDF in the submission." in no_report


def test_a_broken_report_shows_its_message_not_a_traceback(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    (out / "alice" / SUBMISSION_DIR).mkdir(parents=True)
    (out / "alice" / SUBMISSION_DIR / "report.pdf").write_bytes(b"not a pdf at all")
    test_client = client(out)
    response = test_client.get("/item/tf.1.1/alice")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "report.pdf: not a PDF (it does not start with %PDF-)" in html and "Traceback" not in html
    assert test_client.get("/page/alice/1.png").status_code == 404


def test_notebook_cells_that_name_the_question_are_shown_escaped(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    answer = v4.new_markdown_cell(f"**(g)** the initial loss is ln 10 {EVIL}")
    plot = v4.new_code_cell("plot(curves)  # " + EVIL)
    plot.outputs = [
        v4.new_output("stream", name="stdout", text=EVIL),
        v4.new_output("display_data", data={"image/png": png_base64(), "text/plain": "<Figure>"}),
        v4.new_output("display_data", data={"image/png": 'AAAA" onerror="alert(1)', "text/html": EVIL}),
        v4.new_output("error", ename="ValueError", evalue=EVIL, traceback=[]),
    ]
    other = v4.new_markdown_cell("(h) Kaiming")
    unrelated = v4.new_markdown_cell("(g) in another lab's notebook")
    submission = out / "alice" / SUBMISSION_DIR
    write_notebook(submission / "lenet5-cifar10.ipynb", v4.new_notebook(cells=[other, answer, plot]))
    write_notebook(submission / "lenet5-cifar10-dev.ipynb", v4.new_notebook(cells=[unrelated]))
    html = client(out).get("/item/lab1.g/alice").get_data(as_text=True)
    assert "the initial loss is ln 10" in html and "another lab" not in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert f'src="data:image/png;base64,{png_base64()}"' in html
    assert "onerror" not in html
    assert "cell 2 (markdown)" in html and "cell 3 (code), after the match" in html
    assert "ValueError: &lt;script&gt;" in html


def test_an_unreadable_notebook_is_named(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    submission = out / "alice" / SUBMISSION_DIR
    submission.mkdir(parents=True)
    (submission / "lenet5-cifar10.ipynb").write_text("{not json")
    html = client(out).get("/item/lab1.g/alice").get_data(as_text=True)
    assert "lenet5-cifar10.ipynb: is not valid JSON: Expecting property name" in html


def test_a_notebook_over_the_size_limit_is_named_not_read(tmp_path: Path, monkeypatch) -> None:
    import grader.static.notebook as reader

    out = results_folder(tmp_path / "out")
    submission = out / "alice" / SUBMISSION_DIR
    submission.mkdir(parents=True)
    (submission / "lenet5-cifar10.ipynb").write_text('{"cells": [], "metadata": {}}' + " " * 2000)
    monkeypatch.setattr(reader.load_notebook, "__kwdefaults__", {"max_bytes": 1000})
    html = client(out).get("/item/lab1.g/alice").get_data(as_text=True)
    assert "lenet5-cifar10.ipynb: 2,029 bytes is over the 1,000 bytes limit" in html


def test_a_cell_that_prints_a_plot_every_batch_shows_a_bounded_number(tmp_path: Path) -> None:
    from grader.review.cells import MAX_OUTPUTS, relevant_cells

    cell = v4.new_code_cell("# (g) initial loss")
    cell.outputs = [v4.new_output("display_data", data={"image/png": png_base64()}) for _ in range(200)]
    write_notebook(tmp_path / "lenet5-cifar10.ipynb", v4.new_notebook(cells=[cell]))
    found = relevant_cells(tmp_path, "Lab 1 (g)", F20)
    assert len(found.cells) == 1 and len(found.cells[0].outputs) == MAX_OUTPUTS
    assert all(output.png == png_base64() for output in found.cells[0].outputs)
