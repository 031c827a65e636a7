"""One module per verb group of the grader command; each adds its verb with ``register``.

Each module names its verb (``VERB``) and says in one line what it does (``SUMMARY``), for the verb list
of ``grader --help``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def default_of(api: Callable[..., object], name: str) -> Any:
    """The default of parameter NAME of API (a function or an options class), so that a command's default is
    the API's own and the two cannot drift apart."""
    default = inspect.signature(api).parameters[name].default
    if default is inspect.Parameter.empty:
        raise TypeError(f"{api.__qualname__} has no default for {name}")
    return default
