"""Unpacking refuses hostile archives and folders with a message naming the problem, and leaves DEST empty."""

from __future__ import annotations

import os
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.intake.unpack import DEFAULT_LIMITS, IntakeLimits, IntakeRejected, unpack_submission
from grader.records import Finding
from tests.crafted import write_files, zip_files


def zip_with_info(path: Path, info: zipfile.ZipInfo, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, data)
        archive.writestr("ok.txt", b"fine")
    return path


def rejected(src: Path, dest: Path, limits: IntakeLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(IntakeRejected) as info:
        unpack_submission(src, dest, limits)
    assert not dest.exists() or not any(dest.iterdir()), "a rejected submission must leave DEST empty"
    return str(info.value)


def test_zip_is_unpacked_with_safe_permissions(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("code/lenet5-cifar10.ipynb")
    info.external_attr = (stat.S_IFREG | 0o4777) << 16  # setuid and world-writable in the archive
    src = zip_with_info(tmp_path / "sub.zip", info, b"{}")
    dest = unpack_submission(src, tmp_path / "work")
    assert dest == tmp_path / "work"
    unpacked = dest / "code" / "lenet5-cifar10.ipynb"
    assert unpacked.read_bytes() == b"{}"
    assert (dest / "ok.txt").read_bytes() == b"fine"
    assert stat.S_IMODE(unpacked.stat().st_mode) == 0o644


def test_folder_is_copied(tmp_path: Path) -> None:
    src = write_files(tmp_path / "jdoe", {"code/resnet-cifar10.ipynb": "{}", "predictions.csv": "Id,Label\n"})
    dest = unpack_submission(src, tmp_path / "work")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "code/resnet-cifar10.ipynb",
        "predictions.csv",
    ]


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"Rar!\x1a\x07\x00", "RAR"),
        (b'{"cells": []}', "JSON"),
        (b"Id,Label\n0,3\n", "text"),
        (b"", "empty"),
    ],
)
def test_a_file_that_is_not_a_zip_is_described(tmp_path: Path, content: bytes, looks_like: str) -> None:
    src = tmp_path / "code.zip"
    src.write_bytes(content)
    message = rejected(src, tmp_path / "work")
    assert "code.zip is not a zip archive" in message
    assert looks_like in message


def test_missing_submission(tmp_path: Path) -> None:
    assert "not found" in rejected(tmp_path / "nothing.zip", tmp_path / "work")


def test_empty_zip_and_empty_folder(tmp_path: Path) -> None:
    assert "holds no files" in rejected(zip_files(tmp_path / "e.zip", {}), tmp_path / "w1")
    (tmp_path / "empty").mkdir()
    assert "holds no files" in rejected(tmp_path / "empty", tmp_path / "w2")


def test_a_zip_of_only_junk_is_empty(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "mac.zip", {"__MACOSX/._x": b"x", ".DS_Store": b"x"})
    message = rejected(src, tmp_path / "work")
    assert "holds no files" in message and ".DS_Store" in message


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "code/../../evil.txt",
        "/etc/cron.d/evil",
        "C:/Users/evil.txt",
        "..\\evil.txt",
        "C:\\evil.txt",
    ],
)
def test_path_traversal_is_rejected(tmp_path: Path, name: str) -> None:
    src = zip_files(tmp_path / "sub.zip", {"ok.txt": b"fine", name: b"owned"})
    message = rejected(src, tmp_path / "box" / "work")
    assert repr(name) in message
    assert not list(tmp_path.rglob("evil*"))


def test_symlink_entry_is_rejected(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("data")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    message = rejected(zip_with_info(tmp_path / "sub.zip", info, b"/etc/passwd"), tmp_path / "work")
    assert "symbolic link" in message and "'data'" in message


def test_symlink_in_folder_is_rejected(tmp_path: Path) -> None:
    src = tmp_path / "sub"
    src.mkdir()
    (src / "real.txt").write_text("x")
    (src / "data").symlink_to("/etc")
    assert "'data' is a symbolic link" in rejected(src, tmp_path / "work")


def test_fifo_in_folder_is_rejected(tmp_path: Path) -> None:
    src = tmp_path / "sub"
    src.mkdir()
    os.mkfifo(src / "pipe")
    assert "not a regular file" in rejected(src, tmp_path / "work")


def test_encrypted_entry_is_rejected(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "sub.zip", {"secret.ipynb": b"xxxx"})
    raw = bytearray(src.read_bytes())
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1  # the "encrypted" flag bit in the central directory
    src.write_bytes(bytes(raw))
    message = rejected(src, tmp_path / "work")
    assert "encrypted" in message and "secret.ipynb" in message


def test_too_many_files(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(3000)}, zipfile.ZIP_STORED)
    assert "more than 2000 files" in rejected(src, tmp_path / "work")
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(6):
        (folder / f"f{i}.txt").write_text("x")
    assert "too many files" in rejected(folder, tmp_path / "w2", IntakeLimits(max_files=5))


