"""predictions.csv: the writer writes the course format; every file the reader rejects is named with its line
and what was expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tools.predictions import (
    HEADER,
    PredictionsError,
    accuracy,
    agreement,
    header_line,
    predictions_text,
    read_predictions,
    write_predictions,
)

ROWS = 20  # most cases use a short file; the row-count case uses the real 10,000


def body(n: int = ROWS, label=lambda i: i % 10) -> str:
    return "".join(f"{i},{label(i)}\n" for i in range(n))


def write(tmp_path: Path, content: str | bytes, name: str = "predictions.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def error_for(path: Path, **kwargs) -> str:
    kwargs.setdefault("expected_rows", ROWS)
    with pytest.raises(PredictionsError) as info:
        read_predictions(path, **kwargs)
    return str(info.value)


def test_error_is_a_value_error():
    assert issubclass(PredictionsError, ValueError)


# ---------------------------------------------------------------- writing


def test_the_course_format_is_id_label_then_one_row_per_image():
    assert HEADER == ("Id", "Label") and header_line() == "Id,Label"
    assert predictions_text(np.array([3, 0, 9, 1])) == "Id,Label\n0,3\n1,0\n2,9\n3,1\n"


def test_written_predictions_round_trip(tmp_path):
    labels = np.array([3, 0, 9, 1])
    path = write_predictions(labels, tmp_path / "predictions.csv")
    assert path.read_bytes() == b"Id,Label\n0,3\n1,0\n2,9\n3,1\n"
    result = read_predictions(path, expected_rows=4)
    assert result.labels.tolist() == labels.tolist() and result.notes == []


# ---------------------------------------------------------------- accepted files


def test_well_formed_file_gives_labels_indexed_by_id(tmp_path):
    result = read_predictions(write(tmp_path, "Id,Label\n" + body()), expected_rows=ROWS)
    assert result.labels.dtype == np.int64
    assert result.labels.tolist() == [i % 10 for i in range(ROWS)]
    assert result.header == ("Id", "Label")
    assert result.notes == []


def test_full_size_file_with_default_arguments(tmp_path):
    result = read_predictions(write(tmp_path, "Id,Label\n" + body(10_000, lambda i: (i * 7) % 10)))
    assert result.labels.shape == (10_000,)
    assert result.labels[9_999] == (9_999 * 7) % 10


def test_category_header_of_the_f19_sample_is_accepted(tmp_path):
    result = read_predictions(write(tmp_path, "Id,Category\n" + body()), expected_rows=ROWS)
    assert result.header == ("Id", "Category")


def test_crlf_line_endings_are_accepted_and_noted(tmp_path):
    result = read_predictions(
        write(tmp_path, ("Id,Label\n" + body()).replace("\n", "\r\n")), expected_rows=ROWS
    )
    assert result.labels.tolist() == [i % 10 for i in range(ROWS)]
    assert any("CRLF" in note for note in result.notes)


def test_utf8_bom_is_accepted_and_noted(tmp_path):
    result = read_predictions(write(tmp_path, "\ufeffId,Label\n" + body()), expected_rows=ROWS)
    assert result.header == ("Id", "Label")
    assert any("BOM" in note for note in result.notes)


def test_missing_trailing_newline_is_accepted(tmp_path):
    result = read_predictions(write(tmp_path, "Id,Label\n" + body().rstrip("\n")), expected_rows=ROWS)
    assert result.labels[ROWS - 1] == (ROWS - 1) % 10


def test_spaces_blank_lines_and_header_case_are_accepted_and_noted(tmp_path):
    rows = "".join(f" {i} , {i % 10} \n" for i in range(ROWS))
    result = read_predictions(write(tmp_path, "id , label\n" + rows + "\n\n"), expected_rows=ROWS)
    assert result.header == ("Id", "Label")
    assert result.labels.tolist() == [i % 10 for i in range(ROWS)]
    assert any("case ignored" in note for note in result.notes)
    assert any("spaces" in note for note in result.notes)


def test_unordered_ids_are_accepted_and_noted(tmp_path):
    rows = "".join(f"{i},{i % 10}\n" for i in reversed(range(ROWS)))
    result = read_predictions(write(tmp_path, "Id,Label\n" + rows), expected_rows=ROWS)
    assert result.labels.tolist() == [i % 10 for i in range(ROWS)]
    assert any("not in Id order" in note and "line 3" in note for note in result.notes)


# ---------------------------------------------------------------- rejected files


def test_empty_file(tmp_path):
    message = error_for(write(tmp_path, ""))
    assert "predictions.csv is empty" in message
    assert "'Id,Label'" in message


def test_wrong_header_lists_the_accepted_headers(tmp_path):
    message = error_for(write(tmp_path, "ID,Prediction\n" + body()))
    assert "line 1" in message
    assert "'ID,Prediction'" in message
    assert "'Id,Label' or 'Id,Category'" in message


def test_missing_header_is_recognised_as_a_data_row(tmp_path):
    message = error_for(write(tmp_path, body()))
    assert "line 1 is '0,0', a data row: the header line is missing" in message


def test_pandas_index_column_is_explained(tmp_path):
    rows = "".join(f"{i},{i},{i % 10}\n" for i in range(ROWS))
    message = error_for(write(tmp_path, ",Id,Label\n" + rows))
    assert "index=False" in message


def test_wrong_number_of_columns(tmp_path):
    content = "Id,Label\n" + body().replace("\n7,7\n", "\n7,7,1\n")
    message = error_for(write(tmp_path, content))
    assert "predictions.csv: line 9: expected 2 columns (Id,Label), found 3: '7,7,1'" in message


def test_non_integer_id(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n7,7\n", "\n7.0,7\n")))
    assert "line 9: Id '7.0' is not an integer" in message
    assert "missing" not in message  # the unread id is not reported a second time


def test_duplicate_id_names_both_lines(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n5,5\n", "\n4,5\n")))
    assert "line 7: Id 4 appears again (first on line 6)" in message
    assert "1 of the Ids 0..19 is missing: 5" in message


def test_id_out_of_range(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n19,9\n", "\n20,9\n")))
    assert "line 21: Id 20 is outside 0..19" in message


def test_ids_numbered_from_one_are_explained(tmp_path):
    rows = "".join(f"{i + 1},{i % 10}\n" for i in range(ROWS))
    message = error_for(write(tmp_path, "Id,Label\n" + rows))
    assert "Ids run 1..20; expected 0..19: number the rows from 0" in message


def test_missing_ids_says_how_many_and_the_first_few(tmp_path):
    rows = "".join(f"{i},{i % 10}\n" for i in range(ROWS) if i not in (3, 4, 5, 6, 7, 8, 9))
    rows += "".join(f"{i},0\n" for i in range(ROWS, ROWS + 7))
    message = error_for(write(tmp_path, "Id,Label\n" + rows))
    assert "7 of the Ids 0..19 are missing: 3, 4, 5, 6, 7, ..." in message


def test_wrong_row_count_says_the_expected_count(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body(9_999)), expected_rows=10_000)
    assert "has 9,999 data rows; expected 10,000" in message
    assert "1 of the Ids 0..9999 is missing: 9999" in message


def test_header_only(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n"))
    assert "has the header 'Id,Label' but no data rows; expected 20 rows" in message


def test_float_labels_suggest_integers_and_are_counted_once(tmp_path):
    rows = "".join(f"{i},{i % 10}.0\n" for i in range(ROWS))
    message = error_for(write(tmp_path, "Id,Label\n" + rows))
    assert "line 2: label '0.0' is not an integer" in message
    assert "astype(int)" in message
    assert "the same problem on 19 more lines, e.g. lines 3, 4, 5, 6, 7" in message
    assert message.count("not an integer") == 1


def test_nan_label(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n7,7\n", "\n7,NaN\n")))
    assert "line 9: the label is missing ('NaN')" in message


def test_class_name_label_suggests_the_index(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n3,3\n", "\n3,cat\n")))
    assert "line 5: label 'cat' is not an integer" in message
    assert "labels must be the class index 0..9, not the class name" in message


def test_printed_tensor_label(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n3,3\n", "\n3,tensor(3)\n")))
    assert "line 5" in message and ".item()" in message


def test_labels_one_to_ten_are_detected(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body(label=lambda i: i % 10 + 1)))
    assert "labels run 1..10 (first 10 on line 11)" in message
    assert "subtract 1" in message


def test_label_out_of_range(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace("\n3,3\n", "\n3,12\n")))
    assert "line 5: label 12 is outside the class indices 0..9" in message


def test_semicolon_separated_file_says_use_commas(tmp_path):
    message = error_for(write(tmp_path, ("Id,Label\n" + body()).replace(",", ";")))
    assert "line 1" in message
    assert "semicolons; use commas" in message


def test_semicolon_rows_under_a_comma_header(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + body().replace(",", ";")))
    assert "line 2: '0;0' is separated by semicolons; use commas" in message


def test_latin1_bytes_name_the_line(tmp_path):
    content = ("Id,Label\n" + body()).encode().replace(b"\n7,7\n", b"\n7,\xe9t\xe9\n")
    message = error_for(write(tmp_path, content))
    assert "line 9 is not valid UTF-8 (byte 0xe9 at column 3)" in message
    assert "Latin-1" in message


def test_binary_garbage(tmp_path):
    message = error_for(write(tmp_path, bytes(range(256)) * 8))
    assert "predictions.csv is not CSV text" in message
    assert "line 1" in message


def test_utf16_file_is_explained(tmp_path):
    message = error_for(write(tmp_path, ("Id,Label\n" + body()).encode("utf-16")))
    assert "UTF-16" in message


def test_excel_workbook_is_explained(tmp_path):
    message = error_for(write(tmp_path, b"PK\x03\x04" + b"\x00" * 100))
    assert "export it as CSV" in message


def test_oversized_file_is_refused(tmp_path):
    message = error_for(write(tmp_path, "Id,Label\n" + "0,0\n" * 1_500_000))
    assert "predictions.csv is 6.0 MB" in message
    assert "files over 5.0 MB are refused" in message
    assert "are refused" in error_for(write(tmp_path, "Id,Label\n" + body()), max_bytes=50)


def test_missing_file_and_directory(tmp_path):
    assert "not found" in error_for(tmp_path / "predictions.csv")
    (tmp_path / "dir.csv").mkdir()
    assert "not a regular file" in error_for(tmp_path / "dir.csv")


def test_several_kinds_of_problem_are_listed_together(tmp_path):
    content = "Id,Label\n" + body().replace("\n3,3\n", "\n3,cat\n").replace("\n5,5\n", "\n5,11\n")
    message = error_for(write(tmp_path, content))
    assert message.startswith("predictions.csv: 2 problems:")
    assert "line 5: label 'cat'" in message and "line 7: label 11" in message


# ---------------------------------------------------------------- scoring


def test_accuracy_and_agreement():
    truth = np.array([0, 1, 2, 3])
    assert accuracy(np.array([0, 1, 2, 0]), truth) == 0.75
    assert agreement(np.array([0, 1, 9, 9]), truth) == 0.5


@pytest.mark.parametrize("function", [accuracy, agreement])
def test_shape_mismatch_and_empty_are_clear_errors(function):
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(4,\)"):
        function(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        function(np.zeros(0), np.zeros(0))
