"""The pids cgroup caps a tree's tasks and the memory cgroup its memory, tmpfs pages included, where the host
allows them; elsewhere the watchdog alone counts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.execute.cgroups import (
    CGROUP_MOUNT,
    STALE_AFTER_S,
    TASKS_PER_PROCESS,
    KernelCaps,
    MemoryCap,
    PidCap,
    controller_roots,
    sweep_stale,
)
from grader.execute.sandbox import SandboxSpec, limits_preexec, memory_limit_mb, sandbox_launch
from grader.execute.watchdog import Watchdog
from tests.execute.helpers import make_spec
from tests.polling import poll_until

FORKER = """
import os, time
forked = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            os.close(1), os.close(2)  # so that the parent's pipe closes when the parent exits
            time.sleep(60)
            os._exit(0)
        forked += 1
except OSError as exc:
    print(forked, type(exc).__name__, flush=True)
"""


@pytest.fixture
def cap() -> PidCap:
    made = PidCap.create(max_processes=2)
    if made is None:
        pytest.skip("no pids cgroup can be created here (not root, or no pids controller)")
    yield made
    made.remove()


def test_forks_beyond_the_cap_fail_and_removal_kills_the_rest(cap: PidCap) -> None:
    assert cap.max_tasks == 2 * TASKS_PER_PROCESS
    out = subprocess.run(
        [sys.executable, "-c", FORKER], preexec_fn=cap.join, capture_output=True, text=True, timeout=60
    ).stdout.split()
    assert out[1] == "BlockingIOError" and int(out[0]) < cap.max_tasks
    assert len(cap.processes()) == int(out[0]), (
        "the sleeping children stay in the cgroup after their parent exits"
    )
    cap.remove()
    assert not cap.path.exists()


def test_no_cgroup_root_means_no_cap(tmp_path: Path) -> None:
    assert PidCap.create(4, roots=(tmp_path / "absent",)) is None


def test_a_plain_folder_is_no_cgroup(tmp_path: Path) -> None:
    """A tmpfs at /sys/fs/cgroup takes a mkdir and a written pids.max: neither makes a cap."""
    assert PidCap.create(4, roots=(tmp_path,)) is None
    assert MemoryCap.create(100, roots=(tmp_path,)) is None
    assert list(tmp_path.iterdir()) == []


def test_the_graders_own_cgroup_comes_first(tmp_path: Path) -> None:
    proc = tmp_path / "cgroup"
    proc.write_text("8:pids:/\n4:memory:/batch/worker-3\n1:cpu,cpuacct:/x\n0::/\n")
    roots = controller_roots("memory", proc)
    assert roots[:2] == (CGROUP_MOUNT / "memory" / "batch" / "worker-3", CGROUP_MOUNT / "memory")
    assert controller_roots("pids", proc)[0] == CGROUP_MOUNT / "pids"


SLURM_V1 = (
    "8:pids:/\n4:memory:/slurm_node0/uid_0/job_7/step_0/task_0\n3:cpuset:/slurm_node0/uid_0/job_7\n0::/\n"
)


def fake_hierarchy(tmp_path: Path, proc_text: str, *, v2: bool = False) -> tuple[Path, Path]:
    """A cgroup mount under TMP_PATH with the folders /proc/self/cgroup names, and that file."""
    mount = tmp_path / "cgroup"
    for line in proc_text.splitlines():
        _, controllers, own = line.split(":", 2)
        (mount / (controllers or "") / own.strip("/")).mkdir(parents=True, exist_ok=True)
    if v2:
        (mount / "cgroup.controllers").write_text("memory pids\n")
    proc = tmp_path / "proc-cgroup"
    proc.write_text(proc_text)
    return mount, proc


def test_inside_a_slurm_job_only_the_jobs_own_cgroup_is_used(tmp_path: Path) -> None:
    """The job has a memory cgroup but no pids one: memory goes below the job, pids nowhere, not the root."""
    mount, proc = fake_hierarchy(tmp_path, SLURM_V1)
    job = mount / "memory" / "slurm_node0" / "uid_0" / "job_7" / "step_0" / "task_0"
    assert controller_roots("memory", proc, mount, environ={}) == (job,)
    assert controller_roots("pids", proc, mount, environ={}) == ()
    outside = controller_roots("pids", proc, mount, environ={"PATH": "/bin"})
    assert outside == (), "a slurm job cgroup in /proc/self/cgroup is enough"
    assert PidCap.create(4, roots=controller_roots("pids", proc, mount, environ={})) is None
    assert sorted(p.name for p in (mount / "pids").iterdir()) == [], "nothing was made at the root"


def test_slurm_variables_alone_keep_cgroups_off_the_root(tmp_path: Path) -> None:
    mount, proc = fake_hierarchy(tmp_path, "4:memory:/\n8:pids:/user/grader\n0::/\n")
    assert controller_roots("memory", proc, mount, environ={"SLURM_JOB_ID": "12"}) == ()
    assert controller_roots("pids", proc, mount, environ={"SLURM_JOB_ID": "12"}) == (
        mount / "pids/user/grader",
    )
    assert controller_roots("memory", proc, mount, environ={}) == (mount / "memory",)


def test_a_slurm_job_on_cgroup_v2_stays_below_its_step(tmp_path: Path) -> None:
    text = "0::/system.slice/slurmstepd.scope/job_9/step_batch/user/task_0\n"
    mount, proc = fake_hierarchy(tmp_path, text, v2=True)
    roots = controller_roots("memory", proc, mount, environ={})
    assert roots == (mount / "system.slice/slurmstepd.scope/job_9/step_batch/user/task_0",)


def test_the_watchdog_counts_from_the_cgroup_and_kills_it_whole(cap: PidCap) -> None:
    sleepers = "import os, time\nfor _ in range(20):\n    os.fork() or time.sleep(60)\ntime.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", sleepers], preexec_fn=cap.join)
    caps = KernelCaps(cap, None)
    watchdog = Watchdog(parent.pid, memory_mb=4096, max_processes=8, interval_s=0.1, caps=caps).start()
    parent.wait(timeout=30)
    watchdog.stop()
    assert watchdog.breach is not None and watchdog.breach.kind == "too-many-processes"
    assert watchdog.breach.message.startswith("too many processes: ")
    cap.remove()
    assert not cap.path.exists()


def test_only_old_empty_cgroups_are_swept(cap: PidCap) -> None:
    """A killed worker's empty cgroup goes; a fresh one not yet joined and an old one still in use stay."""
    old = time.time() - 2 * STALE_AFTER_S
    abandoned, in_use = PidCap.create(max_processes=1), PidCap.create(max_processes=1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=in_use.join)
    try:
        for made in (abandoned, in_use):
            os.utime(made.path, (old, old))
        assert sweep_stale(cap.path.parent) == [abandoned.path]
        assert cap.path.is_dir() and in_use.path.is_dir() and not abandoned.path.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
        in_use.remove()


