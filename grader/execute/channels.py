"""Pipes from a sandboxed process to the grader: what the process sends cannot be taken back or redirected.

Files the sandbox can write are claims the student can rewrite, truncate or replace with links after the fact.
A pipe's write end handed to the process is different: every byte it sends is read at once on the host by a
thread of the grader, kept in memory up to a cap, and gone from the process's reach. The process may send
junk or stop sending, but not unsend.

Framing (:mod:`grader.execute.inkernel.framing`): a header line ``@@grader <nonce> <kind> <length>``, then the
bytes. The nonce is drawn by the grader for each run and reaches the kernel only in the cell that sends the
messages, so bytes the student's code wrote into the pipe before that cell cannot pass for them; a kind sent
twice (a hook that resends after the grader's cell) is reported as tampering, and the first copy is kept.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from dataclasses import dataclass, field

from grader.execute.inkernel.framing import HEADER

_HEADER = re.compile(
    re.escape(HEADER) + rb" (?P<nonce>[0-9a-f]{32}) (?P<kind>[a-z_]{1,32}) (?P<length>\d{1,12})\n"
)
READ_CHUNK = 1 << 16


def new_nonce() -> str:
    return secrets.token_hex(16)


class Channel:
    """A pipe whose read end a daemon thread drains into memory, keeping at most ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self._chunks: list[bytes] = []
        self._kept = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._drain, name="grader-channel", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.read_fd, READ_CHUNK)
            except OSError:
                break
            if not chunk:
                break
            room = self.max_bytes - self._kept
            if room > 0:
                self._chunks.append(chunk[:room])
                self._kept += min(room, len(chunk))
            self.dropped += max(0, len(chunk) - max(room, 0))
        os.close(self.read_fd)

    def close_write_end(self) -> None:
        """The grader's copy of the write end; once the process is gone too, the reader sees the end."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def collect(self, timeout_s: float = 10.0) -> bytes:
        """Everything received, once every writer has closed (or after ``timeout_s`` if one lingers)."""
        self.close_write_end()
        self._thread.join(timeout_s)
        return b"".join(self._chunks)


@dataclass
class Messages:
    """The framed messages found in a channel's bytes for one nonce."""

    payloads: dict[str, bytes] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)  # kinds sent more than once
    truncated: list[str] = field(default_factory=list)  # kinds whose payload was cut short


def parse_messages(data: bytes, nonce: str) -> Messages:
    found = Messages()
    for match in _HEADER.finditer(data):
        if match["nonce"].decode() != nonce:
            continue
        kind = match["kind"].decode()
        start, length = match.end(), int(match["length"])
        payload = data[start : start + length]
        if kind in found.payloads:
            found.repeated.append(kind)
            continue
        if len(payload) < length:
            found.truncated.append(kind)
            continue
        found.payloads[kind] = payload
    return found
