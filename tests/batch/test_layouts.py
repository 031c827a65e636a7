"""Finding each student's submission in the shapes of LMS downloads, without touching the input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from grader.batch import discover_submissions, stage_submission
from grader.errors import GraderError
from grader.intake import content_sha256, submission_id


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def zip_of(path: Path, files: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def by_id(subs) -> dict:
    return {sub.student_id: sub for sub in subs}


def test_per_student_zips_and_folders(tmp_path: Path) -> None:
    zip_of(tmp_path / "alice.zip", {"lenet5-cifar10.ipynb": "{}"})
    write(tmp_path / "bob" / "lenet5-cifar10.ipynb")
    write(tmp_path / "grades.csv")
    write(tmp_path / ".DS_Store")
    write(tmp_path / "stray.txt")
    notes: list[str] = []
    subs = discover_submissions(tmp_path, notes=notes)
    assert [(s.student_id, s.layout, s.path.name) for s in subs] == [
        ("alice", "folder", "alice.zip"),
        ("bob", "folder", "bob"),
    ]
    assert any("stray.txt" in note for note in notes) and not any("grades.csv" in note for note in notes)
    # already named after the student: graded in place, nothing copied
    assert all(stage_submission(sub, tmp_path / "work") == sub.path for sub in subs)
    assert not (tmp_path / "work").exists()


def test_canvas_files_grouped_per_student_and_named_back(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write(inbox / "smithbob_340934_208490284_lenet5-cifar10.ipynb", "bob lenet")
    write(inbox / "smithbob_340934_208490284_resnet-cifar10-1.ipynb", "bob resnet, resubmitted")
    write(inbox / "smithbob_340934_208490284_report.pdf", "%PDF")
    write(inbox / "wellslane_LATE_334244_394803489_predictions.csv", "Id,Label")
    write(inbox / "wellslane_LATE_334244_394803489_lenet5-cifar10.ipynb", "lane")
    # a namesake with another Canvas user id is another student
    zip_of(inbox / "smithbob_777777_208490999_hw2.zip", {"lenet5-cifar10.ipynb": "{}"})
    before = content_sha256(inbox)
    notes: list[str] = []
    subs = by_id(discover_submissions(inbox, notes=notes))
    assert set(subs) == {"smithbob", "smithbob-2", "wellslane"}
    assert any("smithbob-2" in note for note in notes)
    bob, lane = subs["smithbob"], subs["wellslane"]
    assert bob.layout == "canvas" and bob.late is False and lane.late is True
    assert sorted(name for name, _ in bob.files) == [
        "lenet5-cifar10.ipynb",
        "report.pdf",
        "resnet-cifar10.ipynb",
    ]

    work = tmp_path / "work"
    staged = stage_submission(bob, work)
    assert staged == work / "assembled" / "smithbob"
    assert (staged / "resnet-cifar10.ipynb").read_text() == "bob resnet, resubmitted"
    assert sorted(p.name for p in staged.iterdir()) == [
        "lenet5-cifar10.ipynb",
        "report.pdf",
        "resnet-cifar10.ipynb",
    ]
    single = stage_submission(subs["smithbob-2"], work)  # one zip: graded as the zip itself
    assert single.name == "smithbob-2.zip" and zipfile.is_zipfile(single)
    assert submission_id(staged) == "smithbob" and submission_id(single) == "smithbob-2"
    assert content_sha256(inbox) == before  # copied, never moved
    # staging again replaces the earlier copy
    write(inbox / "smithbob_340934_208490284_report.pdf", "%PDF v2")
    assert (stage_submission(bob, work) / "report.pdf").read_text() == "%PDF v2"


def test_canvas_resubmission_suffix_kept_when_stripping_it_would_clash(tmp_path: Path) -> None:
    write(tmp_path / "doejane_1_2_lenet5-cifar10.ipynb", "first")
    write(tmp_path / "doejane_1_2_lenet5-cifar10-1.ipynb", "second")
    (sub,) = discover_submissions(tmp_path)
    assert sorted(name for name, _ in sub.files) == ["lenet5-cifar10-1.ipynb", "lenet5-cifar10.ipynb"]


def sakai_student(root: Path, folder: str, files: dict[str, str] | None) -> Path:
    student = root / folder
    write(student / "timestamp.txt", "20201027114400200")
    write(student / f"{folder}_submissionText.html", "")
    for name, text in (files or {}).items():
        write(student / "Submission attachment(s)" / name, text)
    return student


def test_sakai_download_all_folders(tmp_path: Path) -> None:
    export = tmp_path / "bulk_download" / "Homework 2"  # the zip unpacks to bulk_download/<assignment>/
    sakai_student(export, "Doe, Jane(jdoe2)", {"code.zip": "z", "report.pdf": "%PDF"})
    sakai_student(export, "Late, Laura(llate2)", {"lenet5-cifar10.ipynb": "{}"})
    sakai_student(export, "Ghost, Gary(gghost)", None)  # no attachments: nothing submitted
    write(export / "grades.csv", "Display ID,ID,Last Name,First Name,grade")
    notes: list[str] = []
    subs = by_id(discover_submissions(tmp_path / "bulk_download", notes=notes))
    assert set(subs) == {"jdoe2", "llate2"}
    assert subs["jdoe2"].layout == "sakai" and subs["jdoe2"].name == "Doe, Jane"
    assert any("gghost" in note and "nothing submitted" in note for note in notes)
    staged = stage_submission(subs["jdoe2"], tmp_path / "work")
    assert staged.name == "jdoe2" and sorted(p.name for p in staged.iterdir()) == ["code.zip", "report.pdf"]


def test_gradescope_export_with_metadata(tmp_path: Path) -> None:
    write(tmp_path / "submission_101" / "lenet5-cifar10.ipynb")
    write(tmp_path / "submission_102" / "lenet5-cifar10.ipynb")
    write(tmp_path / "submission_103" / "lenet5-cifar10.ipynb")
    write(
        tmp_path / "submission_metadata.yml",
        """submission_101:
  :submitters:
  - :name: Solo Student
    :sid: '100'
    :email: solo@example.edu
  :created_at: 2020-10-27 11:44:00.000000000 -04:00
  :score: !ruby/object:BigDecimal 18:0.1e2
