"""The grader reads predictions.csv with the course format's reader; a refused file is the input's fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.static.predictions import PredictionsError, course_sample, read_predictions
from tools import predictions as course_format

ROWS = 20


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "predictions.csv"
    path.write_text(content)
    return path


def test_error_is_a_grader_error():
    assert issubclass(PredictionsError, GraderError)


def test_accepted_file_is_read_as_the_course_reader_reads_it(tmp_path):
    path = write(tmp_path, "id,label\r\n" + "".join(f"{i},{i % 10}\r\n" for i in range(ROWS)))
    ours = read_predictions(path, expected_rows=ROWS)
    course = course_format.read_predictions(path, expected_rows=ROWS)
    assert ours.labels.tolist() == course.labels.tolist() == [i % 10 for i in range(ROWS)]
    assert ours.header == course.header == ("Id", "Label")
    assert ours.notes == course.notes and len(ours.notes) == 2  # CRLF, header case


@pytest.mark.parametrize(
    "content",
    [
        "",
        "ID,Prediction\n0,0\n",
        "Id,Label\n" + "".join(f"{i},{i % 10}.0\n" for i in range(ROWS)),
        "Id;Label\n0;0\n",
    ],
)
def test_refused_file_has_the_course_readers_message_word_for_word(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(course_format.PredictionsError) as course:
        course_format.read_predictions(path, expected_rows=ROWS)
    with pytest.raises(PredictionsError) as ours:
        read_predictions(path, expected_rows=ROWS)
    assert str(ours.value) == str(course.value)
    assert str(ours.value).startswith("predictions.csv")


def test_the_rubric_headers_and_row_count_are_passed_on(tmp_path):
    path = write(tmp_path, "Id,Guess\n0,1\n1,2\n")
    assert read_predictions(path, [("Id", "Guess")], 2).labels.tolist() == [1, 2]
    with pytest.raises(PredictionsError, match="has 2 data rows; expected 3"):
        read_predictions(path, [("Id", "Guess")], 3)


def test_a_copy_of_a_course_sample_is_recognised_whatever_its_line_ends(tmp_path):
    template_sample = course_format.predictions_text([0] * course_format.DEFAULT_ROWS)
    copy = tmp_path / "predictions.csv"
    copy.write_bytes(template_sample.replace("\n", "\r\n").encode())
    assert course_sample(copy) == "the course template's sample.csv"
    f19 = "Id,Category\n" + "".join(f"{i},{i % 10}\n" for i in range(10_000))
    copy.write_text(f19)
    assert course_sample(copy) == "ECE590 F19's sample_labels.csv"
    # the student's own predictions, even mostly one class, are theirs
    copy.write_text(course_format.predictions_text([7] * 9_999 + [1]))
    assert course_sample(copy) is None
