"""What a hostile submission could aim at, set up on the host so the corpus can prove nothing was reached.

The builders get the real host paths (the most informed attacker knows them); after grading, the tests check
that the listener saw no connection and that no file outside the submissions' work folders changed.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools import layout


@dataclass(frozen=True)
class Arena:
    course: Path  # the course data the grader runs on; its hidden/ holds the test labels
    labels: np.ndarray  # those hidden test labels, for honest predictions
    sample: Path  # the reference notebooks, executed, with their outputs
    neighbour: Path  # another student's submission, in the same batch input folder
    canary: Path  # a file of the grader's host, outside every work folder
    port: int  # a TCP listener on the host's loopback
    owned: Path  # a host file under /tmp that must never come to exist (a planted link's target)


class Listener:
    """Accepts and counts connections on 127.0.0.1: a sandboxed kernel must never get here."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


CANARY_TEXT = "the grader's own file\n"
# What a batch worker's environment holds and a sandboxed kernel's never does (bwrap --clearenv): read through
# a planted link to /proc/self/environ, it is the grader's environment.
WORKER_ENVIRON = b"GRADER_BATCH_PARENT_PID="


def open_arena(root: Path, course: Path, sample: Path, neighbour: Path) -> tuple[Arena, Listener]:
    """A canary file under ROOT/host and a loopback listener around COURSE; close the listener after."""
    canary = root / "host" / "canary.txt"
    canary.parent.mkdir()
    canary.write_text(CANARY_TEXT)
    listener = Listener()
    labels = np.load(course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)
    owned = (
        Path(tempfile.gettempdir()) / f"owned-{secrets.token_hex(6)}.txt"
    )  # one per arena: runs may overlap
    return Arena(course, labels, sample, neighbour, canary, listener.port, owned), listener


def hidden_labels_csv(arena: Arena, rows: int = 50) -> bytes:
    """The first ROWS hidden labels as predictions.csv rows: what a leak rendered as CSV would show."""
    return "".join(f"{i},{int(y)}\n" for i, y in enumerate(arena.labels[:rows])).encode()


def host_shadow_line() -> bytes | None:
    """The first line of the host's /etc/shadow, when this process can read it (as root)."""
    try:
        line = Path("/etc/shadow").read_bytes().split(b"\n", 1)[0]
    except OSError:
        return None
    return line or None


def arena_secrets(arena: Arena, repository: Path) -> dict[str, tuple[bytes, ...]]:
    """Byte strings that must never appear in a case's output folder, by name (see verdicts.no_leak)."""
    shadow = host_shadow_line()
    return {
        "canary": (CANARY_TEXT.encode(),),
        "hidden-labels": (
            (arena.course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS).read_bytes(),
            hidden_labels_csv(arena),
        ),
        "shadow": (shadow,) if shadow else (),
        "environ": (WORKER_ENVIRON,),
        # the venv may lie in the repository and is bound at its own path, so its path is no secret
        "host-paths": tuple(
            str(path).encode() for path in (arena.course, repository / "tools", repository / "grader")
        ),
    }


def snapshot(*roots: Path) -> dict[str, str]:
    """The sha256 of every file under ROOTS, by path, and the mode of every folder: what "changed" means."""
    seen: dict[str, str] = {}
    for root in roots:
        for path in sorted([root, *root.rglob("*")]):
            if path.is_symlink():
                seen[str(path)] = "link:" + str(path.readlink())
            elif path.is_file():
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                seen[str(path)] = f"dir:{path.stat().st_mode:o}"
    return seen