submission_102:
  :submitters:
  - :name: Pair One
    :email: one@example.edu
  - :name: Pair Two
    :sid: 201
submission_103:
  :submitters: []
""",
    )
    notes: list[str] = []
    subs = by_id(discover_submissions(tmp_path, notes=notes))
    assert set(subs) == {"100", "one", "submission_103"}
    assert subs["100"].name == "Solo Student" and subs["100"].layout == "gradescope"
    assert subs["one"].members == ("201",)
    assert any("submission_103" in note for note in notes)
    assert stage_submission(subs["100"], tmp_path / "work").name == "100"


def test_ids_are_safe_and_unique_ignoring_case(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    zip_of(inbox / "José Núñez.zip", {"a.ipynb": "{}"})
    write(inbox / "Alice" / "a.ipynb")
    zip_of(inbox / "alice.zip", {"a.ipynb": "{}"})
    notes: list[str] = []
    subs = discover_submissions(inbox, notes=notes)
    ids = [sub.student_id for sub in subs]
    assert "Jose_Nunez" in ids
    assert sorted(i.lower() for i in ids if i.lower().startswith("alice")) == ["alice", "alice-2"]
    assert len({i.lower() for i in ids}) == len(ids)
    for sub in subs:
        assert submission_id(stage_submission(sub, tmp_path / "work")) == sub.student_id


def test_a_missing_folder_or_bad_metadata_is_explained(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="is not a folder"):
        discover_submissions(tmp_path / "nope")
    write(tmp_path / "submission_metadata.yml", "- just\n- a list\n")
    with pytest.raises(GraderError, match="submission_metadata.yml"):
        discover_submissions(tmp_path)
