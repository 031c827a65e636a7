"""Read every ``OUT/<submission-id>/result.json`` of a batch, keeping the unreadable ones aside with a reason.

One corrupt or half-written record must not hide a whole class's dashboard and gradebook, so nothing here
raises for a bad file: it is listed instead, and the reports say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from grader.errors import GraderError
from grader.records import RESULT_FILE, Result, read_result


@dataclass
class Batch:
    """Results sorted by submission id, each with its folder; ``unreadable`` pairs a result.json with why."""

    results: list[tuple[Path, Result]] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def results_folder(out: Path | str) -> Path:
    """OUT as the results folder a verb reads (the --out of 'grader grade' or 'grader batch')."""
    if not Path(out).is_dir():
        raise GraderError(f"results folder {out} does not exist")
    return Path(out)


def load_batch(out_dir: Path) -> Batch:
    batch = Batch()
    for path in sorted(Path(out_dir).glob(f"*/{RESULT_FILE}")):
        try:
            batch.results.append((path.parent, read_result(path)))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'top level'}: {error['msg']}"
                for error in exc.errors()[:3]
            )
            batch.unreadable.append((path, f"not a valid result record ({problems})"))
        except (OSError, UnicodeDecodeError) as exc:
            batch.unreadable.append((path, f"cannot be read: {exc}"))
    batch.results.sort(key=lambda pair: pair[1].submission_id)
    return batch
