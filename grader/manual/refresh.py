"""After a TA's grades changed: merge them into the results and render again what shows the score (the
student reports, the class dashboard, the gradebook), so every page agrees with the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.manual.merge import merge_folder
from grader.manual.store import STORE_FILE, ManualStore
from grader.records import RESULT_FILE
from grader.report import load_batch, render_dashboard, render_student_report, write_gradebook
from grader.rubric.model import Rubric


@dataclass
class Refreshed:
    reports: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (submission id, why it has no report)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # (result.json, why)
    dashboard: Path | None = None
    gradebook: Path | None = None


def merge_all(out_dir: Path, rubric: Rubric, only: Iterable[str] | None = None) -> None:
    """Merge the store's grades into every result of OUT_DIR (or those of the submission ids ONLY)."""
    if not (Path(out_dir) / STORE_FILE).is_file():
        return
    store = ManualStore(out_dir)
    for folder in _folders(Path(out_dir), only):
        merge_folder(folder, rubric, store)


def _folders(out_dir: Path, only: Iterable[str] | None) -> list[Path]:
    """The result folders of the submission ids ONLY (default: all): a result lives in OUT/<its id>/."""
    if only is None:
        return [folder for folder, _ in load_batch(out_dir).results]
    named = [out_dir / sid for sid in sorted(set(only)) if Path(sid).name == sid]
    return [folder for folder in named if (folder / RESULT_FILE).is_file()]


def refresh(
    out_dir: Path, rubric: Rubric, only: Iterable[str] | None = None, *, answer_keys: bool = False
) -> Refreshed:
    """Merge, then render the reports of ONLY (default: all), the dashboard and the gradebook."""
    only = list(only) if only is not None else None
    merge_all(out_dir, rubric, only)
    batch, done = load_batch(out_dir), Refreshed()
    for folder, result in batch.results:
        if only is not None and result.submission_id not in only:
            continue
        try:
            render_student_report(folder, rubric, answer_keys=answer_keys)
            done.reports += 1
        except GraderError as exc:
            done.failed.append((result.submission_id, str(exc)))
    done.unreadable = list(batch.unreadable)
    done.dashboard = render_dashboard(out_dir, rubric, batch)
    done.gradebook = write_gradebook(out_dir, rubric, batch)
    return done
