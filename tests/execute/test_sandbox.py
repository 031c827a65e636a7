"""The sandbox command line is a whitelist; inside, the host, the hidden labels and the network are gone, the
user is unprivileged, and every writable place is capped."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from grader.execute.kernel import SandboxedKernelManager
from grader.execute.sandbox import (
    SANDBOX_WORK_DIR,
    TMPFS_MOUNTS,
    SandboxSpec,
    bwrap_options,
    limits_preexec,
    resource_limits,
    sandbox_launch,
)
from tests.execute.helpers import ATTEMPTS, TOOLS_DIR, make_spec
from tests.paths import REPO_ROOT
from tools import layout

INSIDE = (
    "import json, os, socket, sys\n"
    + ATTEMPTS
    + r"""
paths = json.load(open("paths.json"))
fd = paths["fd"]
print(json.dumps({
    "cwd": os.getcwd(),
    "ids": [os.getuid(), os.geteuid(), os.getgid()],
    "data": sorted(os.listdir("data")),
    "repo_visible": os.path.exists(os.path.join(paths["repo"], "grader")),
    "shared_visible": os.path.exists("/work/shared"),
    "course_visible": os.path.exists(paths["course"]),
    "work_visible": os.path.exists(paths["work"]),
    "hidden_absolute": attempt(lambda: open(paths["course"] + "/hidden/test-labels.npy", "rb")),
    "hidden_relative": attempt(lambda: open("data/hidden/test-labels.npy", "rb")),
    "shadow": os.path.exists("/etc/shadow"),
    "etc": sorted(os.listdir("/etc")),
    "passwd": open("/etc/passwd").read(),
    "init_cmdline": open("/proc/1/cmdline", "rb").read().decode(),
    "init_environ": open("/proc/1/environ", "rb").read().decode(),
    "write_work": attempt(lambda: write("mine.txt")),
    "write_root": attempt(lambda: write("/evil")),
    "write_dev": attempt(lambda: write("/dev/evil")),
    "write_devnull": attempt(lambda: write("/dev/null")),
    "write_etc": attempt(lambda: write("/etc/evil")),
    "write_usr": attempt(lambda: write("/usr/evil")),
    "write_data": attempt(lambda: write("data/evil")),
    "write_tools": attempt(lambda: write("tools/evil.py")),
    "write_venv": attempt(lambda: write(os.path.join(sys.prefix, "evil"))),
    "write_fd": attempt(lambda: os.write(fd, b"through the passed fd")),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "home": os.environ["HOME"],
    "env": sorted(os.environ),
}))
"""
)
FILL = r"""
import errno, sys
for folder in sys.argv[1:]:
    try:
        with open(folder + "/fill", "wb") as handle:
            handle.write(bytes(8 * 1024 * 1024))
        print(folder, "ok")
    except OSError as exc:
        print(folder, errno.errorcode[exc.errno])
