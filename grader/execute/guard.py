"""Run-time guard, executed in the student's kernel before the first cell: it blocks and records network use
and the loading of weights the run did not produce itself.

This file is sent to the kernel as source text (:func:`guard_source`) and runs there with the standard library
alone; it never imports torch itself, but patches pickle now, and torch, numpy, torchvision, timm,
safetensors, huggingface_hub and transformers when (and if) the student's code imports them. Events leave as
JSON lines on a pipe the grader reads outside the sandbox, so what was written cannot be taken back. The
audit hook cannot be removed once added, but everything else runs in the student's process: a determined
student can close the pipe or undo a patch. This is a tripwire that leaves evidence; the barriers are the
sandbox's empty network namespace and its missing hidden files, and the grader's own static scan of the code.
"""

from __future__ import annotations

import functools
import importlib.abc
import json
import os
import select
import socket
import stat
import sys
import time
import typing as t
from pathlib import Path

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
WEIGHTS, DATA = "weights", "data"  # how a loader's foreign file is treated: blocked, or only recorded


def guard_source(events_fd: int) -> str:
    """The code to run in the kernel: this module's text, then the call that installs the guard on the pipe
    whose write end is open in the kernel as file descriptor ``events_fd``."""
    return Path(__file__).read_text(encoding="utf-8") + f"\ninstall({int(events_fd)})\n"


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

    def __init__(self, events_fd: int) -> None:
        self.fd: int | None = _keep_events_fd(events_fd)
        self.fd_identity = _identity(self.fd)
        self.written: set[str] = set()
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

    # -- files ----------------------------------------------------------------------------------------------

    def real(self, path: str) -> str:
        return os.path.realpath(path)

    def is_foreign(self, real: str) -> bool:
        """Not written by this run, and not part of the grader's Python or system files."""
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
            elif policy == WEIGHTS:
                self.block(kind, source.path, _LOADING_WEIGHTS)
            elif not source.path.startswith(self.course):
                self.record(kind, "observed", source.path)
        except PermissionError:
            raise
        except Exception as exc:  # a fault of the guard must never break the student's code
            self.record("guard.error", "failed", f"{kind}: {exc!r}")

    # -- the audit hook -------------------------------------------------------------------------------------

    def audit(self, event: str, args: tuple[t.Any, ...]) -> None:
        if event not in _AUDITED:
            return
        try:
            self._audit(event, args)
        except PermissionError:
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
        if self.is_foreign(real):
            self.block(
                "open", path, "reading a checkpoint this run did not write is not allowed in a graded run"
            )

    def _move(self, event: str, source: object, destination: object) -> None:
        src, dst = _as_path(source), _as_path(destination)
        if src is None or dst is None:
            return
        real = self.real(src)
        if real in self.written:
            self.written.add(self.real(dst))
        elif real.lower().endswith(CHECKPOINT_SUFFIXES) and self.is_foreign(real):
            self.block(
                event, src, "moving a checkpoint this run did not write is not allowed in a graded run"
            )


# -- patches applied when a library is imported ------------------------------------------------------------


