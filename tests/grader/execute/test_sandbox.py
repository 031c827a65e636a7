"""The sandbox command line is a whitelist; inside, the host, the hidden labels and the network are gone."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from grader.execute.sandbox import bwrap_argv, limits_preexec, resource_limits
from tests.grader.execute.helpers import ATTEMPTS, REPO_ROOT, TOOLS_DIR, make_spec
from tools import layout

INSIDE = (
    "import json, os, socket, sys\n"
    + ATTEMPTS
    + r"""
repo, course = sys.argv[1], sys.argv[2]
print(json.dumps({
    "cwd": os.getcwd(),
    "data": sorted(os.listdir("data")),
    "repo_visible": os.path.exists(os.path.join(repo, "grader")),
    "shared_visible": os.path.exists("/work/shared"),
    "course_visible": os.path.exists(course),
    "hidden_absolute": attempt(lambda: open(os.path.join(course, "hidden", "test-labels.npy"), "rb")),
    "hidden_relative": attempt(lambda: open("data/hidden/test-labels.npy", "rb")),
    "write_work": attempt(lambda: write("mine.txt")),
    "write_etc": attempt(lambda: write("/etc/evil")),
    "write_usr": attempt(lambda: write("/usr/evil")),
    "write_data": attempt(lambda: write("data/evil")),
    "write_tools": attempt(lambda: write("tools/evil.py")),
    "write_venv": attempt(lambda: write(os.path.join(sys.prefix, "evil"))),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "home": os.environ["HOME"],
    "env": sorted(os.environ),
}))
"""
)


def test_argv_is_a_whitelist_without_the_repository_or_the_hidden_labels(
    work_dir: Path, synthetic_course: Path
) -> None:
    argv = bwrap_argv(make_spec(work_dir, synthetic_course), ["python"])
    pairs = [(argv[i], argv[i + 1]) for i in range(len(argv) - 1)]
    sources = [b for a, b in pairs if a in ("--bind", "--ro-bind", "--dev-bind")]
    assert "/" not in sources
    for needed in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert needed in argv
    assert ("--cap-drop", "ALL") in pairs
    assert str(REPO_ROOT) not in sources, "the repository root must not be visible"
    assert not any(s.startswith("/work/shared") for s in sources)
    assert not any("hidden" in s for s in argv), "the hidden folder must have no path in the sandbox"
    data_sources = [s for s in sources if s.startswith(str(synthetic_course.resolve()))]
    assert sorted(Path(s).name for s in data_sources) == sorted(
        p.name for p in synthetic_course.iterdir() if p.name != layout.HIDDEN_DIR
    )
    assert ("--ro-bind", str(TOOLS_DIR)) in pairs
    assert argv[argv.index("--chdir") + 1] == str(work_dir.resolve())
    assert argv[-1] == "python"


def test_data_inside_the_work_dir_is_refused(work_dir: Path) -> None:
    (work_dir / "course").mkdir()
    with pytest.raises(ValueError, match="must not contain each other"):
        bwrap_argv(make_spec(work_dir, work_dir / "course"), ["python"])


def test_address_space_limit_on_cpu_only(work_dir: Path) -> None:
    cpu = resource_limits(make_spec(work_dir, None, memory_mb=1024, max_file_mb=10))
    assert cpu[resource.RLIMIT_FSIZE] == 10 * 1024 * 1024
    assert cpu[resource.RLIMIT_CORE] == 0
    assert cpu[resource.RLIMIT_AS] > 1024 * 1024 * 1024
    gpu = resource_limits(make_spec(work_dir, None, gpu=True))
    assert resource.RLIMIT_AS not in gpu
    assert "--dev" in bwrap_argv(make_spec(work_dir, None, gpu=True), ["true"])


def test_file_size_limit_applies_to_the_launched_process(work_dir: Path) -> None:
    spec = make_spec(work_dir, None, max_file_mb=1)
    code = "open('big', 'wb').write(bytes(2 * 1024 * 1024))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=work_dir, preexec_fn=limits_preexec(spec), capture_output=True
    )
    assert done.returncode != 0 and b"File too large" in done.stderr


@pytest.mark.usefixtures("needs_sandbox")
def test_inside_the_sandbox(work_dir: Path, synthetic_course: Path) -> None:
    argv = bwrap_argv(make_spec(work_dir, synthetic_course), [sys.executable, "-c", INSIDE])
    done = subprocess.run(
        [*argv, str(REPO_ROOT), str(synthetic_course.resolve())], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["cwd"] == str(work_dir.resolve())
    assert layout.VAL_IMAGES in seen["data"] and layout.HIDDEN_DIR not in seen["data"]
    assert not seen["repo_visible"] and not seen["shared_visible"] and not seen["course_visible"]
    assert seen["hidden_absolute"] == "FileNotFoundError"
    assert seen["hidden_relative"] == "FileNotFoundError"
    assert seen["write_work"] == "ok" and (work_dir / "mine.txt").read_text() == "x"
    for where in ("etc", "usr", "data", "tools", "venv"):
        assert seen[f"write_{where}"] != "ok", where
    assert seen["interfaces"] == ["lo"], "a network namespace of its own, with loopback only"
    assert seen["home"] == "/home/student"
    assert "PYTHONHASHSEED" in seen["env"] and not any(k.startswith("PYTEST") for k in seen["env"])


@pytest.mark.usefixtures("needs_sandbox")
def test_tmp_and_home_are_capped_at_the_disk_limit(work_dir: Path) -> None:
    """tmpfs pages are memory the watchdog cannot see: the sandbox caps them at max_disk_mb."""
    fill = (
        "import errno, sys\n"
        "for folder in ('/tmp', '/home/student'):\n"
        "    try:\n"
        "        with open(folder + '/fill', 'wb') as handle:\n"
        "            handle.write(bytes(8 * 1024 * 1024))\n"
        "        print(folder, 'ok')\n"
        "    except OSError as exc:\n"
        "        print(folder, errno.errorcode[exc.errno])\n"
    )
    argv = bwrap_argv(make_spec(work_dir, None, max_disk_mb=4), [sys.executable, "-c", fill])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["/tmp", "ENOSPC", "/home/student", "ENOSPC"]
