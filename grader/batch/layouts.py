"""Find the submissions in a class download: one per student, whatever shape the LMS gave the folder.

Shapes recognised, entry by entry at the top of the input folder (so a mixed folder still works):

- **per-student zips or folders**: ``alice.zip``, ``bob/``; the name is the student id.
- **Canvas** "Download Submissions": flat files named ``<lastnamefirstname>_<userid>_<submissionid>_<file>``,
  with ``_LATE`` after the name for a late submission; Canvas adds ``-<n>`` before the extension of a
  resubmitted file. A student's files are grouped by user id into one submission.
- **Sakai** "Download All": a folder ``<Last, First(eid)>`` per student holding ``Submission attachment(s)/``
  (the files graded), ``timestamp.txt`` (``YYYYMMDDhhmmssSSS``) and
  ``<Last, First(eid)>_submissionText.html``; a ``grades.csv`` beside the folders. The id is the ``eid``
  in parentheses.
- **Gradescope** "Export Submissions": ``submission_<n>/`` folders and a ``submission_metadata.yml`` mapping
  each folder to ``:submitters:`` (``:name:``, ``:sid:``, ``:email:``); the id is the first submitter's sid,
  else the email's user part, else the name.

Discovery reads and never writes: the input is read-only to the grader. ``stage_submission`` makes what the
pipeline needs, a zip or folder whose name is the student id, by copying into a work folder when the LMS
shape differs (Canvas groups, Sakai and Gradescope folders, renamed duplicates).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from grader.errors import GraderError
from grader.intake import submission_id
from grader.intake.unpack import is_junk

Layout = Literal["folder", "canvas", "sakai", "gradescope"]

ASSEMBLED_DIR = "assembled"
GRADESCOPE_METADATA = "submission_metadata.yml"
SAKAI_ATTACHMENTS = "Submission attachment(s)"
SAKAI_TIMESTAMP = "timestamp.txt"
# LMS bookkeeping beside the submissions: expected, not reported as stray.
_LMS_FILES = frozenset({GRADESCOPE_METADATA, "grades.csv", "grades.xls", "grades.xlsx"})
_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
_CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[^.]+)?$")
_SAKAI = re.compile(r"^(?P<name>.*)\((?P<eid>[^()]+)\)\s*$")


@dataclass(frozen=True)
class Submission:
    """One student's work: ``path`` is what the LMS holds for it (a zip, a folder, or a Canvas group's
    first file); ``files`` lists a Canvas group as (original file name, file in the download)."""

    student_id: str
    path: Path
    layout: Layout
    files: tuple[tuple[str, Path], ...] = ()
    name: str | None = None
    late: bool | None = None
    members: tuple[str, ...] = ()  # a group submission's other submitters, by id


def discover_submissions(input_dir: Path, *, notes: list[str] | None = None) -> list[Submission]:
    """The submissions under INPUT_DIR, sorted by student id, ids unique (case-insensitively).

    Entries that are no submission (stray files, students without attachments) are skipped, and a note
    saying so is appended to NOTES, as is every renamed duplicate id.
    """
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise GraderError(f"{input_dir} is not a folder of submissions")
    notes = notes if notes is not None else []
    input_dir = _export_root(input_dir, notes)
    metadata = _gradescope_metadata(input_dir / GRADESCOPE_METADATA)
    found: list[Submission] = []
    canvas: dict[str, list[re.Match[str]]] = {}
    for entry in sorted(input_dir.iterdir(), key=lambda p: p.name):
        name = entry.name
        if is_junk((name,)) or name.startswith(".") or name in _LMS_FILES:
            continue
        if entry.is_symlink():
            notes.append(f"skipped {name}: a symbolic link")
        elif entry.is_dir() and name in metadata:
            found.append(_gradescope(entry, metadata[name], notes))
        elif entry.is_dir() and (sakai := _SAKAI.match(name)) and _looks_like_sakai(entry):
            found.extend(_sakai(entry, sakai, notes))
        elif entry.is_file() and (match := _CANVAS.match(name)):
            canvas.setdefault(match["user"], []).append(match)
        elif entry.is_dir() or (entry.is_file() and name.lower().endswith(".zip")):
            found.append(Submission(submission_id(entry), entry, "folder"))
        else:
            notes.append(f"skipped {name}: not a zip, a folder or an LMS submission file")
    found.extend(_canvas(input_dir, matches) for _, matches in sorted(canvas.items()))
    return _unique(found, notes)


def _export_root(input_dir: Path, notes: list[str]) -> Path:
    """The folder holding the submissions: an LMS zip often unpacks to one folder named after the assignment
    (Sakai: ``bulk_download/<assignment>/``), which is entered when it holds an LMS export and nothing else
    is beside it."""
    entries = [e for e in input_dir.iterdir() if not (is_junk((e.name,)) or e.name.startswith("."))]
    if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
        return input_dir
    inner = entries[0]
    children = list(inner.iterdir())
    is_export = any(c.name in _LMS_FILES for c in children) or any(
        c.is_dir() and _SAKAI.match(c.name) and _looks_like_sakai(c) for c in children
    )
    if not is_export:
        return input_dir
    notes.append(f"the submissions are in {inner.name}/: reading them there")
    return _export_root(inner, notes)


def stage_submission(sub: Submission, work_dir: Path) -> Path:
    """A zip or folder named after the student id, ready for the pipeline; copies into
    ``WORK_DIR/assembled/`` when the LMS shape differs, never touching the input."""
    if not sub.files and submission_id(sub.path) == sub.student_id:
        return sub.path
    assembled = Path(work_dir) / ASSEMBLED_DIR
    assembled.mkdir(parents=True, exist_ok=True)
    single_zip = len(sub.files) == 1 and sub.files[0][0].lower().endswith(".zip")
    if sub.files and not single_zip:
        target = assembled / sub.student_id
        _clear(target)
        target.mkdir()
        for original, source in sub.files:
            shutil.copy2(source, target / original)
        return target
    source = sub.files[0][1] if single_zip else sub.path
    target = assembled / (f"{sub.student_id}.zip" if source.is_file() else sub.student_id)
    _clear(target)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)
    return target


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _slug(text: str) -> str:
    return submission_id(Path(text.replace("/", "_").replace("\\", "_")))


def _canvas(input_dir: Path, matches: list[re.Match[str]]) -> Submission:
    """One student's Canvas files, named back to what the student uploaded."""
    first = matches[0]
    files: list[tuple[str, Path]] = []
    taken: set[str] = set()
    for match in sorted(matches, key=lambda m: m["file"]):
        original = match["file"]
        plain = _CANVAS_RESUBMITTED.match(original)
        if plain is not None:  # Canvas's "-1" on a resubmitted file, unless that would clash
            candidate = plain["stem"] + (plain["ext"] or "")
            clash = any(m["file"] == candidate for m in matches if m is not match)
            original = original if clash or candidate in taken else candidate
        if original in taken:
            original = match.string
        taken.add(original)
        files.append((original, input_dir / match.string))
    return Submission(
        student_id=_slug(first["name"]),
        path=files[0][1],
        layout="canvas",
        files=tuple(files),
        name=first["name"],
        late=any(m["late"] for m in matches),
    )