@pytest.fixture
def caps(work_dir: Path) -> KernelCaps:
    """The caps of a kernel of SPEC; skipped where the host allows no memory cgroup."""
    made = KernelCaps.create(8, memory_limit_mb(small_spec(work_dir)))
    if made.memory is None:
        made.remove()
        pytest.skip("no memory cgroup can be created here (not root, or no memory controller)")
    yield made
    made.remove()


def small_spec(work_dir: Path) -> SandboxSpec:
    """A kernel of 300 MB with tmpfs mounts of 64 MB each: a cgroup limit of 748 MB."""
    return make_spec(work_dir, None, memory_mb=300, max_disk_mb=64)


FILL_SHM = """
with open("/dev/shm/fill", "wb") as handle:
    for _ in range(150):
        handle.write(b"x" * 1024 * 1024)
print("no")
"""
FILL_THEN_GROW = r"""
import sys
for folder in ("/tmp", "/home/student", "/dev/shm"):
    try:
        with open(folder + "/fill", "wb") as handle:
            for _ in range(80):
                handle.write(b"x" * 1024 * 1024)
    except OSError:
        pass
print("tmpfs full", flush=True)
blocks = []
for _ in range(int(sys.argv[1])):
    blocks.append(bytearray(b"x") * (16 * 1024 * 1024))
print("grown", flush=True)
"""


