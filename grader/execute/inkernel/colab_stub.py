"""Colab's own modules, for notebooks written on Colab: ``from google.colab import drive`` and
``drive.mount('/content/drive')`` open many of them, and no grading machine has Colab, so without a stand-in
the run stops there and every run check after it is "not checked". With it the run goes on; a file the
notebook then reads from Drive is still missing, and fails as such.

Installed last on ``sys.meta_path`` by the guard (:mod:`grader.execute.inkernel.guard`), so a real
``google`` package or ``google.colab`` wins where there is one. Each stand-in call is recorded, for the
report. Standard library only.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import typing as t

COLAB_EVENT = "colab"
_COLAB_PACKAGES = ("google", "google.colab")


class _ColabRecording(t.Protocol):
    def record(self, kind: str, action: str, detail: str) -> None: ...


def _colab_drive(guard: _ColabRecording) -> dict[str, t.Any]:
    def mount(mountpoint: str, force_remount: bool = False, *args: t.Any, **kwargs: t.Any) -> None:
        guard.record(COLAB_EVENT, "stood-in", f"drive.mount({mountpoint!r}): Google Drive is not mounted")

    def flush_and_unmount(*args: t.Any, **kwargs: t.Any) -> None:
        return None

    return {"mount": mount, "flush_and_unmount": flush_and_unmount}


def _colab_files(guard: _ColabRecording) -> dict[str, t.Any]:
    def download(filename: str, *args: t.Any, **kwargs: t.Any) -> None:
        guard.record(COLAB_EVENT, "stood-in", f"files.download({filename!r}): nothing is downloaded")

    def upload(*args: t.Any, **kwargs: t.Any) -> dict[str, bytes]:
        guard.record(COLAB_EVENT, "stood-in", "files.upload(): no file is uploaded")
        return {}

    return {"download": download, "upload": upload}


COLAB_MODULES: dict[str, t.Callable[[_ColabRecording], dict[str, t.Any]]] = {
    "google": lambda guard: {},
    "google.colab": lambda guard: {},
    "google.colab.drive": _colab_drive,
    "google.colab.files": _colab_files,
}


class _StandInLoader(importlib.abc.Loader):
    def __init__(self, guard: _ColabRecording) -> None:
        self._guard = guard

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: t.Any) -> None:
        module.__dict__.update(COLAB_MODULES[module.__name__](self._guard))
        module.__doc__ = f"the grader's stand-in for Colab's {module.__name__} (this run is not on Colab)"


class ColabFinder(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: the stand-ins, for what no other finder found."""

    def __init__(self, guard: _ColabRecording) -> None:
        self._guard = guard

    def find_spec(self, fullname: str, path: t.Any, target: t.Any = None) -> t.Any:
        if fullname not in COLAB_MODULES:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _StandInLoader(self._guard), is_package=fullname in _COLAB_PACKAGES
        )