def _blocker(guard: Guard, kind: str, why: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    @functools.wraps(original)
    def blocked(*args: t.Any, **kwargs: t.Any) -> t.Any:
        detail = ", ".join(
            [*(repr(a)[:80] for a in args[:2]), *(f"{k}={v!r}"[:80] for k, v in kwargs.items())]
        )
        guard.block(kind, detail, why)

    blocked.__grader_guard__ = True  # type: ignore[attr-defined]
    return blocked


_DOWNLOAD = "downloading models or weights is not allowed in a graded run"


def _block_attrs(guard: Guard, module: object, names: tuple[str, ...]) -> None:
    prefix = getattr(module, "__name__", "?")
    for name in names:
        original = getattr(module, name, None)
        if callable(original) and not getattr(original, "__grader_guard__", False):
            setattr(module, name, _blocker(guard, f"{prefix}.{name}", _DOWNLOAD, original))


def _checked(
    guard: Guard, kind: str, original: t.Callable[..., t.Any], policy: str, arg: str
) -> t.Callable[..., t.Any]:
    """``original`` with what it reads (its first argument, or the keyword ``arg``) checked first."""

    @functools.wraps(original)
    def checked(*args: t.Any, **kwargs: t.Any) -> t.Any:
        source = args[0] if args else kwargs.get(arg)
        guard.check_load(kind, source, policy, sys._getframe(1).f_code.co_filename)
        return original(*args, **kwargs)

    checked.__grader_guard__ = True  # type: ignore[attr-defined]
    return checked


def _recording(
    guard: Guard, original: t.Callable[..., t.Any], arg: str, position: int
) -> t.Callable[..., t.Any]:
    """``original``, a writer whose file no audit event announces (C++ or Rust writes it), recording it."""

    @functools.wraps(original)
    def recording(*args: t.Any, **kwargs: t.Any) -> t.Any:
        result = original(*args, **kwargs)
        guard.wrote(args[position] if len(args) > position else kwargs.get(arg))
        return result

    recording.__grader_guard__ = True  # type: ignore[attr-defined]
    return recording


def _guarded(module: t.Any, name: str) -> t.Any:
    """The attribute to wrap, or None when it is missing or already wrapped."""
    original = getattr(module, name, None)
    return None if not callable(original) or getattr(original, "__grader_guard__", False) else original


def _patch_torch(guard: Guard, torch: t.Any) -> None:
    """torch.save and torch.jit.save write through C++ (no audit event), so record their target; the loaders
    check their source."""
    save, load = _guarded(torch, "save"), _guarded(torch, "load")
    if save is not None and load is not None:
        torch.save = torch.serialization.save = _recording(guard, save, "f", 1)
        torch.load = torch.serialization.load = _checked(guard, "torch.load", load, WEIGHTS, "f")
    jit = getattr(torch, "jit", None)
    jit_save, jit_load = _guarded(jit, "save"), _guarded(jit, "load")
    if jit_save is not None and jit_load is not None:
        jit.save = _recording(guard, jit_save, "f", 1)
        jit.load = _checked(guard, "torch.jit.load", jit_load, WEIGHTS, "f")


def _patch_pickle(guard: Guard, module: t.Any) -> None:
    """pickle runs code as it loads, so a pickle is weights. Libraries (multiprocessing, DataLoader workers,
    torch itself) unpickle bytes all the time: their calls are only checked when they read a file."""
    load, loads = _guarded(module, "load"), _guarded(module, "loads")
    if load is None or loads is None or getattr(module.Unpickler, "__grader_guard__", False):
        return
    for name, original, arg in (("load", load, "file"), ("loads", loads, "data")):
        wrapper = staticmethod(_checked(guard, f"pickle.{name}", original, WEIGHTS, arg))
        wrapper.__grader_guard__ = True  # type: ignore[attr-defined]
        setattr(module, name, wrapper)  # a staticmethod, like the builtin, stays unbound in a class body
    module.Unpickler = _checked_unpickler(guard, module.Unpickler)


def _checked_unpickler(guard: Guard, base: type) -> type:
    """A subclass, not a function: torch and others subclass ``pickle.Unpickler`` when they load."""

    class Unpickler(base):  # type: ignore[valid-type, misc]
        __doc__ = base.__doc__
        __grader_guard__ = True

        def __init__(self, file: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
            caller = sys._getframe(1).f_code.co_filename
            guard.check_load("pickle.Unpickler", file, WEIGHTS, caller)
            super().__init__(file, *args, **kwargs)

    Unpickler.__module__, Unpickler.__qualname__ = base.__module__, base.__qualname__
    return Unpickler


def _patch_numpy(guard: Guard, numpy: t.Any) -> None:
    """Students load their own .npy data: a foreign file is recorded, not blocked."""
    load = _guarded(numpy, "load")
    if load is not None:
        numpy.load = _checked(guard, "numpy.load", load, DATA, "file")


def _patch_torchvision_api(guard: Guard, api: t.Any) -> None:
    weights_enum = getattr(api, "WeightsEnum", None)
    if weights_enum is not None and not getattr(weights_enum.get_state_dict, "__grader_guard__", False):
        original = weights_enum.get_state_dict

        @functools.wraps(original)
        def get_state_dict(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            guard.block("torchvision.weights", str(self), "pretrained torchvision weights are not allowed")

        get_state_dict.__grader_guard__ = True  # type: ignore[attr-defined]
        weights_enum.get_state_dict = get_state_dict
    _block_attrs(guard, api, ("load_state_dict_from_url",))


def _patch_timm(guard: Guard, timm: t.Any) -> None:
    create_model = getattr(timm, "create_model", None)
    if not callable(create_model) or getattr(create_model, "__grader_guard__", False):
        return

    @functools.wraps(create_model)
    def guarded_create_model(
        model_name: str, pretrained: bool = False, *args: t.Any, **kwargs: t.Any
    ) -> t.Any:
        if pretrained or kwargs.get("pretrained_cfg_overlay") or kwargs.get("checkpoint_path"):
            guard.block("timm.create_model", f"{model_name!r}, pretrained={pretrained!r}", _DOWNLOAD)
        return create_model(model_name, pretrained, *args, **kwargs)

    guarded_create_model.__grader_guard__ = True  # type: ignore[attr-defined]
    timm.create_model = guarded_create_model


def _patch_safetensors(guard: Guard, module: t.Any) -> None:
    """safetensors reads and writes in Rust: no audit event, so its loaders check and its savers record."""
    prefix = module.__name__
    for name, arg in (("safe_open", "filename"), ("load_file", "filename"), ("load", "data")):
        original = _guarded(module, name)
        if original is not None:
            setattr(module, name, _checked(guard, f"{prefix}.{name}", original, WEIGHTS, arg))
    for name in ("save_file", "serialize_file"):
        original = _guarded(module, name)
        if original is not None:
            setattr(module, name, _recording(guard, original, "filename", 1))


def _patch_transformers(guard: Guard, modeling_utils: t.Any) -> None:
    model_class = getattr(modeling_utils, "PreTrainedModel", None)
    method = getattr(model_class, "__dict__", {}).get("from_pretrained")
    if not isinstance(method, classmethod) or getattr(method.__func__, "__grader_guard__", False):
        return
    blocked = _blocker(guard, "transformers.from_pretrained", _DOWNLOAD, method.__func__)
    model_class.from_pretrained = classmethod(blocked)  # type: ignore[union-attr]


PATCHES: dict[str, t.Callable[[Guard, t.Any], None]] = {
    "torch": _patch_torch,
    "torch.hub": lambda g, m: _block_attrs(
        g, m, ("load", "load_state_dict_from_url", "download_url_to_file")
    ),
    "torch.utils.model_zoo": lambda g, m: _block_attrs(g, m, ("load_url",)),
    "torchvision._internally_replaced_utils": lambda g, m: _block_attrs(g, m, ("load_state_dict_from_url",)),
    "torchvision.models._api": _patch_torchvision_api,
    "timm": _patch_timm,
    "safetensors": _patch_safetensors,
    "safetensors.torch": _patch_safetensors,
    "safetensors.numpy": _patch_safetensors,
    "numpy": _patch_numpy,
    "pickle": _patch_pickle,
    "huggingface_hub": lambda g, m: _block_attrs(g, m, ("hf_hub_download", "snapshot_download")),
    "huggingface_hub.file_download": lambda g, m: _block_attrs(g, m, ("hf_hub_download",)),
    "transformers.modeling_utils": _patch_transformers,
}


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then the patch; everything else is delegated to the real loader."""

    def __init__(self, loader: t.Any, patch: t.Callable[[t.Any], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: t.Any) -> t.Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: t.Any) -> None:
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._loader, name)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: finds watched modules through the other finders and wraps their loader."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def find_spec(self, fullname: str, path: t.Any, target: t.Any = None) -> t.Any:
        patch = PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(
                        spec.loader, functools.partial(_safe_patch, self._guard, patch)
                    )
                return spec
        return None


def _safe_patch(guard: Guard, patch: t.Callable[[Guard, t.Any], None], module: t.Any) -> None:
    """A patch that fails (a library changed shape) is recorded, never allowed to break the import."""
    try:
        patch(guard, module)
    except Exception as exc:
        guard.record("guard.patch", "failed", f"{getattr(module, '__name__', '?')}: {exc!r}")


def install(events_fd: int) -> Guard:
    """Take over the events pipe, add the audit hook and the import patches, and patch what is imported
    already (pickle always is: the standard library's modules bind its functions as they import)."""
    guard = Guard(events_fd)
    sys.addaudithook(guard.audit)
    sys.meta_path.insert(0, _PatchingFinder(guard))
    importlib.import_module("pickle")
    for name, patch in PATCHES.items():
        module = sys.modules.get(name)
        if module is not None:
            _safe_patch(guard, patch, module)
    guard.record("guard", "installed", f"pid {os.getpid()}")
    return guard
