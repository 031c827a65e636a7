"""Run-time guard, executed in the student's kernel before the first cell: it blocks and records network use
and the loading of weights the run did not produce itself.

This file is sent to the kernel as source text (:func:`guard_source`) and runs there with the standard library
alone; it never imports torch itself, but patches torch, torchvision, timm, safetensors, huggingface_hub and
transformers when (and if) the student's code imports them. The audit hook cannot be removed once added, but
everything else runs in the student's process: a determined student can delete the events file or undo a
patch. This is a tripwire that leaves evidence; the barriers are the sandbox's empty network namespace and
its missing hidden files, and the grader's own static scan of the code.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import json
import os
import socket
import sys
import time
import typing as t
from pathlib import Path

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors")
MAX_EVENTS_PER_KIND = 100
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


def guard_source(events_fd: int) -> str:
    """The code to run in the kernel: this module's text followed by the call that installs the guard."""
    return Path(__file__).read_text(encoding="utf-8") + f"\ninstall({events_fd!r})\n"


def _as_path(value: object) -> str | None:
    if isinstance(value, int):
        return None
    try:
        return os.fsdecode(os.fspath(value))  # type: ignore[arg-type]
    except TypeError:
        return None


class Guard:
    """State shared by the audit hook and the import-time patches: what this run wrote, and the event log."""

    def __init__(self, events_fd: int) -> None:
        self.fd = events_fd
        self.written: set[str] = set()
        self.counts: dict[str, int] = {}
        prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr")}
        self.trusted = tuple(sorted(p.rstrip("/") + "/" for p in prefixes))

    # -- the record -----------------------------------------------------------------------------------------

    def record(self, kind: str, action: str, detail: str) -> None:
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count > MAX_EVENTS_PER_KIND + 1:
            return
        if count == MAX_EVENTS_PER_KIND + 1:
            action, detail = "truncated", f"further {kind} events were not recorded"
        event = {"time": time.time(), "kind": kind, "action": action, "detail": detail[:500]}
        with contextlib.suppress(OSError):
            os.write(self.fd, (json.dumps(event) + "\n").encode())

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
        path = _as_path(getattr(target, "name", target))
        if path is not None:
            self.written.add(self.real(path))

    def check_weights_path(self, kind: str, target: object) -> None:
        """Block loading a file this run did not write (used by the torch.load-style wrappers)."""
        path = _as_path(target)
        if path is not None and self.is_foreign(self.real(path)):
            self.block(kind, path, "loading weights this run did not write is not allowed in a graded run")

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


def _patch_torch(guard: Guard, torch: t.Any) -> None:
    """torch.save writes through C++ (no audit event), so record its target; torch.load checks its source."""
    save, load = torch.save, torch.load
    if getattr(save, "__grader_guard__", False):
        return

    @functools.wraps(save)
    def guarded_save(obj: t.Any, f: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        result = save(obj, f, *args, **kwargs)
        guard.wrote(f)
        return result

    @functools.wraps(load)
    def guarded_load(f: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        guard.check_weights_path("torch.load", f)
        return load(f, *args, **kwargs)

    guarded_save.__grader_guard__ = True  # type: ignore[attr-defined]
    guarded_load.__grader_guard__ = True  # type: ignore[attr-defined]
    torch.save = torch.serialization.save = guarded_save
    torch.load = torch.serialization.load = guarded_load
    jit_load = getattr(getattr(torch, "jit", None), "load", None)
    if callable(jit_load):

        @functools.wraps(jit_load)
        def guarded_jit_load(f: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            guard.check_weights_path("torch.jit.load", f)
            return jit_load(f, *args, **kwargs)

        torch.jit.load = guarded_jit_load


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
    load_file = getattr(module, "load_file", None)
    if not callable(load_file) or getattr(load_file, "__grader_guard__", False):
        return

    @functools.wraps(load_file)
    def guarded_load_file(filename: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        guard.check_weights_path("safetensors.load_file", filename)
        return load_file(filename, *args, **kwargs)

    guarded_load_file.__grader_guard__ = True  # type: ignore[attr-defined]
    module.load_file = guarded_load_file


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
    "safetensors.torch": _patch_safetensors,
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
    """Open the events file, add the audit hook and the import patches, and patch what is already imported."""
    guard = Guard(events_fd)
    sys.addaudithook(guard.audit)
    sys.meta_path.insert(0, _PatchingFinder(guard))
    for name, patch in PATCHES.items():
        module = sys.modules.get(name)
        if module is not None:
            _safe_patch(guard, patch, module)
    guard.record("guard", "installed", f"pid {os.getpid()}")
    return guard