def run_capped(spec: SandboxSpec, caps: KernelCaps, code: str, *args: str) -> tuple[Watchdog, str, int]:
    """Run CODE in the sandbox under CAPS, watched for nothing but the cgroups."""
    launch = sandbox_launch(spec, [sys.executable, "-c", code, *args])
    apply_limits = limits_preexec(spec)

    def preexec() -> None:
        apply_limits()
        caps.join()

    try:
        process = subprocess.Popen(
            launch.argv,
            pass_fds=launch.pass_fds,
            env=launch.env,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=preexec,
        )
    finally:
        launch.close()
    watchdog = Watchdog(
        process.pid, memory_mb=100_000, max_processes=100, helpers=2, interval_s=0.1, caps=caps
    ).start()
    out, _ = process.communicate(timeout=60)
    # the watchdog ends by itself once it sees the tree gone, reading the memory cgroup's OOM kills last
    poll_until(lambda: not watchdog._thread.is_alive(), timeout_s=10, what="the watchdog to see the tree end")
    watchdog.stop()
    return watchdog, out, process.returncode


@pytest.mark.usefixtures("needs_sandbox")
def test_tmpfs_pages_count_against_the_memory_cgroup(work_dir: Path) -> None:
    """A cgroup smaller than what one tmpfs may hold stops a process that only fills the tmpfs."""
    small = MemoryCap.create(60)
    if small is None:
        pytest.skip("no memory cgroup can be created here (not root, or no memory controller)")
    try:
        spec = make_spec(work_dir, None, max_disk_mb=200)
        watchdog, out, code = run_capped(spec, KernelCaps(None, small), FILL_SHM)
        assert "no" not in out and code != 0 and small.oom_kills() >= 1
        assert watchdog.breach is not None and watchdog.breach.kind == "out-of-memory"
    finally:
        small.remove()


@pytest.mark.usefixtures("needs_sandbox")
def test_memory_beyond_the_allowance_and_the_full_tmpfs_is_out_of_memory(
    work_dir: Path, caps: KernelCaps
) -> None:
    """Past memory_mb plus every tmpfs full (here 300 + 3 x 64 MB), Linux kills the tree and we say so."""
    assert caps.memory is not None and caps.memory.limit_mb == 300 + 3 * 64 + 256
    watchdog, out, code = run_capped(small_spec(work_dir), caps, FILL_THEN_GROW, "100")
    assert out.split("\n")[0] == "tmpfs full" and "grown" not in out and code != 0
    assert watchdog.breach is not None and watchdog.breach.kind == "out-of-memory"
    assert "memory cgroup reached its 748 MB limit" in watchdog.breach.message
    assert caps.memory.peak_mb() > 700


@pytest.mark.usefixtures("needs_sandbox")
def test_the_whole_allowance_with_every_tmpfs_full_is_not_killed(work_dir: Path, caps: KernelCaps) -> None:
    """memory_mb of memory (here 17 x 16 MB of 300 MB) and every tmpfs at its cap stay within the cgroup."""
    watchdog, out, code = run_capped(small_spec(work_dir), caps, FILL_THEN_GROW, "17")
    assert out.split() == ["tmpfs", "full", "grown"] and code == 0
    assert watchdog.breach is None
    assert caps.memory is not None and caps.memory.oom_kills() == 0
