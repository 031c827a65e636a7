"""The TAs' grades of a results folder, in one SQLite file beside the results: ``OUT/manual-grades.sqlite``.

Kept apart from ``result.json`` so that re-grading the automatic part (which rewrites every result) loses
none of them, and in SQLite so that two TAs grading at once (two browser tabs, the review app and a CSV
import) never overwrite each other unseen: every change is one transaction, each grade carries a version
that a writer must name to replace it, and every change is appended to a history that is never rewritten.
A grade is keyed by submission id and item id and remembers the content hash of the submission it was given
to, so a submission that changed since shows its grade as stale.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.errors import GraderError

STORE_FILE = "manual-grades.sqlite"
BUSY_TIMEOUT_S = 30.0  # a second writer waits this long for the first one's transaction
MAX_COMMENT_CHARS = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    submission_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    grader TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (submission_id, item_id)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    action TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL,
    grader TEXT NOT NULL,
    at TEXT NOT NULL,
    input_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rubric_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    text TEXT NOT NULL,
    points REAL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (item_id, text)
);
"""


class GradeConflict(GraderError):
    """Another TA changed the grade since this one was read: nothing was written."""


@dataclass(frozen=True)
class StoredGrade:
    submission_id: str
    item_id: str
    points: float
    comment: str
    grader: str
    graded_at: str
    input_sha256: str
    version: int

    def stale_for(self, sha256: str) -> bool:
        """Given to other content than SHA256 (the submission changed since): shown, not counted."""
        return self.input_sha256 != sha256


@dataclass(frozen=True)
class GradeEntry:
    """One grade to write; ``expected_version`` is the version the writer saw (0: there was none), or None
    to replace whatever is there (a CSV import, which checks every row before writing any)."""

    submission_id: str
    item_id: str
    points: float
    comment: str
    grader: str
    input_sha256: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RubricComment:
    """A reusable comment for one item, with the points it usually goes with (None: any)."""

    id: int
    item_id: str
    text: str
    points: float | None
    created_by: str


