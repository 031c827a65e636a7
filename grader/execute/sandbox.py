"""The bubblewrap sandbox a student's kernel runs in: a whitelist of read-only system folders, no network.

Nothing of the host is visible unless named here: the repository, ``/work/shared``, the TAs' home, ``/etc``
beyond what the libraries read, and the host paths of the work folder and of the course data stay out of
reach. The kernel runs as ``student`` (uid 1000) in a user namespace of its own, where host root maps to that
user: so no root-only file may be bound in. The work folder appears at ``/home/student/work``, the course data
read-only at ``work/data`` without its ``hidden/`` folder, and the course ``tools`` package at ``work/tools``.
Every writable place is capped: the root, ``/dev`` and the system folders are read-only, each tmpfs has a
size, and the watchdog counts what lands in the work and runtime folders on the host.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.execute.host import cpu_count, resource
from tools import layout

SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
# What Python, numpy, torch, matplotlib (through fontconfig) and ipykernel read from /etc, found with strace
ETC_ENTRIES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "nsswitch.conf",
    "localtime",
    "hosts",
    "mime.types",
    "fonts",
)
SANDBOX_UID = 1000
SANDBOX_GID = 1000
SANDBOX_HOME = "/home/student"
SANDBOX_WORK_DIR = f"{SANDBOX_HOME}/work"
PASSWD = (
    f"student:x:{SANDBOX_UID}:{SANDBOX_GID}:Student:{SANDBOX_HOME}:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = f"student:x:{SANDBOX_GID}:\nnogroup:x:65534:\n"
DATA_MOUNT = "data"
TOOLS_MOUNT = "tools"
# Each is a tmpfs of max_disk_mb: its pages are memory that no resident size shows (see memory_limit_mb)
TMPFS_MOUNTS = ("/tmp", "/home", "/dev/shm")
# The memory cgroup also charges what the watchdog's proportional set size never shows: page tables, socket
# buffers, the kernel's records of open files. Page cache is charged too, but reclaimed before any OOM kill.
KERNEL_MEMORY_HEADROOM_MB = 256
# torch and its libraries map about 3.5 GB of address space on import without touching it, so an address-space
# limit equal to memory_mb would stop ordinary notebooks: RLIMIT_AS is only a backstop above the watchdog,
# which enforces memory_mb on resident memory.
ADDRESS_SPACE_HEADROOM_MB = 4096
OPEN_FILES = 4096
MIB = 1024 * 1024
# What a GPU run needs of the host: every NVIDIA device node (the GPUs, nvidiactl, nvidia-uvm and its tools,
# nvidia-modeset, the nvidia-caps folder that MIG uses), and the folders of the driver's user-space
# libraries, which are not part of CUDA's pip wheels: the driver API, NVML, the PTX JIT and NVVM compilers
GPU_DEVICES = "/dev/nvidia*"
GPU_LIBRARIES = (
    "libcuda.so",
    "libnvidia-ml.so",
    "libnvidia-ptxjitcompiler.so",
    "libnvidia-nvvm.so",
    "libcudadebugger.so",
)


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
    max_disk_mb: int = 2048  # the work and runtime folders together (watchdog), and each of TMPFS_MOUNTS
    gpu: bool = False
    threads: int | None = None
    runtime_dir: Path | None = None


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def sandbox_env(spec: SandboxSpec, home: str = SANDBOX_HOME) -> dict[str, str]:
    """The whole environment of the kernel: nothing of the grader's own environment leaks in."""
    threads = str(spec.threads or cpu_count())
    env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        # the GPU this grading process is pinned to (a batch worker's), numbered as NVML numbers it
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if spec.gpu else "",
    }
    if spec.gpu:
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    gpu_libs = _gpu_library_dirs() if spec.gpu else []
    if gpu_libs:
        env["LD_LIBRARY_PATH"] = ":".join(gpu_libs)
    return env