def test_declared_sizes_over_the_limits(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "big.zip", {"a.bin": b"a" * 600, "b.bin": b"b" * 600}, zipfile.ZIP_STORED)
    assert "more than" in rejected(src, tmp_path / "w1", IntakeLimits(max_total_bytes=1000))
    assert "per file" in rejected(src, tmp_path / "w2", IntakeLimits(max_file_bytes=500))


def test_folder_sizes_over_the_limits(tmp_path: Path) -> None:
    src = tmp_path / "sub"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 600)
    (src / "b.bin").write_bytes(b"b" * 600)
    assert "more than" in rejected(src, tmp_path / "w1", IntakeLimits(max_total_bytes=1000))
    assert "per file" in rejected(src, tmp_path / "w2", IntakeLimits(max_file_bytes=500))


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "bomb.zip", {"zeros.npy": bytes(4 << 20)})
    message = rejected(src, tmp_path / "work")
    assert "zip bomb" in message and "zeros.npy" in message


def test_a_header_that_understates_the_size_cannot_bomb(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "liar.zip", {"data.bin": bytes(100_000)})
    raw = bytearray(src.read_bytes())
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 10)  # uncompressed size in the central directory
    src.write_bytes(bytes(raw))
    message = rejected(src, tmp_path / "work")
    assert "corrupt" in message and "data.bin" in message


def test_nesting_too_deep(tmp_path: Path) -> None:
    deep = "/".join(f"d{i}" for i in range(9)) + "/x.txt"
    assert "nested 9 folders deep" in rejected(
        zip_files(tmp_path / "deep.zip", {deep: b"x"}), tmp_path / "w1"
    )
    ok = "/".join(f"d{i}" for i in range(8)) + "/x.txt"
    assert (unpack_submission(zip_files(tmp_path / "ok.zip", {ok: b"x"}), tmp_path / "w2") / ok).is_file()


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    src = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        with zipfile.ZipFile(src, "w") as archive:
            archive.writestr("code/a.txt", b"1")
            archive.writestr("code\\a.txt", b"2")  # the same path, written with a Windows separator
    assert "twice" in rejected(src, tmp_path / "work")


def test_damaged_zip(tmp_path: Path) -> None:
    src = tmp_path / "broken.zip"
    src.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert "damaged zip" in rejected(src, tmp_path / "work")


def test_junk_is_ignored_and_noted(tmp_path: Path) -> None:
    entries = {
        "code/lenet5-cifar10.ipynb": b"{}",
        "__MACOSX/code/._lenet5-cifar10.ipynb": b"junk",
        "code/.DS_Store": b"junk",
        "code/.ipynb_checkpoints/lenet5-cifar10-checkpoint.ipynb": b"junk",
    }
    notes: list[Finding] = []
    dest = unpack_submission(zip_files(tmp_path / "sub.zip", entries), tmp_path / "work", notes=notes)
    assert [p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()] == [
        "code/lenet5-cifar10.ipynb"
    ]
    assert [(n.kind, n.severity) for n in notes] == [("junk-ignored", "info")]
    assert "ignored 3 system or editor entries in sub.zip" in notes[0].detail


def test_junk_in_a_folder_is_not_copied(tmp_path: Path) -> None:
    src = write_files(tmp_path / "sub", {".ipynb_checkpoints/x-checkpoint.ipynb": "{}", "x.ipynb": "{}"})
    dest = unpack_submission(src, tmp_path / "work")
    assert [p.name for p in dest.iterdir()] == ["x.ipynb"]


def test_work_folder_must_be_empty_and_outside_the_submission(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "sub.zip", {"a.txt": b"x"})
    work = tmp_path / "work"
    work.mkdir()
    (work / "left-over.txt").write_text("x")
    with pytest.raises(GraderError, match="not empty"):
        unpack_submission(src, work)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    with pytest.raises(GraderError, match="inside the submission"):
        unpack_submission(folder, folder / "work")


def test_a_name_too_long_for_the_file_system_is_rejected_not_raised(tmp_path: Path) -> None:
    src = zip_files(tmp_path / "sub.zip", {"ok.txt": b"x", "a" * 300 + ".txt": b"x"})
    assert "cannot be written" in rejected(src, tmp_path / "work")
