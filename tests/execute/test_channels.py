"""The pipes a sandboxed process reports on: what was sent is kept up to a cap, and only whole messages of
this run's nonce are taken."""

from __future__ import annotations

import os

from grader.execute.channels import Channel, parse_messages
from grader.execute.inkernel.framing import frame

NONCE = "ab" * 16


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
