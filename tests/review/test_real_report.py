"""A real student's report: the Fall 2020 answers in ../shared/seeds, typeset as a PDF the way the student's
template numbered it ("1.1" ... "1.10", then "2 Lab: Setting up the training pipeline" with "2 (a)" ... for
Lab 1 and "3 Lab: ..." with "3 (a)" ... for Lab 2). Every manual question of the F20 rubric that the student
answered under its own label is found with the student's own first words."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.review.pdf_answers import find_answers, question_label
from grader.rubric import load_rubric, resolve_rubric
from tests.paths import SHARED_DIR
from tests.review.test_pdf_answers import write_pdf

ANSWERS = SHARED_DIR / "seeds" / "002_d327e89cdccdec53.txt"
# what the student wrote after each label (the bonus of Lab 1, "2 Bonus", carries no part letter)
EXPECTED = {
    "1.1": "True. The goal of Batch normalization",
    "1.5": "False. Sometimes L-norm cannot work",
    "1.10": "True. Shortcut connections make",
    "Lab 1 (a)": "we can check the size of the output",
    "Lab 1 (d)": "",
    "Lab 1 (g)": "INITIAL LOSS before traning: 2.3024",
    "Lab 2 (a)": "Crop:padding=3",
    "Lab 2 (b)": "(1)After adding a batch normalization layer",
    "Lab 2 (c)": "3 (c1)\nNo, larger learning rates cannot guarantee",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ANSWERS.is_file():
        pytest.skip(f"the real student answers are not here: {ANSWERS} (../shared is absent)")
    text = ANSWERS.read_text(encoding="utf-8")
    lines = [line.strip().encode("latin-1", "replace").decode("latin-1") for line in text.splitlines()]
    # the extraction of the real PDF kept the code's fences; a typeset report has none
    lines = [line for line in lines if line and not line.startswith("```")]
    return write_pdf(tmp_path_factory.mktemp("real") / "report.pdf", [lines])


def test_every_labelled_answer_of_a_real_report_is_found(report: Path) -> None:
    rubric = load_rubric(resolve_rubric("ece590-hw2-f20"))
    labels = sorted({label for item in rubric.items if (label := question_label(item.title))})
    answers = find_answers(report, labels)
    for label, opening in EXPECTED.items():
        answer = answers[label]
        assert answer.found, label
        body = answer.text.split("\n", 1)[1] if "\n" in answer.text else ""
        assert body.startswith(opening) if opening else True, (label, answer.text[:200])
    assert "2 Bonus" not in answers["Lab 1 (g)"].text, "the bonus section ends the (g) answer"
    assert "3 Lab" not in answers["Lab 1 (g)"].text
    assert "3 (c2)" in answers["Lab 2 (c)"].text, "the sub-parts (c1), (c2) belong to (c)"
    assert "1.2" not in answers["1.1"].text
