"""Which models the notebook trains: every ``nn.Module`` built, and for each optimizer that steps, the
largest module whose parameters it updates, kept alive so the probes find it even when it was built and
trained inside a function.

Installed by the guard's torch patch (:mod:`grader.execute.inkernel.patches`) once torch is imported;
standard library only at import. What it records is the kernel's claim: it only says which models the
probes export, and the fresh process rebuilds and describes each one from its weights.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import typing as t
import weakref

REGISTRY_ATTR = "_grader_training"  # on the torch module, where the probes look for the registry
MAX_TRAINED = 16  # models kept alive (a sweep trains many; the first ones and their steps are enough)


class TrainingRegistry:
    """Modules built (weakly held) and the models the optimizers stepped, in the order training began."""

    def __init__(self) -> None:
        self.built: weakref.WeakSet[t.Any] = weakref.WeakSet()
        self.trained: list[dict[str, t.Any]] = []
        self._by_optimizer: dict[int, dict[str, t.Any]] = {}

    def stepped(self, optimizer: t.Any) -> None:
        entry = self._by_optimizer.get(id(optimizer))
        if entry is None:
            if len(self.trained) >= MAX_TRAINED:
                return
            entry = {"optimizer": optimizer, "module": self._owner(optimizer), "steps": 0}
            self._by_optimizer[id(optimizer)] = entry
            if entry["module"] is not None:
                self.trained.append(entry)
        entry["steps"] += 1

    def _owner(self, optimizer: t.Any) -> t.Any:
        """The module with the most parameters all of which OPTIMIZER updates: the model, not a layer.

        A model whose parameters all sit in one child (``self.fc``, ``self.layers = nn.Sequential(...)``)
        ties with that child; the outer module wins, since its forward is the one the notebook trained."""
        updated = {id(p) for group in optimizer.param_groups for p in group["params"]}
        best, best_count = None, 0
        for module in list(self.built):
            own = [id(p) for p in module.parameters()]
            if not own or not all(p in updated for p in own):
                continue
            if len(own) > best_count or (len(own) == best_count and _contains(module, best)):
                best, best_count = module, len(own)
        return best

    def models(self) -> list[tuple[t.Any, int, str]]:
        """(model, optimizer steps, optimizer class) of each model trained, one entry per model."""
        found: dict[int, tuple[t.Any, int, str]] = {}
        for entry in self.trained:
            module, steps = entry["module"], entry["steps"]
            before = found.get(id(module))
            found[id(module)] = (
                module,
                steps + (before[1] if before else 0),
                type(entry["optimizer"]).__name__,
            )
        return list(found.values())


def _contains(outer: t.Any, inner: t.Any) -> bool:
    return inner is not None and outer is not inner and any(m is inner for m in outer.modules())


def track_training(torch: t.Any) -> None:
    """Record every module built and every optimizer step from now on (once per process)."""
    optimizers = sys.modules.get("torch.optim.optimizer")  # imported by torch, not always its attribute
    if getattr(torch, REGISTRY_ATTR, None) is not None or optimizers is None:
        return
    registry = TrainingRegistry()
    module_class = torch.nn.Module
    original = module_class.__init__

    @functools.wraps(original)
    def init(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        original(self, *args, **kwargs)
        with contextlib.suppress(TypeError):  # a module its class made unhashable is not tracked
            registry.built.add(self)

    module_class.__init__ = init
    optimizers.register_optimizer_step_post_hook(lambda optimizer, args, kwargs: registry.stepped(optimizer))
    setattr(torch, REGISTRY_ATTR, registry)
