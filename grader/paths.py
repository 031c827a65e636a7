"""Where the files the grader ships with are: rubrics, reference notebooks and the course's tools.

They are found through ``importlib.resources``, so an installed wheel finds them as a checkout does; no
module computes a path from its own location.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from grader.errors import GraderError


def _shipped_dir(package: str, *parts: str) -> Path:
    path = Path(str(files(package).joinpath(*parts)))
    if not path.is_dir():
        where = "/".join((package, *parts))
        raise GraderError(f"the grader is installed without its data folder {where} (looked in {path})")
    return path


RUBRICS_DIR = _shipped_dir("grader", "rubric", "shipped")
# The checkout the grader runs from: relative paths a shipped rubric names (its term's student template) are
# resolved against it. An installed wheel has no student_template/, so there such a rubric field is refused.
REPOSITORY_ROOT = Path(str(files("grader"))).parent
REFERENCE_NOTEBOOKS = _shipped_dir("reference", "notebooks")
COURSE_TOOLS = _shipped_dir("tools")
