"""What this machine offers an unsandboxed run, and the note each missing facility earns.

The TAs' grader runs on Linux with bubblewrap; the students' pre-check runs wherever they work (macOS,
Windows, Colab), as their own code on their own machine. There the Linux-only facilities the sandboxed path
takes for granted may be missing: per-process limits (the ``resource`` module), file locks (``fcntl``), unix
sockets for the kernel's channels, the CPU affinity call. Each is looked up here once, so the modules that
use one degrade the same way, and the pre-check can say at the top of its output what it runs without.
"""

from __future__ import annotations

import importlib
import os
import socket
import types
import typing as t

Transport = t.Literal["ipc", "tcp"]
TRANSPORTS: tuple[Transport, ...] = ("ipc", "tcp")
# forces the kernel's transport of an unsandboxed run; a sandboxed kernel always uses ipc (its network
# namespace has a loopback of its own, out of the grader's reach)
TRANSPORT_ENV = "GRADER_KERNEL_TRANSPORT"
LOOPBACK = "127.0.0.1"


def optional_module(name: str) -> types.ModuleType | None:
    """The module NAME, or None where this platform has none (``resource`` and ``fcntl`` on Windows)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


resource = optional_module("resource")
fcntl = optional_module("fcntl")


def unix_sockets() -> bool:
    """Whether ZMQ's ipc transport (unix domain sockets) can work here: not on Windows."""
    return hasattr(socket, "AF_UNIX") and os.name == "posix"


def cpu_count() -> int:
    """The CPUs this process may use: its affinity where the platform has one, else every CPU."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def default_transport() -> Transport:
    """ipc where unix sockets exist, else TCP on the loopback."""
    return "ipc" if unix_sockets() else "tcp"


def requested_transport(environ: t.Mapping[str, str] = os.environ) -> Transport | None:
    """The transport ``GRADER_KERNEL_TRANSPORT`` asks for, or None when it is unset or empty."""
    value = environ.get(TRANSPORT_ENV, "").strip().lower()
    if not value:
        return None
    if value not in TRANSPORTS:
        raise ValueError(
            f"{TRANSPORT_ENV}={value!r} is not a kernel transport: use one of {', '.join(TRANSPORTS)}"
        )
    return t.cast(Transport, value)


def kernel_transport(sandboxed: bool, requested: Transport | None = None) -> Transport:
    """The transport of a kernel's channels: ipc in the sandbox; else REQUESTED, the environment's choice or
    the platform's default."""
    if sandboxed:
        return "ipc"
    return requested or requested_transport() or default_transport()


def unsandboxed_notes() -> list[str]:
    """What an unsandboxed run on this machine goes without, one sentence each (none on Linux)."""
    notes = []
    if resource is None:
        notes.append(
            "no per-process limits here (Python has no `resource` module on this system): file size, open "
            "files and address space are not capped; the watchdog still stops a run past its memory"
        )
    if fcntl is None:
        notes.append("no file locks here (no `fcntl`): a retried run does not wait for the machine alone")
    if not unix_sockets():
        notes.append(f"no unix sockets here: the kernel talks to the pre-check over TCP on {LOOPBACK}")
    return notes
