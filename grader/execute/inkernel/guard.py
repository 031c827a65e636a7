"""Run-time guard, executed in the student's kernel before the first cell: it blocks and records network use
and the loading of weights the run did not produce itself.

Weights an earlier notebook's run of the same grading wrote (the harness copied them into this run's work
folder and names them in ``inherited``) count as the run's own: the submission's notebooks run in order and a
later one may load what an earlier one saved. A load of a file that does not exist is not blocked but fails
as the loader would (FileNotFoundError), recorded as ``missing``, so a lost checkpoint or a path of the
student's own machine reads as what it is, not as foreign weights.

This file is sent to the kernel as source text (:func:`grader.execute.payload.guard_source`) and runs there
with the standard library alone; it never imports torch itself, but patches pickle now, and torch, numpy,
torchvision, timm, safetensors, huggingface_hub and transformers when (and if) the student's code imports
them (:mod:`grader.execute.inkernel.patches`). Events leave as
JSON lines on a pipe the grader reads outside the sandbox, so what was written cannot be taken back. The
audit hook cannot be removed once added, but everything else runs in the student's process: a determined
student can close the pipe or undo a patch. This is a tripwire that leaves evidence; the barriers are the
sandbox's empty network namespace and its missing hidden files, and the grader's own static scan of the code.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import select
import socket
import stat
import sys
import time
import typing as t

from grader.execute.inkernel.colab_stub import ColabFinder
from grader.execute.inkernel.cuda_on_cpu import map_cuda_to_cpu
from grader.execute.inkernel.patches import PATCHES, WEIGHTS, _PatchingFinder, _safe_patch

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors")
MAX_EVENTS_PER_KIND = 100
MAX_DETAIL_CHARS = 500
EVENTS_FD_FLOOR = 200  # the guard's copy of the pipe sits above the numbers a student's code opens and closes
COURSE_DATA = "data"  # where the sandbox mounts the course data, relative to the kernel's cwd
LOOPBACK_NAMES = frozenset({None, "", "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1"})
_AUDITED = frozenset(
    {
        "open",
        "os.rename",
        "os.link",
        "socket.connect",
        "socket.sendto",
        "socket.getaddrinfo",
        "urllib.Request",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_LOADING_WEIGHTS = "loading weights this run did not write is not allowed in a graded run"


def _as_path(value: object) -> str | None:
    if isinstance(value, int):
        return None
    try:
        return os.fsdecode(os.fspath(value))  # type: ignore[arg-type]
    except TypeError:
        return None


class Source(t.NamedTuple):
    """What a loader reads: a file (its real path), or memory or a stream (its size in bytes when known)."""

    path: str | None
    size: int | None = None


def _source(target: object) -> Source | None:
    """Resolve a loader's argument: a path, a file object (through its descriptor, else its name), or bytes or
    a buffer, which have no provenance. None when there is nothing to check (the loader will refuse it)."""
    if target is None or isinstance(target, int):
        return None
    if isinstance(target, bytes | bytearray):
        return Source(None, len(target))
    if isinstance(target, memoryview):
        return Source(None, target.nbytes)
    path = _as_path(target)
    if path is not None:
        return Source(os.path.realpath(path))
    path = _open_file_path(target)
    if path is not None:
        return Source(path)
    getbuffer = getattr(target, "getbuffer", None)
    if callable(getbuffer):
        try:
            with getbuffer() as view:
                return Source(None, view.nbytes)
        except (TypeError, ValueError, AttributeError):
            pass
    return Source(None)


def _open_file_path(target: object) -> str | None:
    """The real path of the file a file object reads: /proc knows it even after a chdir, or for os.fdopen."""
    try:
        link = os.readlink(f"/proc/self/fd/{target.fileno()}")  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, TypeError):
        link = None
    if link is not None:
        return link.removesuffix(" (deleted)") if link.startswith("/") else None  # else a pipe or a socket
    name = _as_path(getattr(target, "name", None))
    return os.path.realpath(name) if name is not None and os.path.isfile(name) else None


def _keep_events_fd(events_fd: int) -> int:
    """A close-on-exec copy of the pipe above the low numbers, so that a student's ``os.close(3)`` or a child
    it execs does not get it; the original is closed, the guard owns the copy."""
    try:
        import fcntl

        copy = fcntl.fcntl(events_fd, fcntl.F_DUPFD_CLOEXEC, EVENTS_FD_FLOOR)
    except (ImportError, OSError):  # no fcntl, or a descriptor limit below the floor
        copy = os.dup(events_fd)  # non-inheritable, at the lowest free number
    os.close(events_fd)
    return copy


def _identity(fd: int) -> tuple[int, int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino, stat.S_IFMT(info.st_mode)


def _course_data_roots() -> tuple[str, ...]:
    """The course data as the kernel sees it at install: the folder, and (without the sandbox, where its
    entries are links) what each entry points to."""
    root = os.path.realpath(COURSE_DATA)
    if not os.path.isdir(root):
        return ()
    roots = {root + "/"}
    with os.scandir(root) as entries:
        for entry in entries:
            real = os.path.realpath(entry.path)
            roots.add(real + "/" if os.path.isdir(real) else real)
    return tuple(sorted(roots))


class Guard:
    """State shared by the audit hook and the import-time patches: what this run wrote, and the event pipe."""

    def __init__(self, events_fd: int, inherited: dict[str, str] | None = None) -> None:
        self.fd: int | None = _keep_events_fd(events_fd)
        self.fd_identity = _identity(self.fd)
        self.written: set[str] = set()
        # real path -> (the path as the harness named it, the notebook whose run wrote it), for what it copied
        self.inherited = {os.path.realpath(rel): (rel, nb) for rel, nb in (inherited or {}).items()}
        self.loaded_inherited: set[str] = set()
        self.counts: dict[str, int] = {}
        roots = (sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr")
        prefixes = {os.path.realpath(p) for p in roots}
        self.trusted = tuple(sorted(p.rstrip("/") + "/" for p in prefixes))
        self.trusted_code = tuple(sorted({*self.trusted, *(p.rstrip("/") + "/" for p in roots)}))
        self.course = _course_data_roots()

    # -- the record -----------------------------------------------------------------------------------------

    def record(self, kind: str, action: str, detail: str) -> None:
        if self.fd is None:
            return
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count > MAX_EVENTS_PER_KIND + 1:
            return
        if count == MAX_EVENTS_PER_KIND + 1:
            action, detail = "truncated", f"further {kind} events were not recorded"
        event = {"time": time.time(), "pid": os.getpid(), "kind": kind, "action": action}
        self._write(event, detail[:MAX_DETAIL_CHARS])

    def _write(self, event: dict[str, t.Any], detail: str) -> None:
        """One line in one write no longer than PIPE_BUF, which a pipe never interleaves with another's."""
        while True:
            line = (json.dumps({**event, "detail": detail}) + "\n").encode()
            if len(line) <= select.PIPE_BUF or not detail:
                break
            detail = detail[: len(detail) // 2]
        fd = self.fd
        try:
            if fd is None or _identity(fd) != self.fd_identity:
                raise OSError("the events pipe was closed or replaced")
            os.write(fd, line)
        except OSError:  # the student's code closed it: from now on nothing is recorded, nothing breaks
            self.fd = None

    def block(self, kind: str, detail: str, why: str) -> t.NoReturn:
        self.record(kind, "blocked", detail)
        raise PermissionError(f"grader guard: {why} ({kind}: {detail[:200]}); this attempt was recorded")

    def missing(self, kind: str, shown: str) -> t.NoReturn:
        """The loader's own error for a file that does not exist (SHOWN as the code names it), raised here so
        that nothing can appear at the path between this check and the load."""
        self.record(kind, "missing", shown)
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), shown)

    # -- files ----------------------------------------------------------------------------------------------

    def real(self, path: str) -> str:
        return os.path.realpath(path)

    def is_foreign(self, real: str) -> bool:
        """Not written by this run or an earlier notebook's, and not the grader's Python or system files."""
        if real in self.inherited and real not in self.written:
            if real not in self.loaded_inherited:
                self.loaded_inherited.add(real)
                self.record("inherited", "observed", self.inherited[real][0])
            return False
        return real not in self.written and not real.startswith(self.trusted)

    def wrote(self, target: object) -> None:
        source = _source(target)
        if source is not None and source.path is not None:
            self.written.add(source.path)

    def check_load(self, kind: str, target: object, policy: str, caller: str) -> None:
        """Check what a loader reads: a foreign file is blocked (WEIGHTS) or recorded (DATA, unless it is the
        course data); memory is recorded when the student's code, not a library's, hands it over."""
        try:
            source = _source(target)
            if source is None:
                return
            if source.path is None:
                if not caller.startswith(self.trusted_code):
                    size = "size unknown" if source.size is None else f"{source.size} bytes"
                    what = f"{type(target).__name__} in memory, {size}, provenance unknown"
                    self.record(kind, "observed", what)
            elif not self.is_foreign(source.path):
                return
            elif policy == WEIGHTS and not os.path.exists(source.path):
                self.missing(kind, _as_path(target) or source.path)
            elif policy == WEIGHTS:
                self.block(kind, source.path, _LOADING_WEIGHTS)
            elif not source.path.startswith(self.course):
                self.record(kind, "observed", source.path)
        except (PermissionError, FileNotFoundError):
            raise
        except Exception as exc:  # a fault of the guard must never break the student's code
            self.record("guard.error", "failed", f"{kind}: {exc!r}")

    # -- the audit hook -------------------------------------------------------------------------------------

    def audit(self, event: str, args: tuple[t.Any, ...]) -> None:
        if event not in _AUDITED:
            return
        try:
            self._audit(event, args)
        except (PermissionError, FileNotFoundError):
            raise
        except Exception as exc:  # a fault of the guard must never break the student's code
            self.record("guard.error", "failed", f"{event}: {exc!r}")

    def _audit(self, event: str, args: tuple[t.Any, ...]) -> None:
        if event == "open":
            self._open(*args[:3])
        elif event in ("os.rename", "os.link"):
            self._move(event, args[0], args[1])
        elif event in ("socket.connect", "socket.sendto"):
            sock, address = args[0], args[-1]
            if getattr(sock, "family", None) != getattr(socket, "AF_UNIX", None):
                self.block(event, repr(address), "network access is not allowed in a graded run")
        elif event == "socket.getaddrinfo":
            if args[0] not in LOOPBACK_NAMES:
                self.block(event, repr(args[0]), "network access is not allowed in a graded run")
        elif event == "urllib.Request":
            self.block(event, str(args[0]), "downloads are not allowed in a graded run")
        else:
            self.record(event, "observed", " ".join(repr(a) for a in args[:2]))

    def _open(self, target: object, mode: object, flags: object) -> None:
        path = _as_path(target)
        if path is None:
            return
        if isinstance(mode, str):
            writing = any(c in mode for c in "wax+")
        else:
            writing = isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        if writing:
            self.written.add(self.real(path))
            return
        if path.startswith(self.trusted) and ".." not in path:  # imports: spare the realpath system calls
            return
        if not path.lower().endswith(CHECKPOINT_SUFFIXES):
            real = self.real(path)
            if not real.lower().endswith(CHECKPOINT_SUFFIXES):
                return
        else:
            real = self.real(path)
        if not self.is_foreign(real):
            return
        if not os.path.exists(real):
            self.missing("open", path)
        # the real path, as every loader's block names it: where the file lies says whose it is
        self.block("open", real, "reading a checkpoint this run did not write is not allowed in a graded run")

    def _move(self, event: str, source: object, destination: object) -> None:
        src, dst = _as_path(source), _as_path(destination)
        if src is None or dst is None:
            return
        real = self.real(src)
        if real in self.written:
            self.written.add(self.real(dst))
        elif real.lower().endswith(CHECKPOINT_SUFFIXES) and self.is_foreign(real):
            self.block(
                event, real, "moving a checkpoint this run did not write is not allowed in a graded run"
            )


