"""What a checkpoint the submission carries holds, read without running it: the name and shape of each tensor,
and whether they are those of a published pretrained model (torchvision's, with its ImageNet head).

A carried checkpoint that the run tried to load is "unverified weights" unless it matches a published
architecture: that match is the evidence that turns it into "pretrained". The file is the student's, so it
is never unpickled for real: the unpickler below resolves every name the pickle asks for to an inert stand-in
that only records what it was called with (the "restricting globals" pattern of the pickle documentation), and
tensor data is never read, only the shapes written beside it.
"""

from __future__ import annotations

import functools
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

MAX_PICKLE_BYTES = 16 * 1024 * 1024  # a state dict's pickle is kilobytes; the tensor data lies beside it
_TENSOR_BUILDERS = frozenset({"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"})
_PARAMETER_BUILDER = "torch._utils._rebuild_parameter"
_WRAPPER_PREFIX = "module."  # nn.DataParallel's, which a published match looks through
# torchvision classifiers with ImageNet weights, the ones students reach for; their shapes are read from
# torchvision itself when first needed
PUBLISHED = ("resnet18", "resnet34", "resnet50", "vgg11", "vgg16", "alexnet", "mobilenet_v2", "densenet121")

Shapes = dict[str, tuple[int, ...]]


class _Inert:
    """Whatever the pickle names: called, it returns another stand-in holding the call; it runs nothing."""

    def __init__(self, name: str, args: tuple[Any, ...] = ()) -> None:
        self.name, self.args, self.items = name, args, {}

    def __call__(self, *args: Any, **kwargs: Any) -> _Inert:
        return _Inert(self.name, args)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.items[key] = value

    def __setstate__(self, state: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass


class _InertUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> _Inert:
        return _Inert(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> _Inert:
        return _Inert("storage", (pid,))


def _objects(data: bytes) -> list[Any]:
    """Every pickle in DATA, one after another (the legacy format writes several), as inert objects."""
    stream, found = io.BytesIO(data), []
    while stream.tell() < len(data):
        try:
            found.append(_InertUnpickler(stream).load())
        except Exception:  # the rest is raw storage bytes, or not a pickle at all
            break
    return found


def _pickle_bytes(path: Path) -> bytes | None:
    """The pickle of a torch checkpoint: ``data.pkl`` of the zip format, or the legacy file's head."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [i for i in archive.infolist() if i.filename.endswith("data.pkl")]
                if len(names) != 1 or names[0].file_size > MAX_PICKLE_BYTES:
                    return None
                return archive.read(names[0])
        with path.open("rb") as handle:
            return handle.read(MAX_PICKLE_BYTES)
    except (OSError, zipfile.BadZipFile):
        return None


def _shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, _Inert) and value.name == _PARAMETER_BUILDER and value.args:
        value = value.args[0]
    if isinstance(value, _Inert) and value.name in _TENSOR_BUILDERS and len(value.args) >= 3:
        size = value.args[2]
        if isinstance(size, tuple) and all(isinstance(n, int) for n in size):
            return size
    return None


def _mappings(value: Any, depth: int = 0) -> list[dict]:
    """The dicts (and OrderedDicts) in VALUE, itself and nested up to two levels ({'state_dict': ...})."""
    items = value.items if isinstance(value, _Inert) else value
    if not isinstance(items, dict) or depth > 2:
        return []
    return [items] + [m for v in items.values() for m in _mappings(v, depth + 1)]


def tensor_shapes(path: Path) -> Shapes:
    """The largest state dict in the checkpoint at PATH, as tensor name -> shape ({} when there is none)."""
    data = _pickle_bytes(path)
    best: Shapes = {}
    for obj in _objects(data) if data else []:
        for mapping in _mappings(obj):
            shapes = {str(k): s for k, v in mapping.items() if (s := _shape(v)) is not None}
            if len(shapes) > len(best):
                best = shapes
    return {key.removeprefix(_WRAPPER_PREFIX): shape for key, shape in best.items()}


@functools.cache
def _published() -> dict[str, Shapes]:
    import torch  # only when a carried checkpoint was loaded
    from torchvision import models

    with torch.device("meta"):  # shapes only: no memory, no initialisation
        built = {name: getattr(models, name)(weights=None) for name in PUBLISHED}
    return {name: {k: tuple(v.shape) for k, v in model.state_dict().items()} for name, model in built.items()}


def published_match(shapes: Shapes) -> str | None:
    """The published model whose every tensor (ImageNet head included) the checkpoint holds, shape for
    shape; None when there is none. A CIFAR-10 model of the same family has a 10-class head and differs."""
    if not shapes:
        return None
    for name, published in _published().items():
        if all(shapes.get(key) == shape for key, shape in published.items()):
            return f"torchvision {name} (ImageNet, {published[_head(published)][0]} classes)"
    return None


def _head(published: Shapes) -> str:
    """The last weight matrix: the classifier, whose rows are the classes."""
    return [key for key, shape in published.items() if key.endswith("weight") and len(shape) == 2][-1]