"""


def pairs_of(options: list[str]) -> list[tuple[str, str]]:
    return [(options[i], options[i + 1]) for i in range(len(options) - 1)]


def run_inside(
    spec: SandboxSpec, code: str, *args: str, pass_fds: tuple[int, ...] = ()
) -> subprocess.CompletedProcess[str]:
    launch = sandbox_launch(spec, [sys.executable, "-c", code, *args], pass_fds)
    try:
        return subprocess.run(
            launch.argv, pass_fds=launch.pass_fds, env=launch.env, capture_output=True, text=True, timeout=60
        )
    finally:
        launch.close()


def test_options_are_a_whitelist_without_the_repository_the_hidden_labels_or_etc(
    work_dir: Path, synthetic_course: Path
) -> None:
    options = bwrap_options(make_spec(work_dir, synthetic_course), 7, 8)
    pairs = pairs_of(options)
    sources = [b for a, b in pairs if a in ("--bind", "--ro-bind", "--dev-bind")]
    assert "/" not in sources and "/etc" not in sources
    assert all(not s.startswith("/etc/") or os.path.basename(s) != "shadow" for s in sources)
    for needed in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--clearenv"):
        assert needed in options
    assert ("--uid", "1000") in pairs and ("--gid", "1000") in pairs and ("--cap-drop", "ALL") in pairs
    assert ("--ro-bind-data", "7") in pairs and ("--ro-bind-data", "8") in pairs
    assert str(REPO_ROOT) not in sources, "the repository root must not be visible"
    assert not any(s.startswith("/work/shared") for s in sources)
    assert not any("hidden" in s for s in options), "the hidden folder must have no path in the sandbox"
    data_binds = [(a, b) for a, b in pairs if a.startswith(str(synthetic_course.resolve()))]
    assert sorted(Path(a).name for a, _ in data_binds) == sorted(
        p.name for p in synthetic_course.iterdir() if p.name != layout.HIDDEN_DIR
    )
    assert all(b.startswith(f"{SANDBOX_WORK_DIR}/data/") for _, b in data_binds)
    assert options[options.index(str(TOOLS_DIR)) + 1] == f"{SANDBOX_WORK_DIR}/tools"
    assert options[options.index(str(work_dir.resolve())) + 1] == SANDBOX_WORK_DIR
    assert ("--chdir", SANDBOX_WORK_DIR) in pairs
    assert options[-2:] == ["--remount-ro", "/"], "the root is made read-only after every mount"
    assert [b for a, b in pairs if a == "--tmpfs"].count("/dev/shm") == 1
    assert options.index("--remount-ro") > options.index("/dev/shm")


def test_the_command_line_holds_only_the_command(work_dir: Path, synthetic_course: Path) -> None:
    launch = sandbox_launch(make_spec(work_dir, synthetic_course), ["python"], pass_fds=(42,))
    try:
        assert launch.argv[1:] == ["--args", str(launch.pass_fds[2]), "--", "python"]
        assert Path(launch.argv[0]).name == "bwrap"
        assert 42 in launch.pass_fds and len(launch.pass_fds) == 4
        assert Path(f"/proc/self/fd/{launch.pass_fds[2]}").exists()
    finally:
        launch.close()
    with pytest.raises(OSError):
        os.fstat(launch.pass_fds[2])


def test_data_inside_the_work_dir_is_refused(work_dir: Path) -> None:
    (work_dir / "course").mkdir()
    with pytest.raises(ValueError, match="must not contain each other"):
        bwrap_options(make_spec(work_dir, work_dir / "course"), 0, 0)


def test_address_space_limit_on_cpu_only(work_dir: Path) -> None:
    cpu = resource_limits(make_spec(work_dir, None, memory_mb=1024, max_file_mb=10))
    assert cpu[resource.RLIMIT_FSIZE] == 10 * 1024 * 1024
    assert cpu[resource.RLIMIT_CORE] == 0
    assert cpu[resource.RLIMIT_AS] > 1024 * 1024 * 1024
    gpu = resource_limits(make_spec(work_dir, None, gpu=True))
    assert resource.RLIMIT_AS not in gpu
    assert "--dev" in bwrap_options(make_spec(work_dir, None, gpu=True), 0, 0)


def test_file_size_limit_applies_to_the_launched_process(work_dir: Path) -> None:
    spec = make_spec(work_dir, None, max_file_mb=1)
    code = "open('big', 'wb').write(bytes(2 * 1024 * 1024))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=work_dir, preexec_fn=limits_preexec(spec), capture_output=True
    )
    assert done.returncode != 0 and b"File too large" in done.stderr


@pytest.mark.usefixtures("needs_sandbox")
def test_inside_the_sandbox(work_dir: Path, synthetic_course: Path) -> None:
    read, write = os.pipe()
    paths = {
        "repo": str(REPO_ROOT),
        "course": str(synthetic_course.resolve()),
        "work": str(work_dir.resolve()),
    }
    (work_dir / "paths.json").write_text(json.dumps({**paths, "fd": write}))
    try:
        done = run_inside(make_spec(work_dir, synthetic_course), INSIDE, pass_fds=(write,))
        os.close(write)
        through_fd = os.read(read, 100)
    finally:
        os.close(read)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["cwd"] == SANDBOX_WORK_DIR
    assert seen["ids"] == [1000, 1000, 1000]
    assert layout.VAL_IMAGES in seen["data"] and layout.HIDDEN_DIR not in seen["data"]
    assert not seen["repo_visible"] and not seen["shared_visible"] and not seen["course_visible"]
    assert not seen["work_visible"], "the work folder has no host path inside"
    assert seen["hidden_absolute"] == "FileNotFoundError"
    assert seen["hidden_relative"] == "FileNotFoundError"
    assert not seen["shadow"] and "shadow" not in seen["etc"] and "gshadow" not in seen["etc"]
    assert seen["passwd"].startswith("student:x:1000:1000:") and "root" not in seen["passwd"]
    command_line = seen["init_cmdline"].replace(
        sys.prefix, "<venv>"
    )  # bound at its own path, and may sit in the repo
    for host_path in paths.values():
        assert host_path not in command_line
    assert seen["init_cmdline"].split("\0")[1] == "--args"
    assert seen["init_environ"].split("\0")[:2] == ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
    assert seen["write_work"] == "ok" and (work_dir / "mine.txt").read_text() == "x"
    assert seen["write_devnull"] == "ok"
    for where in ("root", "dev", "etc", "usr", "data", "tools", "venv"):
        assert seen[f"write_{where}"] != "ok", where
    assert seen["write_fd"] == "ok" and through_fd == b"through the passed fd"
    assert seen["interfaces"] == ["lo"], "a network namespace of its own, with loopback only"
    assert seen["home"] == "/home/student"
    assert "PYTHONHASHSEED" in seen["env"] and not any(k.startswith("PYTEST") for k in seen["env"])


@pytest.mark.usefixtures("needs_sandbox")
def test_every_tmpfs_is_capped_at_the_disk_limit_and_the_rest_is_read_only(work_dir: Path) -> None:
    """tmpfs pages are memory the watchdog cannot see: the sandbox caps each at max_disk_mb."""
    folders = [*(f for f in TMPFS_MOUNTS if f != "/home"), "/home/student", "/", "/dev", "/etc", "/home"]
    done = run_inside(make_spec(work_dir, None, max_disk_mb=4), FILL, *folders)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        *("/tmp", "ENOSPC", "/dev/shm", "ENOSPC", "/home/student", "ENOSPC"),
        *("/", "EROFS", "/dev", "EROFS", "/etc", "EROFS"),
        *("/home", "ENOSPC"),  # the tmpfs holding $HOME is writable, and capped like the others
    ]


@pytest.mark.usefixtures("needs_sandbox")
def test_the_kernel_inherits_the_passed_fds(work_dir: Path, tmp_path: Path) -> None:
    """jupyter_client hands pass_fds to Popen, and bwrap keeps them open for the kernel."""
    read, write = os.pipe()
    runtime = tmp_path / "rt"
    runtime.mkdir()
    spec = make_spec(work_dir, None, runtime_dir=runtime)
    km = SandboxedKernelManager(spec, log_path=tmp_path / "kernel.log", pass_fds=(write,))

    async def use_fd() -> dict:
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            return await kc.execute_interactive(
                f"import os; os.write({write}, b'from the kernel')", timeout=30
            )
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            km.release_caps()

    try:
        reply = asyncio.run(use_fd())
        os.close(write)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert os.read(read, 100) == b"from the kernel"
    finally:
        os.close(read)
