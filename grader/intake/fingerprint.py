"""Names and content hashes for submissions: the hash keys resumable results, the id names output folders."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

_CHUNK_BYTES = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ID_CHARS = 100


def content_sha256(src: Path) -> str:
    """Hex SHA-256 of a submission: a file's bytes, or a folder's sorted relative paths and contents.

    A folder's hash does not depend on timestamps, permissions or the folder's own name, so re-running a batch
    on a fresh LMS export of the same work resumes instead of regrading. Links are hashed as their target
    text and never followed.
    """
    src = Path(src)
    if not src.is_dir():
        return _file_sha256(src)
    digest = hashlib.sha256()
    for rel, path in _walk(src):
        if path.is_symlink():
            digest.update(b"L\0" + os.fsencode(rel) + b"\0" + os.fsencode(os.readlink(path)) + b"\0")
        elif path.is_file():
            digest.update(b"F\0" + os.fsencode(rel) + b"\0" + bytes.fromhex(_file_sha256(path)))
    return digest.hexdigest()


def submission_id(src: Path) -> str:
    """A slug safe as one path component, from the submission's file or folder name (``.zip`` dropped).

    Accents are folded to ASCII and every other run of characters outside letters, digits, ``-``, ``_`` and
    ``.`` becomes ``_``. A name with nothing left (a non-Latin name) gets a short hash of the name instead,
    so two such students never share an id.
    """
    name = Path(src).name or Path(src).resolve().name
    if name.lower().endswith(".zip"):
        name = name[:-4]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("_", ascii_name).strip("._-")[:_MAX_ID_CHARS].rstrip("._-")
    if not slug:
        slug = "submission-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return slug


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(root: Path) -> list[tuple[str, Path]]:
    """Every file and link under ROOT with its POSIX relative path, sorted; linked folders are not entered."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            path = base / name
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)
