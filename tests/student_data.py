"""Course data as the tests use it: synthetic folders a TA would build, and the zips a student keeps."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol


class CourseDataFactory(Protocol):
    """Synthetic course data from IMAGES images, relabelled with RELABEL_SEED (none: the true classes)."""

    def __call__(self, images: int, relabel_seed: int | None = None) -> Path: ...


def student_data(course: Path, dest: Path) -> Path:
    """DEST holding only COURSE's zips, as handed out: whoever reads it must unpack them offline."""
    dest.mkdir(parents=True, exist_ok=True)
    for archive in sorted(course.glob("*.zip")):
        shutil.copy(archive, dest / archive.name)
    return dest
