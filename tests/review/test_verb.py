"""``grader review``: registered with the other verbs, binds 127.0.0.1 on a free port, and the address it
prints carries a fresh token; the TA's name defaults to the login name."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from grader.cli import build_parser, verb_list
from grader.commands.review import review_server
from grader.errors import GraderError
from tests.review.helpers import results_folder


def test_the_verb_is_listed_and_parses() -> None:
    assert "review" in verb_list()
    args = build_parser().parse_args(["review", "out", "--rubric", "ece590-hw2-f20", "--grader", "ann"])
    assert (args.out, args.port, args.grader) == ("out", 0, "ann")


def test_the_server_binds_localhost_with_a_token(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out", ("alice",))
    first, address = review_server(out, "ece590-hw2-f20")
    second, other = review_server(out, "ece590-hw2-f20")
    try:
        assert first.server_address[0] == "127.0.0.1" and first.server_port != 0
        assert address.startswith(f"http://127.0.0.1:{first.server_port}/?token=")
        token = address.split("token=", 1)[1]
        assert len(token) >= 32 and token != other.split("token=", 1)[1]
        assert first.app.config["grader"] == getpass.getuser()
    finally:
        first.server_close()
        second.server_close()


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="does not exist"):
        review_server(tmp_path / "nowhere", "ece590-hw2-f20")