def _then(first: t.Callable[[Guard, t.Any], None], second: t.Callable[[Guard, t.Any], None]) -> t.Any:
    def both(guard: Guard, module: t.Any) -> None:
        first(guard, module)
        second(guard, module)

    return both


def install(events_fd: int, cuda_on_cpu: bool = False, inherited: dict[str, str] | None = None) -> Guard:
    """Take over the events pipe, add the audit hook and the import patches, and patch what is imported
    already (pickle always is: the standard library's modules bind its functions as they import).
    CUDA_ON_CPU: a run without a GPU, whose CUDA calls run on the CPU (its patch goes under the guard's).
    ``inherited`` maps the paths (relative to the work folder, the cwd now) of files an earlier notebook's
    run wrote to that notebook's name. Colab's modules get stand-ins, as no grading machine is Colab."""
    guard = Guard(events_fd, inherited)
    patches = dict(PATCHES)
    if cuda_on_cpu:
        patches["torch"] = _then(map_cuda_to_cpu, PATCHES["torch"])
    sys.addaudithook(guard.audit)
    sys.meta_path.insert(0, _PatchingFinder(guard, patches))
    sys.meta_path.append(ColabFinder(guard))  # last: a real google.colab wins
    importlib.import_module("pickle")
    for name, patch in patches.items():
        module = sys.modules.get(name)
        if module is not None:
            _safe_patch(guard, patch, module)
    guard.record("guard", "installed", f"pid {os.getpid()}")
    return guard
