"""Static submissions that are an archive, or raw bytes in its place, written by the intake's attackers."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1
from tools import layout


def zip_of(entries: Callable[[zipfile.ZipFile, Arena], None]) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        path = dest.with_suffix(".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            entries(archive, arena)
        return path

    return build


def raw_file(content: bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        path = dest.with_suffix(".zip")
        path.write_bytes(content)
        return path

    return build


def symlink_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    info = zipfile.ZipInfo("labels.npy")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, str(arena.course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS))


def traversal_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    archive.writestr("../../../../tmp/owned.txt", "written outside the work folder")


def bomb_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    with archive.open("padding.bin", "w", force_zip64=True) as handle:
        block = bytes(1 << 20)
        for _ in range(1024):  # 1 GiB of zeros, about 1 MB compressed
            handle.write(block)


def many_files(archive: zipfile.ZipFile, arena: Arena) -> None:
    for index in range(100_000):
        archive.writestr(zipfile.ZipInfo(f"junk/{index:06d}.txt"), "")


def empty_zip(archive: zipfile.ZipFile, arena: Arena) -> None:
    return None
