"""Offline "download": the course ships its data as zips; the loaders only ever unpack a zip found in root."""

from __future__ import annotations

import zipfile
from pathlib import Path


class CourseDataMissing(FileNotFoundError):
    """The course data is not in root and no zip to unpack was found there."""


def find_zip(root: Path, pattern: str, needed: tuple[str, ...]) -> Path:
    """Return the single course zip in root matching pattern; explain what was expected when there is none."""
    candidates = sorted(root.glob(pattern))
    if not candidates:
        raise CourseDataMissing(
            f"CIFAR-10 course data not found in {root}: expected the files {', '.join(needed)} "
            f"or a zip named like {pattern} holding them. This loader never downloads anything: "
            "copy the course zip into that folder (see the homework instructions)."
        )
    if len(candidates) > 1:
        names = ", ".join(c.name for c in candidates)
        raise CourseDataMissing(f"several course zips in {root} ({names}); keep only the one for your term")
    return candidates[0]


def extract_members(archive: Path, root: Path, needed: tuple[str, ...]) -> None:
    """Unpack only the expected .npy files, by base name, so a crafted zip cannot write elsewhere."""
    try:
        with zipfile.ZipFile(archive) as zf:
            by_name = {Path(info.filename).name: info for info in zf.infolist() if not info.is_dir()}
            missing = [name for name in needed if name not in by_name]
            if missing:
                raise CourseDataMissing(f"{archive} does not contain {', '.join(missing)}")
            for name in needed:
                target = root / name
                tmp = target.with_suffix(".npy.part")
                with zf.open(by_name[name]) as src, open(tmp, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                tmp.replace(target)
    except zipfile.BadZipFile as exc:
        raise CourseDataMissing(f"{archive} is not a valid zip file ({exc})") from exc


def ensure_files(root: Path, needed: tuple[str, ...], zip_pattern: str, download: bool) -> None:
    """Make sure the needed files are in root, unpacking the course zip when download is asked for."""
    if all((root / name).is_file() for name in needed):
        return
    if not download:
        missing = [name for name in needed if not (root / name).is_file()]
        raise CourseDataMissing(
            f"{', '.join(missing)} not found in {root}; "
            "pass download=True to unpack the course zip found there"
        )
    archive = find_zip(root, zip_pattern, needed)
    print(f"Using downloaded and verified file: {archive}")
    print(f"Extracting {archive} to {root}")
    extract_members(archive, root, needed)
