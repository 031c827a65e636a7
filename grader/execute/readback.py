"""Reading a file that a sandboxed run may have written, without following anything the run planted.

A run can replace any entry of its work folder with a symlink (to a host file, the hidden labels, another
student's results), a FIFO that blocks the reader, or a huge file. Each path component below the folder is
opened with ``O_NOFOLLOW`` relative to its parent's descriptor, the last one non-blocking; only a regular
file within ``max_bytes`` is read, and its bytes are returned, so nothing downstream touches the path again.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath


class ReadbackError(OSError):
    """The entry is not a plain file of bounded size reachable without links: say which and why."""


def read_run_file(folder: Path, relative: str, max_bytes: int) -> bytes:
    """The bytes of ``folder/relative``; ``folder`` itself is the grader's own, never the run's."""
    parts = PurePosixPath(relative).parts
    if not parts or any(part in ("..", "/", "") for part in parts):
        raise ReadbackError(f"{relative!r} is not a plain relative path")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    dir_fd = os.open(folder, flags | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, flags | os.O_DIRECTORY, dir_fd=dir_fd)
            except OSError as exc:
                raise ReadbackError(f"{relative}: {part} is not a folder ({exc.strerror})") from None
            os.close(dir_fd)
            dir_fd = next_fd
        try:
            fd = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            reason = "a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            raise ReadbackError(f"{relative} cannot be read: {reason}") from None
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadbackError(f"{relative} is not a regular file")
        if info.st_size > max_bytes:
            raise ReadbackError(f"{relative} is larger than {max_bytes} bytes ({info.st_size})")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise ReadbackError(f"{relative} grew past {max_bytes} bytes while being read")
        return data
    finally:
        os.close(fd)
