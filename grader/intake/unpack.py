"""Copy a submission (a zip or a folder) into the grader's private work folder, refusing anything hostile.

Every later stage reads only the copy, so this is the one place that has to distrust the archive: names
that escape the folder, links, device files, encrypted entries, zip bombs and headers that lie about sizes.
A rejection is an ``IntakeRejected`` whose message names the entry and the limit, so a TA can forward it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import GraderError
from grader.records import Finding

_CHUNK_BYTES = 1 << 20
# A small file may compress very well for innocent reasons (a notebook without outputs, a column of zeros);
# the ratio limit only guards entries big enough to hurt.
_RATIO_FLOOR_BYTES = 1 << 20
_JUNK_DIRS = frozenset({"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_DRIVE = re.compile(r"^[A-Za-z]:")
# Entries whose mode says device, socket or pipe. Many writers store permission bits without a file type,
# so a missing type means a regular file.
_SPECIAL_TYPES = frozenset({stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK})
_FILE_MODE = 0o644
_DIR_MODE = 0o755


class IntakeRejected(GraderError):
    """The submission cannot be unpacked safely; the message says which entry and why."""


@dataclass(frozen=True)
class IntakeLimits:
    """Ceilings on what one submission may unpack to (sizes are uncompressed bytes)."""

    max_total_bytes: int = 1 << 30
    max_files: int = 2000
    max_file_bytes: int = 512 << 20
    max_depth: int = 8
    max_ratio: float = 200.0


DEFAULT_LIMITS = IntakeLimits()


def is_junk(parts: tuple[str, ...]) -> bool:
    """Operating-system and editor litter that no rubric item looks at (``__MACOSX/``, ``.DS_Store``...)."""
    if any(part in _JUNK_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    return name in _JUNK_DIRS or name in _JUNK_FILES or name.startswith("._")


def unpack_submission(
    src: Path, dest: Path, limits: IntakeLimits = DEFAULT_LIMITS, *, notes: list[Finding] | None = None
) -> Path:
    """Copy the zip or folder SRC into DEST (created, or empty) and return DEST.

    Junk files are skipped; when NOTES is given, an info finding listing them is appended to it. On
    rejection DEST is left empty, so a half-unpacked submission is never graded.
    """
    src = Path(src)
    dest = Path(dest)
    if not src.exists():
        raise IntakeRejected(f"submission not found: {src}")
    if src.is_dir() and dest.resolve().is_relative_to(src.resolve()):
        raise GraderError(f"work folder {dest} lies inside the submission {src}")
    _prepare_dest(dest)
    try:
        if src.is_dir():
            copied, junk = _copy_folder(src, dest, limits)
        elif zipfile.is_zipfile(src):
            copied, junk = _extract_zip(src, dest, limits)
        else:
            raise IntakeRejected(f"{src.name} is not a zip archive: it looks like {describe_file(src)}")
        if copied == 0:
            what = "folder" if src.is_dir() else "zip archive"
            extra = f" (only ignored files: {_examples(junk)})" if junk else ""
            raise IntakeRejected(f"{src.name}: the {what} holds no files{extra}")
    except BaseException:
        _empty(dest)
        raise
    if junk and notes is not None:
        notes.append(
            Finding(
                kind="junk-ignored",
                severity="info",
                detail=f"ignored {len(junk)} system or editor entries in {src.name}: {_examples(junk)}",
            )
        )
    return dest


def describe_file(path: Path) -> str:
    """A human name for what a non-zip upload is, from its first bytes (students upload PDFs as zips)."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head:
        return "an empty file"
    signatures = [
        (b"%PDF", "a PDF document"),
        (b"Rar!", "a RAR archive (only zip is accepted)"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (only zip is accepted)"),
        (b"\x1f\x8b", "a gzip/tar.gz archive (only zip is accepted)"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"PK", "a damaged zip archive (its table of contents cannot be read)"),
        (b"\xd0\xcf\x11\xe0", "a Microsoft Office document"),
    ]
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive (only zip is accepted)"
    try:
        text = head.decode("utf-8").lstrip()
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    if text.startswith("{"):
        return "a JSON file (a notebook uploaded on its own?)"
    return "a text file"


def _prepare_dest(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise GraderError(f"work folder {dest} is not a folder")
    if dest.exists() and any(dest.iterdir()):
        raise GraderError(f"work folder {dest} is not empty; refusing to mix two submissions")
    dest.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)


def _empty(dest: Path) -> None:
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _examples(names: list[str], shown: int = 3) -> str:
    head = ", ".join(repr(name) for name in sorted(names)[:shown])
    return head + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _safe_parts(name: str) -> tuple[str, ...]:
    """The folders and file name of an archive entry; raises when the name could land outside DEST."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise IntakeRejected(f"entry {name!r} has an absolute path; only relative names are accepted")
    parts = tuple(part for part in PurePosixPath(unified).parts if part not in ("", "."))
    if ".." in parts:
        raise IntakeRejected(f"entry {name!r} climbs out of the archive with '..'")
    if any(_DRIVE.match(part) or "\x00" in part for part in parts):
        raise IntakeRejected(f"entry {name!r} has a drive letter or NUL byte in its path")
    return parts


def _check_depth(rel: str, folders: int, limits: IntakeLimits) -> None:
    if folders > limits.max_depth:
        raise IntakeRejected(f"{rel!r} is nested {folders} folders deep (limit {limits.max_depth})")


class _Budget:
    """Counts files and bytes as they are written, so limits hold even when headers lie."""

    def __init__(self, limits: IntakeLimits) -> None:
        self.limits = limits
        self.files = 0
        self.total_bytes = 0

    def add_file(self, rel: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise IntakeRejected(f"too many files: more than {self.limits.max_files} (at {rel!r})")

    def add_bytes(self, rel: str, file_bytes: int, chunk_bytes: int) -> None:
        self.total_bytes += chunk_bytes
        if file_bytes > self.limits.max_file_bytes:
            raise IntakeRejected(f"{rel!r} is larger than {_mib(self.limits.max_file_bytes)} per file")
        if self.total_bytes > self.limits.max_total_bytes:
            raise IntakeRejected(f"the submission unpacks to more than {_mib(self.limits.max_total_bytes)}")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _write_stream(chunks: Iterator[bytes], target: Path, rel: str, budget: _Budget) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, _FILE_MODE)
    written = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            written += len(chunk)
            budget.add_bytes(rel, written, len(chunk))
            out.write(chunk)


def _extract_zip(src: Path, dest: Path, limits: IntakeLimits) -> tuple[int, list[str]]:
    try:
        archive = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeRejected(f"{src.name} is a damaged zip archive: {exc}") from None
    with archive:
        plan, junk = _plan_zip(src, archive, limits)
        budget = _Budget(limits)
        for info, parts in plan:
            rel = "/".join(parts)
            budget.add_file(rel)
            try:
                with archive.open(info) as stream:
                    _write_stream(
                        iter(lambda s=stream: s.read(_CHUNK_BYTES), b""), dest.joinpath(*parts), rel, budget
                    )
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise IntakeRejected(f"{src.name}: entry {info.filename!r} is corrupt ({exc})") from None
            except NotImplementedError as exc:
                raise IntakeRejected(
                    f"{src.name}: entry {info.filename!r} uses an unreadable compression method ({exc})"
                ) from None
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                raise IntakeRejected(
                    f"{src.name}: entry {info.filename!r} clashes with another entry"
                ) from None
            except OSError as exc:  # a name too long for the file system, for one
                raise IntakeRejected(
                    f"{src.name}: entry {info.filename!r} cannot be written ({exc.strerror})"
                ) from None
    return len(plan), junk


def _plan_zip(
    src: Path, archive: zipfile.ZipFile, limits: IntakeLimits
) -> tuple[list[tuple[zipfile.ZipInfo, tuple[str, ...]]], list[str]]:
    """Vet every entry against the declared sizes before a single byte is written."""
    plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    junk: list[str] = []
    seen: set[tuple[str, ...]] = set()
    files = 0
    declared_bytes = 0
    for info in archive.infolist():
        parts = _safe_parts(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise IntakeRejected(f"entry {info.filename!r} is a symbolic link; links are not accepted")
        if info.flag_bits & 0x1:
            raise IntakeRejected(
                f"entry {info.filename!r} is encrypted; submit an archive without a password"
            )
        if info.is_dir() or not parts:
            continue
        if stat.S_IFMT(mode) in _SPECIAL_TYPES:
            raise IntakeRejected(f"entry {info.filename!r} is a device, socket or pipe, not a regular file")
        _check_depth(info.filename, len(parts) - 1, limits)
        files += 1
        if files > limits.max_files:
            raise IntakeRejected(f"{src.name} holds more than {limits.max_files} files")
        if info.file_size > limits.max_file_bytes:
            raise IntakeRejected(
                f"entry {info.filename!r} unpacks to {_mib(info.file_size)}"
                f" (limit {_mib(limits.max_file_bytes)} per file)"
            )
        declared_bytes += info.file_size
        if declared_bytes > limits.max_total_bytes:
            raise IntakeRejected(f"{src.name} unpacks to more than {_mib(limits.max_total_bytes)}")
        if info.file_size >= _RATIO_FLOOR_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise IntakeRejected(
                f"entry {info.filename!r} expands {ratio:.0f} times (limit {limits.max_ratio:g}): a zip bomb?"
            )
        if parts in seen:
            raise IntakeRejected(f"{src.name} lists {info.filename!r} twice")
        seen.add(parts)
        if is_junk(parts):
            junk.append("/".join(parts))
        else:
            plan.append((info, parts))
    return plan, junk


def _copy_folder(src: Path, dest: Path, limits: IntakeLimits) -> tuple[int, list[str]]:
    budget = _Budget(limits)
    junk: list[str] = []
    pending: list[tuple[Path, tuple[str, ...]]] = [(src, ())]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                parts = (*prefix, entry.name)
                rel = "/".join(parts)
                if entry.is_symlink():
                    raise IntakeRejected(f"{rel!r} is a symbolic link; links are not accepted")
                if is_junk(parts):
                    junk.append(rel + ("/" if entry.is_dir(follow_symlinks=False) else ""))
                elif entry.is_dir(follow_symlinks=False):
                    _check_depth(rel + "/", len(parts), limits)
                    pending.append((Path(entry.path), parts))
                elif entry.is_file(follow_symlinks=False):
                    _check_depth(rel, len(parts) - 1, limits)
                    budget.add_file(rel)
                    _copy_file(Path(entry.path), dest.joinpath(*parts), rel, budget)
                else:
                    raise IntakeRejected(f"{rel!r} is not a regular file (a device, socket or pipe)")
    return budget.files, junk


def _copy_file(source: Path, target: Path, rel: str, budget: _Budget) -> None:
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise IntakeRejected(f"{rel!r} cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _write_stream(iter(lambda: handle.read(_CHUNK_BYTES), b""), target, rel, budget)
        except OSError as exc:
            raise IntakeRejected(f"{rel!r} cannot be copied ({exc.strerror})") from None