@dataclass(frozen=True)
class Change:
    submission_id: str
    item_id: str
    action: str  # "graded" or "cleared"
    points: float | None
    comment: str
    grader: str
    at: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ManualStore:
    """OUT_DIR's grade store, created on first use. Safe to open from several processes at once.

    SQLite's default rollback journal, not WAL: OUT may sit on a cluster's shared filesystem, where WAL's
    shared memory does not work. READ_ONLY opens an existing store without writing anything to it (the
    pipeline reading the grades of a submission it grades again, on any node of the cluster)."""

    def __init__(self, out_dir: Path, *, read_only: bool = False) -> None:
        self.path = Path(out_dir) / STORE_FILE
        self.read_only = read_only
        if self.path.is_symlink():
            raise GraderError(f"{self.path} is a symbolic link; the grade store must be a plain file")
        if read_only:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        target = self.path.resolve().as_uri() + "?mode=ro" if self.read_only else str(self.path)
        try:
            db = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None, uri=self.read_only)
        except sqlite3.Error as exc:
            raise GraderError(f"cannot open the grade store {self.path}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            yield db
        except sqlite3.DatabaseError as exc:
            raise GraderError(f"the grade store {self.path} failed: {exc}") from exc
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock at once, so two writers queue instead of failing later."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- grades ----------------------------------------------------------------------------------------

    def grades(self, submission_id: str | None = None) -> list[StoredGrade]:
        """Every grade (of one submission), by submission and item id."""
        query = "SELECT * FROM grades"
        args: tuple[str, ...] = ()
        if submission_id is not None:
            query, args = query + " WHERE submission_id = ?", (submission_id,)
        with self._connection() as db:
            rows = db.execute(query + " ORDER BY submission_id, item_id", args).fetchall()
        return [_grade(row) for row in rows]

    def grade(self, submission_id: str, item_id: str) -> StoredGrade | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT * FROM grades WHERE submission_id = ? AND item_id = ?", (submission_id, item_id)
            ).fetchone()
        return _grade(row) if row is not None else None

    def put(self, entry: GradeEntry) -> StoredGrade:
        """Write one grade; GradeConflict when its expected version is not the stored one."""
        self.put_many([entry])
        stored = self.grade(entry.submission_id, entry.item_id)
        assert stored is not None
        return stored

    def put_many(self, entries: Sequence[GradeEntry]) -> int:
        """Write ENTRIES in one transaction: all of them or, on any conflict, none."""
        at = now()
        with self._transaction() as db:
            for entry in entries:
                _check_entry(entry)
                version = self._version(db, entry.submission_id, entry.item_id)
                _expect(entry.expected_version, version, entry)
                db.execute(
                    "INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.submission_id,
                        entry.item_id,
                        entry.points,
                        entry.comment,
                        entry.grader,
                        at,
                        entry.input_sha256,
                        version + 1,
                    ),
                )
                _log(db, entry.submission_id, entry.item_id, "graded", entry.points, entry, at)
        return len(entries)

    def clear(
        self, submission_id: str, item_id: str, *, grader: str, expected_version: int | None = None
    ) -> None:
        """Remove a grade (the item is ungraded again); the history keeps what it was."""
        at = now()
        with self._transaction() as db:
            version = self._version(db, submission_id, item_id)
            if version == 0:
                return
            entry = GradeEntry(submission_id, item_id, 0.0, "", grader, "", expected_version)
            _expect(expected_version, version, entry)
            db.execute("DELETE FROM grades WHERE submission_id = ? AND item_id = ?", (submission_id, item_id))
            _log(db, submission_id, item_id, "cleared", None, entry, at)

    def history(self, submission_id: str, item_id: str) -> list[Change]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT * FROM history WHERE submission_id = ? AND item_id = ? ORDER BY id",
                (submission_id, item_id),
            ).fetchall()
        fields = ("submission_id", "item_id", "action", "points", "comment", "grader", "at")
        return [Change(*(row[name] for name in fields)) for row in rows]

    @staticmethod
    def _version(db: sqlite3.Connection, submission_id: str, item_id: str) -> int:
        row = db.execute(
            "SELECT version FROM grades WHERE submission_id = ? AND item_id = ?", (submission_id, item_id)
        ).fetchone()
        return int(row["version"]) if row is not None else 0

    # -- rubric comments -------------------------------------------------------------------------------

    def rubric_comments(self, item_id: str | None = None) -> list[RubricComment]:
        query, args = "SELECT * FROM rubric_comments", ()
        if item_id is not None:
            query, args = query + " WHERE item_id = ?", (item_id,)
        with self._connection() as db:
            rows = db.execute(query + " ORDER BY item_id, id", args).fetchall()
        return [RubricComment(r["id"], r["item_id"], r["text"], r["points"], r["created_by"]) for r in rows]

    def add_rubric_comment(
        self, item_id: str, text: str, points: float | None, created_by: str
    ) -> RubricComment:
        """A reusable comment for ITEM_ID; the same text twice is the same comment."""
        text = text.strip()
        if not text or len(text) > MAX_COMMENT_CHARS:
            raise GraderError(f"a rubric comment needs 1 to {MAX_COMMENT_CHARS} characters")
        if points is not None and not math.isfinite(points):
            raise GraderError("a rubric comment's points must be a finite number")
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO rubric_comments (item_id, text, points, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (item_id, text, points, created_by, now()),
            )
            row = db.execute(
                "SELECT * FROM rubric_comments WHERE item_id = ? AND text = ?", (item_id, text)
            ).fetchone()
        return RubricComment(row["id"], row["item_id"], row["text"], row["points"], row["created_by"])


def _grade(row: sqlite3.Row) -> StoredGrade:
    return StoredGrade(
        row["submission_id"],
        row["item_id"],
        float(row["points"]),
        row["comment"],
        row["grader"],
        row["graded_at"],
        row["input_sha256"],
        int(row["version"]),
    )


def _check_entry(entry: GradeEntry) -> None:
    """The store's own invariants; what an item allows (its maximum) is checked against the rubric before."""
    if not math.isfinite(entry.points) or entry.points < 0:
        raise GraderError(f"{entry.submission_id} {entry.item_id}: points must be a number >= 0")
    if len(entry.comment) > MAX_COMMENT_CHARS:
        raise GraderError(
            f"{entry.submission_id} {entry.item_id}: a comment has at most {MAX_COMMENT_CHARS} characters"
        )


def _expect(expected: int | None, version: int, entry: GradeEntry) -> None:
    if expected is not None and expected != version:
        raise GradeConflict(
            f"{entry.submission_id} {entry.item_id} was changed by another TA since it was opened "
            f"(version {version}, not {expected}); reload it to see their grade"
        )


def _log(
    db: sqlite3.Connection,
    submission_id: str,
    item_id: str,
    action: str,
    points: float | None,
    entry: GradeEntry,
    at: str,
) -> None:
    db.execute(
        "INSERT INTO history (submission_id, item_id, action, points, comment, grader, at, input_sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (submission_id, item_id, action, points, entry.comment, entry.grader, at, entry.input_sha256),
    )
