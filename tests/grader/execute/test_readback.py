"""Reading back what a run wrote: links, FIFOs, folders and oversized files are refused, never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.execute.channels import Channel, frame, parse_messages
from grader.execute.readback import ReadbackError, read_run_file

NONCE = "ab" * 16


def test_a_plain_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "predictions.csv").write_bytes(b"Id,Label\n0,1\n")
    assert read_run_file(tmp_path, "sub/predictions.csv", 100) == b"Id,Label\n0,1\n"


@pytest.mark.parametrize("plant", ["file-link", "folder-link", "fifo", "folder", "too-big", "missing"])
def test_what_a_run_can_plant_is_refused(tmp_path: Path, plant: str) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "predictions.csv").write_bytes(b"hidden labels")
    work = tmp_path / "work"
    work.mkdir()
    target = work / "predictions.csv"
    if plant == "file-link":
        target.symlink_to(secret / "predictions.csv")
    elif plant == "folder-link":
        (work / "sub").symlink_to(secret)
    elif plant == "fifo":
        os.mkfifo(target)  # opening it for reading would block a reader that does not guard against it
    elif plant == "folder":
        target.mkdir()
    elif plant == "too-big":
        target.write_bytes(b"x" * 101)
    relative = "sub/predictions.csv" if plant == "folder-link" else "predictions.csv"
    with pytest.raises(ReadbackError):
        read_run_file(work, relative, 100)


@pytest.mark.parametrize("relative", ["../secret", "/etc/passwd", ""])
def test_paths_that_leave_the_folder_are_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ReadbackError):
        read_run_file(tmp_path, relative, 100)


def test_a_channel_keeps_what_was_sent_even_if_the_sender_goes_on() -> None:
    channel = Channel(max_bytes=64)
    os.write(channel.write_fd, frame(NONCE, "probe", b"{}") + b"x" * 100)
    data = channel.collect()
    assert len(data) == 64 and channel.dropped == len(frame(NONCE, "probe", b"{}")) + 100 - 64
    assert parse_messages(data, NONCE).payloads == {"probe": b"{}"}


def test_a_message_cut_short_is_not_taken() -> None:
    cut = frame(NONCE, "state_dict", b"0123456789")[:-3]
    messages = parse_messages(cut, NONCE)
    assert messages.payloads == {} and messages.truncated == ["state_dict"]
