"""The guard's patches of the libraries that load weights or download models, applied when (and if) the
student's code imports them: torch, numpy, torchvision, timm, safetensors, huggingface_hub and transformers,
and pickle, which is imported already.

Part of the guard's payload (:mod:`grader.execute.inkernel.guard`): standard library only, it never imports
a library itself. A patch that fails because a library changed shape is recorded, never allowed to break the
student's import.
"""

from __future__ import annotations

import functools
import importlib.abc
import sys
import typing as t

from grader.execute.inkernel.training import track_training

WEIGHTS, DATA = "weights", "data"  # how a loader's foreign file is treated: blocked, or only recorded


class Guarding(t.Protocol):
    """What the patches need of :class:`grader.execute.inkernel.guard.Guard`, which imports them."""

    def record(self, kind: str, action: str, detail: str) -> None: ...

    def block(self, kind: str, detail: str, why: str) -> t.NoReturn: ...

    def wrote(self, target: object) -> None: ...

    def check_load(self, kind: str, target: object, policy: str, caller: str) -> None: ...


def _blocker(
    guard: Guarding, kind: str, why: str, original: t.Callable[..., t.Any]
) -> t.Callable[..., t.Any]:
    @functools.wraps(original)
    def blocked(*args: t.Any, **kwargs: t.Any) -> t.Any:
        detail = ", ".join(
            [*(repr(a)[:80] for a in args[:2]), *(f"{k}={v!r}"[:80] for k, v in kwargs.items())]
        )
        guard.block(kind, detail, why)

    blocked.__grader_guard__ = True  # type: ignore[attr-defined]
    return blocked


_DOWNLOAD = "downloading models or weights is not allowed in a graded run"


def _block_attrs(guard: Guarding, module: object, names: tuple[str, ...]) -> None:
    prefix = getattr(module, "__name__", "?")
    for name in names:
        original = getattr(module, name, None)
        if callable(original) and not getattr(original, "__grader_guard__", False):
            setattr(module, name, _blocker(guard, f"{prefix}.{name}", _DOWNLOAD, original))


def _checked(
    guard: Guarding, kind: str, original: t.Callable[..., t.Any], policy: str, arg: str
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
    guard: Guarding, original: t.Callable[..., t.Any], arg: str, position: int
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


def _patch_torch(guard: Guarding, torch: t.Any) -> None:
    """torch.save and torch.jit.save write through C++ (no audit event), so record their target; the loaders
    check their source. Then the models the notebook trains are tracked (last: the guard's patches first)."""
    save, load = _guarded(torch, "save"), _guarded(torch, "load")
    if save is not None and load is not None:
        torch.save = torch.serialization.save = _recording(guard, save, "f", 1)
        torch.load = torch.serialization.load = _checked(guard, "torch.load", load, WEIGHTS, "f")
    jit = getattr(torch, "jit", None)
    jit_save, jit_load = _guarded(jit, "save"), _guarded(jit, "load")
    if jit_save is not None and jit_load is not None:
        jit.save = _recording(guard, jit_save, "f", 1)
        jit.load = _checked(guard, "torch.jit.load", jit_load, WEIGHTS, "f")
    track_training(torch)


def _patch_pickle(guard: Guarding, module: t.Any) -> None:
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


def _checked_unpickler(guard: Guarding, base: type) -> type:
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


def _patch_numpy(guard: Guarding, numpy: t.Any) -> None:
    """Students load their own .npy data: a foreign file is recorded, not blocked."""
    load = _guarded(numpy, "load")
    if load is not None:
        numpy.load = _checked(guard, "numpy.load", load, DATA, "file")


def _patch_torchvision_api(guard: Guarding, api: t.Any) -> None:
    weights_enum = getattr(api, "WeightsEnum", None)
    if weights_enum is not None and not getattr(weights_enum.get_state_dict, "__grader_guard__", False):
        original = weights_enum.get_state_dict

        @functools.wraps(original)
        def get_state_dict(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            guard.block("torchvision.weights", str(self), "pretrained torchvision weights are not allowed")

        get_state_dict.__grader_guard__ = True  # type: ignore[attr-defined]
        weights_enum.get_state_dict = get_state_dict
    _block_attrs(guard, api, ("load_state_dict_from_url",))


def _patch_timm(guard: Guarding, timm: t.Any) -> None:
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


def _patch_safetensors(guard: Guarding, module: t.Any) -> None:
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


def _patch_transformers(guard: Guarding, modeling_utils: t.Any) -> None:
    model_class = getattr(modeling_utils, "PreTrainedModel", None)
    method = getattr(model_class, "__dict__", {}).get("from_pretrained")
    if not isinstance(method, classmethod) or getattr(method.__func__, "__grader_guard__", False):
        return
    blocked = _blocker(guard, "transformers.from_pretrained", _DOWNLOAD, method.__func__)
    model_class.from_pretrained = classmethod(blocked)  # type: ignore[union-attr]


PATCHES: dict[str, t.Callable[[Guarding, t.Any], None]] = {
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

    def __init__(self, guard: Guarding, patches: dict[str, t.Callable[[Guarding, t.Any], None]]) -> None:
        self._guard = guard
        self._patches = patches

    def find_spec(self, fullname: str, path: t.Any, target: t.Any = None) -> t.Any:
        patch = self._patches.get(fullname)
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


def _safe_patch(guard: Guarding, patch: t.Callable[[Guarding, t.Any], None], module: t.Any) -> None:
    """A patch that fails (a library changed shape) is recorded, never allowed to break the import."""
    try:
        patch(guard, module)
    except Exception as exc:
        guard.record("guard.patch", "failed", f"{getattr(module, '__name__', '?')}: {exc!r}")