def _looks_like_sakai(folder: Path) -> bool:
    return (folder / SAKAI_ATTACHMENTS).is_dir() or (folder / SAKAI_TIMESTAMP).is_file()


def _sakai(folder: Path, match: re.Match[str], notes: list[str]) -> list[Submission]:
    attachments = folder / SAKAI_ATTACHMENTS
    if not attachments.is_dir() or not any(attachments.iterdir()):
        notes.append(f"skipped {folder.name}: no files in {SAKAI_ATTACHMENTS!r} (nothing submitted?)")
        return []
    return [
        Submission(
            student_id=_slug(match["eid"].strip()),
            path=attachments,
            layout="sakai",
            name=match["name"].strip().rstrip(",").strip() or None,
        )
    ]


class _TolerantLoader(yaml.SafeLoader):
    """Safe YAML that reads a tag it does not know (a Ruby object, say) as the plain value under it."""


def _plain_value(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_TolerantLoader.add_multi_constructor("!", _plain_value)
_TolerantLoader.add_multi_constructor("tag:", _plain_value)


def _gradescope_metadata(path: Path) -> dict[str, dict]:
    """Folder name -> its metadata; {} without the file. Keys may be written with Ruby's leading colon."""
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path} is not readable YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GraderError(f"{path}: expected a mapping of submission folders to their submitters")
    return {str(folder): _strip_colons(meta) for folder, meta in data.items() if isinstance(meta, dict)}


def _strip_colons(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lstrip(":"): _strip_colons(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_colons(v) for v in value]
    return value


def _submitter_id(submitter: dict) -> str | None:
    for key in ("sid", "email", "name"):
        value = submitter.get(key)
        if value not in (None, ""):
            text = str(value)
            return _slug(text.split("@")[0] if key == "email" else text)
    return None


def _gradescope(folder: Path, meta: dict, notes: list[str]) -> Submission:
    submitters = [s for s in meta.get("submitters") or [] if isinstance(s, dict)]
    ids = [i for i in (_submitter_id(s) for s in submitters) if i]
    if not ids:
        notes.append(f"{folder.name}: no submitter in {GRADESCOPE_METADATA}; the folder name is its id")
    return Submission(
        student_id=ids[0] if ids else submission_id(folder),
        path=folder,
        layout="gradescope",
        name=str(submitters[0].get("name")) if submitters and submitters[0].get("name") else None,
        members=tuple(ids[1:]),
    )


def _unique(found: list[Submission], notes: list[str]) -> list[Submission]:
    """Renames repeated ids ``id-2``, ``id-3``...: two students must never share an output folder."""
    seen: set[str] = set()
    unique: list[Submission] = []
    for sub in sorted(found, key=lambda s: (s.student_id.lower(), str(s.path))):
        student_id, n = sub.student_id, 1
        while student_id.lower() in seen:
            n += 1
            student_id = f"{sub.student_id}-{n}"
        if n > 1:
            notes.append(f"two submissions have the id {sub.student_id!r}: {sub.path.name} is {student_id!r}")
            sub = Submission(student_id, sub.path, sub.layout, sub.files, sub.name, sub.late, sub.members)
        seen.add(student_id.lower())
        unique.append(sub)
    return unique
