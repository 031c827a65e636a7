"""How a sandboxed process sends a message on a pipe to the grader: one rule for both sides.

A message is a header line ``@@grader <nonce> <kind> <length>`` followed by ``length`` bytes
(:mod:`grader.execute.channels` reads them). Standard library only: the probes and the fresh process carry
this module inlined in their payloads.
"""

from __future__ import annotations

import os

HEADER = b"@@grader"


def frame(nonce: str, kind: str, payload: bytes) -> bytes:
    return b"%s %s %s %d\n" % (HEADER, nonce.encode(), kind.encode(), len(payload)) + payload


def send(fd: int, nonce: str, kind: str, payload: bytes) -> None:
    """Write the whole framed message to FD, however many writes that takes."""
    view = memoryview(frame(nonce, kind, payload))
    while view:
        view = view[os.write(fd, view) :]
