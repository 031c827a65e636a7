"""Files one notebook's run wrote that the submission's later notebooks may read: the checkpoint folder a
training notebook saves into and the predictions notebook loads from (``./saved_model/resnet.pth``).

The notebooks of a submission run in the rubric's order, each in its own copy of the submission. What a run
wrote is data, read here once its kernel and every process it started are gone: regular files only (links,
devices and folders reached through a link are left behind, never followed), no notebooks (a later run must
execute its own), within the run's own size limits. They are kept in the grader's folder, outside every
mount, and copied into each later run's work folder, each with the name of the notebook whose run wrote it:
that provenance is the harness's, seen from outside the sandbox, and the guard is told so that the later run
may load them as weights of this grading's own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from grader.execute.sandbox import DATA_MOUNT, TOOLS_MOUNT

MAX_FILES = 1000  # more than any honest checkpoint folder; a run that writes more is carrying junk
SKIPPED = (DATA_MOUNT, TOOLS_MOUNT)  # the course's mounts, never the run's own output
_CHUNK = 1 << 20

Listing = dict[str, tuple[int, int]]  # path relative to the work folder -> (size, mtime in ns)


def listing(work: Path) -> Listing:
    """The regular files under WORK, without following a link and without the course's mounts."""
    found: Listing = {}
    for top, dirs, files in os.walk(work, followlinks=False):
        rel_top = os.path.relpath(top, work)
        if rel_top == ".":
            dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in files:
            info = os.lstat(os.path.join(top, name))
            if stat.S_ISREG(info.st_mode):
                rel = name if rel_top == "." else f"{rel_top}/{name}"
                found[rel] = (info.st_size, info.st_mtime_ns)
    return found


def _digest(path: Path) -> str | None:
    """The sha256 of a regular file, opened without following a link; None when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _inside(root: Path, rel: str) -> Path | None:
    """ROOT/REL when no folder on the way is a link (so a copy cannot land outside ROOT), else None."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        return None
    here = root
    for part in parts[:-1]:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            return None
    return root / rel


@dataclass
class CarriedFiles:
    """What the runs of one submission wrote so far, kept in STORE, with the notebook that wrote each."""

    store: Path
    max_file_bytes: int
    max_total_bytes: int
    written_by: dict[str, str] = field(default_factory=dict)  # relative path -> notebook file name

    def place(self, work: Path) -> tuple[dict[str, str], list[str]]:
        """Copy every carried file into WORK, a fresh copy of the submission; returns what was placed (path
        -> notebook) and notes on what could not be."""
        placed, notes = {}, []
        for rel, notebook in sorted(self.written_by.items()):
            target = _inside(work, rel)
            if target is None or target.is_dir():
                notes.append(
                    f"{rel}, written by {notebook}'s run, was not copied in: a folder or link is in the way"
                )
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            shutil.copyfile(self.store / rel, target, follow_symlinks=False)
            placed[rel] = notebook
        return placed, notes

    def collect(self, work: Path, before: Listing, original: Path, notebook: str) -> list[str]:
        """Keep what the run of NOTEBOOK in WORK wrote: the files new or changed since BEFORE (the listing
        taken after :meth:`place`) whose content differs from what was there, the carried copy or the
        submission's file under ORIGINAL. Returns notes on what was left behind."""
        notes: list[str] = []
        changed = sorted(rel for rel, seen in listing(work).items() if before.get(rel) != seen)
        total = sum((self.store / rel).stat().st_size for rel in self.written_by)
        kept = 0
        for rel in changed:
            if rel.lower().endswith(".ipynb"):
                continue
            prior = self.store / rel if rel in self.written_by else original / rel
            if rel in before and _digest(work / rel) == _digest(prior):
                continue  # touched, not rewritten: it stays whoever's it was
            size = (work / rel).lstat().st_size
            if kept >= MAX_FILES or size > self.max_file_bytes or total + size > self.max_total_bytes:
                notes.append(
                    f"{rel}, written by {notebook}'s run, is not available to later notebooks: over "
                    "the run's file limits"
                )
                continue
            copy = _inside(self.store, rel)
            if copy is None:
                continue
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / rel, copy, follow_symlinks=False)
            total, kept = total + size, kept + 1
            self.written_by[rel] = notebook
        return notes