@functools.cache
def _gpu_library_dirs() -> list[str]:
    """Folders of the NVIDIA driver libraries on this host."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    return gpu_library_dirs(listing, os.environ.get("LD_LIBRARY_PATH", ""))


def gpu_library_dirs(ldconfig_listing: str, ld_library_path: str) -> list[str]:
    """The folders holding any of ``GPU_LIBRARIES``, as the dynamic loader's cache (``ldconfig -p``) and
    LD_LIBRARY_PATH name them, links resolved, each once."""
    candidates = [
        line.split("=>")[-1].strip()
        for line in ldconfig_listing.splitlines()
        if "=>" in line and any(lib in line.split("=>")[0] for lib in GPU_LIBRARIES)
    ]
    for folder in ld_library_path.split(":"):
        if folder and any(glob.glob(os.path.join(folder, f"{lib}*")) for lib in GPU_LIBRARIES):
            candidates.append(os.path.join(folder, GPU_LIBRARIES[0]))
    dirs: list[str] = []
    for lib in candidates:
        folder = _real(os.path.dirname(lib))
        if folder not in dirs and os.path.isdir(folder):
            dirs.append(folder)
    return dirs


def gpu_device_binds(pattern: str) -> list[str]:
    """``--dev-bind`` of each NVIDIA device node PATTERN matches (and the nvidia-caps folder), read-write as
    CUDA opens them."""
    argv: list[str] = []
    for device in sorted(glob.glob(pattern)):
        argv += ["--dev-bind", device, device]
    return argv


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


def _etc_binds(etc: str = "/etc") -> list[str]:
    """The few /etc entries the libraries read, each only if anyone may read it: host root is the sandbox's
    user, so a root-only file bound here would be readable inside."""
    argv: list[str] = []
    for name in ETC_ENTRIES:
        path = os.path.join(etc, name)
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path) and os.stat(path).st_mode & stat.S_IROTH:
            argv += ["--ro-bind", path, path]
    return argv


def _system_binds(spec: SandboxSpec) -> list[str]:
    """The read-only system folders, this Python's prefixes and, for a GPU run, the driver's libraries."""
    argv: list[str] = []
    bound: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
            bound.append(folder)
    extra = [_real(sys.base_prefix), _real(sys.prefix)]
    if spec.gpu:
        argv += ["--ro-bind", "/sys", "/sys"]
        extra += _gpu_library_dirs()
    for folder in extra:
        if not any(_is_within(folder, b) for b in bound):
            argv += ["--ro-bind", folder, folder]
            bound.append(folder)
    return argv


def tmpfs_mb(spec: SandboxSpec) -> int:
    """What the tmpfs mounts may hold together, all of it memory."""
    return len(TMPFS_MOUNTS) * spec.max_disk_mb


def memory_limit_mb(spec: SandboxSpec) -> int:
    """The memory cgroup's limit: a notebook within both its memory allowance and its tmpfs allowance must not
    be killed by it, so it is ``memory_mb`` plus every tmpfs full plus the kernel's own headroom. The watchdog
    keeps the tighter watch on ``memory_mb`` alone; the cgroup is what stops what the watchdog cannot see."""
    return spec.memory_mb + tmpfs_mb(spec) + KERNEL_MEMORY_HEADROOM_MB


def bwrap_options(spec: SandboxSpec, passwd_fd: int, group_fd: int) -> list[str]:
    """The options of ``bwrap`` that run a command in the sandbox with ``SANDBOX_WORK_DIR`` as its cwd.

    ``passwd_fd`` and ``group_fd`` hold the sandbox's own /etc/passwd and /etc/group, read by bwrap.
    """
    work = _real(spec.work_dir)
    if spec.data_dir is not None:
        data = _real(spec.data_dir)
        if _is_within(data, work) or _is_within(work, data):
            raise ValueError(f"the course data {data} and the work dir {work} must not contain each other")
    argv = ["--unshare-all", "--unshare-user", "--disable-userns"]
    argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for key, value in sandbox_env(spec).items():
        argv += ["--setenv", key, value]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if spec.gpu:
        argv += gpu_device_binds(GPU_DEVICES)
    for folder in TMPFS_MOUNTS:  # tmpfs pages are memory: the sizes cap them, the memory cgroup counts them
        argv += ["--size", str(spec.max_disk_mb * MIB), "--tmpfs", folder]
    argv += ["--remount-ro", "/dev", "--dir", SANDBOX_HOME]
    argv += _system_binds(spec) + _etc_binds()
    argv += ["--ro-bind-data", str(passwd_fd), "/etc/passwd", "--ro-bind-data", str(group_fd), "/etc/group"]
    if spec.runtime_dir is not None:  # the kernel's sockets must have the same path inside as outside
        runtime = _real(spec.runtime_dir)
        argv += ["--bind", runtime, runtime]
    argv += ["--bind", work, SANDBOX_WORK_DIR]
    if spec.data_dir is not None:
        argv += _data_binds(spec.data_dir, f"{SANDBOX_WORK_DIR}/{DATA_MOUNT}")
    argv += ["--ro-bind", _real(spec.tools_dir), f"{SANDBOX_WORK_DIR}/{TOOLS_MOUNT}"]
    return argv + ["--chdir", SANDBOX_WORK_DIR, "--remount-ro", "/"]


@dataclass
class SandboxLaunch:
    """A prepared ``bwrap`` start: exec ``argv`` with ``pass_fds`` inherited, then :meth:`close`.

    The options travel through a memfd (``--args``), so that ``/proc/1/cmdline`` inside, bwrap's own command
    line, shows no host path; bwrap closes the memfds once read, and keeps the caller's ``pass_fds`` open.
    Spawn it with ``env``, not the grader's environment.
    """

    argv: list[str]
    pass_fds: tuple[int, ...]
    options: list[str]  # what the --args memfd holds, for tests and logs
    # bwrap's own environment, which its init shows inside in /proc/1/environ: so not the grader's PATH; the
    # command gets sandbox_env() through --setenv
    env: dict[str, str] = field(default_factory=lambda: {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    own_fds: tuple[int, ...] = field(default=(), repr=False)

    def close(self) -> None:
        """Close the parent's copies of the memfds; the spawned bwrap has its own."""
        for fd in self.own_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.own_fds = ()


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def sandbox_launch(spec: SandboxSpec, command: list[str], pass_fds: Iterable[int] = ()) -> SandboxLaunch:
    """Prepare running ``command`` in the sandbox; ``pass_fds`` are more fds the command must inherit."""
    own: list[int] = []
    try:
        own.append(_memfd("passwd", PASSWD.encode()))
        own.append(_memfd("group", GROUP.encode()))
        options = bwrap_options(spec, own[0], own[1])
        own.append(_memfd("bwrap-args", b"".join(option.encode() + b"\0" for option in options)))
    except BaseException:
        for fd in own:
            os.close(fd)
        raise
    argv = [shutil.which("bwrap") or "bwrap", "--args", str(own[-1]), "--", *command]
    return SandboxLaunch(argv, (*own, *pass_fds), options, own_fds=tuple(own))


