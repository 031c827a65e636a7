"""Content hashes key resumable results; submission ids name output folders and must never be paths."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from grader.intake.fingerprint import content_sha256, submission_id
from tests.crafted import write_files, zip_files


def test_zip_hash_is_the_hash_of_its_bytes(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "sub.zip", {"a.txt": "x"})
    assert content_sha256(src) == hashlib.sha256(src.read_bytes()).hexdigest()


def test_folder_hash_depends_on_paths_and_contents_only(tmp_path: Path) -> None:
    files = {"code/a.ipynb": "{}", "predictions.csv": "Id,Label\n"}
    first = content_sha256(write_files(tmp_path / "one", files))
    second_folder = write_files(tmp_path / "two", dict(reversed(files.items())))
    os.utime(second_folder / "predictions.csv", (0, 0))
    assert content_sha256(second_folder) == first
    assert (
        content_sha256(write_files(tmp_path / "edited", {**files, "predictions.csv": "Id,Label\n0,1\n"}))
        != first
    )
    assert (
        content_sha256(write_files(tmp_path / "moved", {"a.ipynb": "{}", "predictions.csv": "Id,Label\n"}))
        != first
    )


def test_folder_hash_does_not_follow_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("one")
    src = write_files(tmp_path / "sub", {"a.txt": "x"})
    (src / "link").symlink_to(outside)
    (src / "linked-dir").symlink_to(tmp_path)
    before = content_sha256(src)
    outside.write_text("two")
    assert content_sha256(src) == before


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("jdoe_hw2.zip", "jdoe_hw2"),
        ("Smith, John - hw2 (1).ZIP", "Smith_John_-_hw2_1"),
        ("José García", "Jose_Garcia"),
        ("..hidden..", "hidden"),
        ("netid.v2", "netid.v2"),
    ],
)
def test_submission_id_is_a_safe_slug(tmp_path: Path, name: str, expected: str) -> None:
    assert submission_id(tmp_path / name) == expected


def test_submission_id_of_a_name_with_no_latin_letters_is_unique_and_safe(tmp_path: Path) -> None:
    first, second = submission_id(tmp_path / "学生一.zip"), submission_id(tmp_path / "学生二.zip")
    assert first != second
    assert first.startswith("submission-")
    for slug in (first, second, submission_id(Path("../..")), submission_id(Path("/"))):
        assert slug and "/" not in slug and slug not in (".", "..")
