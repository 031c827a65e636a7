"""Real students' reports: the two answers in ../shared/seeds typeset as PDFs the way each student's template
laid them out. The Fall 2020 one numbers its sections ("1.1" ... "1.10", then "2 Lab: Setting up the training
pipeline" with "2 (a)" ... for Lab 1, "3 Lab: ..." with "3 (a)" ... for Lab 2); the ECE661 one writes
"Problem 1.1 (3pts)", then "0.3 Lab 1" with "Question (a)" and "Question (c/d)". Every manual question the
student answered under a label is found with the student's own first words; those answered under none (an
unlabelled bonus) are not found, so the app shows the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.review.pdf_answers import find_answers, question_label
from grader.rubric import load_rubric, resolve_rubric
from tests.paths import SHARED_DIR
from tests.review.test_pdf_answers import write_pdf

SEEDS = SHARED_DIR / "seeds"
F20_STUDENT = "002_d327e89cdccdec53.txt"
ECE661_STUDENT = "001_5150ea2bfb065365.txt"
# what each student wrote at each label: the label's line opens with the first string, and the second is in
# the lines after it (None: the label is not in the report)
EXPECTED: dict[str, dict[str, tuple[str, str] | None]] = {
    F20_STUDENT: {
        "1.1": ("1.1", "True. The goal of Batch normalization"),
        "1.5": ("1.5", "False. Sometimes L-norm cannot work"),
        "1.10": ("1.10", "True. Shortcut connections make"),
        "Lab 1 (a)": ("2 (a)", "we can check the size of the output"),
        "Lab 1 (g)": ("2 (g)", "INITIAL LOSS before traning: 2.3024"),
        "Lab 1 (h)": None,  # the student's "2 Bonus"
        "Lab 2 (a)": ("3 (a)", "Crop:padding=3"),
        "Lab 2 (b)": ("3 (b)", "(1)After adding a batch normalization layer"),
        "Lab 2 (c)": ("3 (c)", "3 (c1)"),
    },
    ECE661_STUDENT: {
        "1.1": ("Problem 1.1 (3pts) Any type of data augmentation", "False, data augmentation"),
        "2.4": ("Problem 2.4 (3pts) Consider the input volume", "Number of filters: N=32"),
        "Lab 1 (a)": ("Question (a) Each image in CIFAR", ""),
        "Lab 1 (d)": ("Question (c/d) DataLoader:", "nvidia-smi shows"),
        "Lab 1 (g)": ("Question (g) The initial loss value", ""),
        "Lab 1 (h)": None,
        "Lab 2 (b)": ("Question (b) We now add batch normalization", "We actually see"),
        "Lab 2 (c)": None,  # answered without a label
    },
}
RUBRIC = {F20_STUDENT: "ece590-hw2-f20", ECE661_STUDENT: "ece661-hw2"}


def typeset(seed: Path, out: Path) -> Path:
    """The extracted text as a report again: no Markdown marks or code fences, which a PDF has not."""
    lines = [
        re.sub(r"^#+\s*|\*\*", "", line).strip() for line in seed.read_text(encoding="utf-8").splitlines()
    ]
    kept = [line.encode("latin-1", "replace").decode("latin-1") for line in lines]
    return write_pdf(out, [[line for line in kept if line and not line.startswith("```")]])


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_every_labelled_answer_of_a_real_report_is_found(seed: str, tmp_path: Path) -> None:
    if not (SEEDS / seed).is_file():
        pytest.skip(f"the real student answers are not here: {SEEDS / seed} (../shared is absent)")
    rubric = load_rubric(resolve_rubric(RUBRIC[seed]))
    labels = sorted({label for item in rubric.items if (label := question_label(item.title))})
    answers = find_answers(typeset(SEEDS / seed, tmp_path / "report.pdf"), labels)
    for label, expected in EXPECTED[seed].items():
        answer = answers[label]
        if expected is None:
            assert not answer.found, (label, answer.text[:200])
            continue
        assert answer.found, label
        first, rest = (answer.text.split("\n", 1) + [""])[:2]
        assert first.startswith(expected[0]) and expected[1] in rest, (label, answer.text[:200])
        # no answer runs into another's (one answer to "(c/d)" is both (c)'s and (d)'s)
        others = [other.text for key, other in answers.items() if key != label and other.text != answer.text]
        assert not any(text and text in answer.text for text in others), label