def resource_limits(spec: SandboxSpec) -> dict[int, int]:
    """Per-process limits; the process count and resident memory are the watchdog's job. None where the
    platform has no ``resource`` module (Windows): an unsandboxed run there goes without them."""
    if resource is None:
        return {}
    limits = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_FSIZE: spec.max_file_mb * MIB,
        resource.RLIMIT_NOFILE: OPEN_FILES,
    }
    if not spec.gpu:  # CUDA reserves far more address space than it uses
        limits[resource.RLIMIT_AS] = (spec.memory_mb + ADDRESS_SPACE_HEADROOM_MB) * MIB
    return limits


def limits_preexec(spec: SandboxSpec) -> Callable[[], None] | None:
    """A ``preexec_fn`` that applies :func:`resource_limits` in the child before it executes bwrap, or None
    where there are none to apply (and Windows, which has no ``preexec_fn``)."""
    if resource is None:
        return None
    rlimit = resource
    wanted = []
    for which, value in resource_limits(spec).items():
        _, hard = rlimit.getrlimit(which)
        capped = value if hard == rlimit.RLIM_INFINITY else min(value, hard)
        wanted.append((which, capped))

    def apply() -> None:
        for which, value in wanted:
            rlimit.setrlimit(which, (value, value))

    return apply


@functools.cache
def sandbox_unavailable_reason() -> str | None:
    """Why the sandbox cannot run here, or None when a command runs in it as the unprivileged student."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        (Path(tmp) / "work").mkdir()
        spec = SandboxSpec(work_dir=Path(tmp) / "work", data_dir=None, tools_dir=Path(tmp))
        launch = sandbox_launch(spec, [sys.executable, "-c", "import os; print(os.getuid(), os.getgid())"])
        try:
            done = subprocess.run(
                launch.argv,
                pass_fds=launch.pass_fds,
                env=launch.env,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return f"bwrap could not be started: {exc}"
        finally:
            launch.close()
    if done.returncode != 0:
        detail = done.stderr.strip()[:300]
        return f"bwrap fails here (exit code {done.returncode}; it needs a user namespace): {detail}"
    if done.stdout.split() != [str(SANDBOX_UID), str(SANDBOX_GID)]:
        return f"the sandbox does not run as uid {SANDBOX_UID}: inside, the ids were {done.stdout[:100]!r}"
    return None


def sandbox_available() -> bool:
    return sandbox_unavailable_reason() is None
