"""The bubblewrap sandbox a student's kernel runs in: a whitelist of read-only system folders, no network.

Nothing of the host is visible unless named here: the repository, ``/work/shared``, the TAs' home and the
host path of the course data stay out of reach. The course data appears read-only at ``<work_dir>/data``
without its ``hidden/`` folder, and the course ``tools`` package at ``<work_dir>/tools``.
"""

from __future__ import annotations

import functools
import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools import layout

SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc")
SANDBOX_HOME = "/home/student"
DATA_MOUNT = "data"
TOOLS_MOUNT = "tools"
# torch and its libraries map about 3.5 GB of address space on import without touching it, so an address-space
# limit equal to memory_mb would stop ordinary notebooks: RLIMIT_AS is only a backstop above the watchdog,
# which enforces memory_mb on resident memory.
ADDRESS_SPACE_HEADROOM_MB = 4096
OPEN_FILES = 4096
MIB = 1024 * 1024


@dataclass(frozen=True)
class SandboxSpec:
    """Where one notebook runs and what it may use.

    ``runtime_dir``, when given, is bound writable at its own path: the kernel's connection file and IPC
    sockets live there, outside the work dir so that their paths stay short (unix sockets allow 107 bytes).
    """

    work_dir: Path
    data_dir: Path | None
    tools_dir: Path
    memory_mb: int = 4096
    max_processes: int = 64
    max_file_mb: int = 1024
    max_disk_mb: int = 2048  # all a run writes: its work folder (watchdog), and /tmp and $HOME (each a tmpfs)
    gpu: bool = False
    threads: int | None = None
    runtime_dir: Path | None = None


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def sandbox_env(spec: SandboxSpec, home: str = SANDBOX_HOME) -> dict[str, str]:
    """The whole environment of the kernel: nothing of the grader's own environment leaks in."""
    threads = str(spec.threads or len(os.sched_getaffinity(0)))
    env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if spec.gpu else "",
    }
    gpu_libs = _gpu_library_dirs() if spec.gpu else []
    if gpu_libs:
        env["LD_LIBRARY_PATH"] = ":".join(gpu_libs)
    return env


@functools.cache
def _gpu_library_dirs() -> list[str]:
    """Folders of the NVIDIA driver libraries, as the dynamic loader and LD_LIBRARY_PATH know them."""
    dirs: list[str] = []
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    candidates = [line.split("=>")[-1].strip() for line in listing.splitlines() if "libcuda.so" in line]
    for folder in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if folder and glob.glob(os.path.join(folder, "libcuda.so*")):
            candidates.append(os.path.join(folder, "libcuda.so"))
    for lib in candidates:
        folder = _real(os.path.dirname(lib))
        if folder not in dirs and os.path.isdir(folder):
            dirs.append(folder)
    return dirs


def _data_binds(data_dir: Path, mount: str) -> list[str]:
    """Bind each entry but ``hidden/`` on its own, so the hidden folder has no path inside the sandbox."""
    source = _real(data_dir)
    hidden = os.path.join(source, layout.HIDDEN_DIR)
    argv = ["--tmpfs", mount]
    for entry in sorted(os.listdir(source)):
        real = _real(os.path.join(source, entry))
        if entry == layout.HIDDEN_DIR or _is_within(real, hidden) or not os.path.exists(real):
            continue
        argv += ["--ro-bind", real, os.path.join(mount, entry)]
    return argv + ["--remount-ro", mount]


def bwrap_argv(spec: SandboxSpec, command: list[str]) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` in the sandbox with ``work_dir`` as its cwd."""
    work = _real(spec.work_dir)
    if spec.data_dir is not None:
        data = _real(spec.data_dir)
        if _is_within(data, work) or _is_within(work, data):
            raise ValueError(f"the course data {data} and the work dir {work} must not contain each other")
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for key, value in sandbox_env(spec).items():
        argv += ["--setenv", key, value]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    # tmpfs pages are memory no process's resident size shows, so the watchdog cannot see them: cap them here
    for folder in ("/tmp", "/home"):
        argv += ["--size", str(spec.max_disk_mb * MIB), "--tmpfs", folder]
    argv += ["--dir", SANDBOX_HOME]
    bound: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
            bound.append(folder)
    for prefix in (_real(sys.base_prefix), _real(sys.prefix)):
        if not any(_is_within(prefix, folder) for folder in bound):
            argv += ["--ro-bind", prefix, prefix]
            bound.append(prefix)
    if spec.gpu:
        argv += ["--ro-bind", "/sys", "/sys"]
        for device in sorted(glob.glob("/dev/nvidia*")):
            argv += ["--dev-bind", device, device]
        for folder in _gpu_library_dirs():
            if not any(_is_within(folder, b) for b in bound):
                argv += ["--ro-bind", folder, folder]
                bound.append(folder)
    if spec.runtime_dir is not None:
        runtime = _real(spec.runtime_dir)
        argv += ["--bind", runtime, runtime]
    argv += ["--bind", work, work]
    if spec.data_dir is not None:
        argv += _data_binds(spec.data_dir, os.path.join(work, DATA_MOUNT))
    argv += ["--ro-bind", _real(spec.tools_dir), os.path.join(work, TOOLS_MOUNT)]
    argv += ["--chdir", work]
    return argv + list(command)


def resource_limits(spec: SandboxSpec) -> dict[int, int]:
    """Per-process limits; the process count and resident memory are the watchdog's job."""
    limits = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_FSIZE: spec.max_file_mb * MIB,
        resource.RLIMIT_NOFILE: OPEN_FILES,
    }
    if not spec.gpu:  # CUDA reserves far more address space than it uses
        limits[resource.RLIMIT_AS] = (spec.memory_mb + ADDRESS_SPACE_HEADROOM_MB) * MIB
    return limits


def limits_preexec(spec: SandboxSpec) -> Callable[[], None]:
    """A ``preexec_fn`` that applies :func:`resource_limits` in the child before it executes bwrap."""
    wanted = []
    for which, value in resource_limits(spec).items():
        _, hard = resource.getrlimit(which)
        capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
        wanted.append((which, capped))

    def apply() -> None:
        for which, value in wanted:
            resource.setrlimit(which, (value, value))

    return apply


@functools.cache
def sandbox_unavailable_reason() -> str | None:
    """Why the sandbox cannot run here, or None when a trivial command runs in it."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        (Path(tmp) / "work").mkdir()
        spec = SandboxSpec(work_dir=Path(tmp) / "work", data_dir=None, tools_dir=Path(tmp))
        try:
            done = subprocess.run(bwrap_argv(spec, ["true"]), capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"bwrap could not be started: {exc}"
    if done.returncode != 0:
        return f"bwrap fails on this machine (exit code {done.returncode}): {done.stderr.strip()[:300]}"
    return None


def sandbox_available() -> bool:
    return sandbox_unavailable_reason() is None
