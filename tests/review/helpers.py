"""Results folders for the review app's tests, built like the report tests' (tests/report/helpers.py)."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from grader.review.app import create_app
from grader.rubric.model import Rubric
from tests.report.helpers import F20, make_result, write_batch

TOKEN = "test-token"
STUDENTS = ("alice", "bob", "carol")


def results_folder(out: Path, students: tuple[str, ...] = STUDENTS) -> Path:
    """Every automatic item passes; the rubric's manual items wait for a TA."""
    return write_batch(out, *(make_result(sid) for sid in students))


def client(out: Path, rubric: Rubric = F20, *, grader: str = "tess") -> FlaskClient:
    """A test client that has been let in with the token (it holds the cookie)."""
    app = create_app(out, rubric, grader=grader, token=TOKEN)
    test_client = app.test_client()
    assert test_client.get(f"/?token={TOKEN}").status_code == 302
    return test_client


def save(test_client: FlaskClient, sid: str, item: str, points: str, *, version: int = 0, comment: str = ""):
    return test_client.post(
        f"/grade/item/{sid}/{item}", data={"points": points, "comment": comment, "version": str(version)}
    )
