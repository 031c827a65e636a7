"""A real one-node Slurm for the cluster tests: munged, slurmctld and slurmd started by ``slurm_local.sh``.

The cluster lives in a folder of its own under /tmp (munged wants every folder above its socket
traversable by all, which a pytest tmp_path is not) and on ports found free; its clients find it through
SLURM_CONF and the ``sacct`` stand-in on PATH, set for the session. Where the packages are missing, the user
is not root or the daemons do not come up, the tests that need it skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "slurm_local.sh"
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "scancel")
UP_TIMEOUT_S = 90


@dataclass
class SlurmCluster:
    folder: Path
    cgroups: bool  # memory, cores and devices enforced (task/cgroup)
    env: dict[str, str]

    def run(self, *argv: str) -> str:
        return subprocess.run(argv, env=self.env, check=True, capture_output=True, text=True).stdout


def _free_port_pair() -> int:
    """A port P with P + 1 free too (slurmctld takes P, slurmd P + 1)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65000:
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no two adjacent free ports")


def why_no_slurm() -> str | None:
    missing = [
        name for name in DAEMONS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()
    ]
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} missing; "
            "make test installs slurm-wlm and munge as root)"
        )
    if os.geteuid() != 0:
        return "slurmd must run as root to start a test cluster"
    return None


def _script(env: dict[str, str], action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=UP_TIMEOUT_S
    )


def start_cluster(root: Path, cgroups: bool) -> tuple[SlurmCluster | None, str]:
    env = dict(
        os.environ,
        SLURMTEST_DIR=str(root / "cluster"),
        SLURMTEST_SOCKDIR=str(root / "sock"),
        SLURMTEST_PORT=str(_free_port_pair()),
        SLURMTEST_CGROUP="1" if cgroups else "0",
        SLURMTEST_GPUS="0",
        SLURMTEST_NODE=f"grader{os.getpid()}",
        SLURMTEST_CPUS="8",
        SLURMTEST_MEM_MB="8000",
    )
    env["PATH"] = f"/usr/sbin:{env.get('PATH', '')}"
    up = _script(env, "up")
    if up.returncode != 0:
        _script(env, "down")
        return None, (up.stdout + up.stderr).strip()[-800:]
    env["SLURM_CONF"] = str(root / "cluster" / "etc" / "slurm.conf")
    env["PATH"] = f"{root / 'cluster' / 'bin'}:{env['PATH']}"
    return SlurmCluster(root / "cluster", cgroups, env), ""


def stop_cluster(cluster: SlurmCluster) -> None:
    _script(cluster.env, "down")


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """The session's cluster, with cgroups where they work here (else without), and its clients' setting
    in os.environ while it is up."""
    reason = why_no_slurm()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="grader-slurm-", dir="/tmp"))
    root.chmod(0o755)
    cluster, log = start_cluster(root, cgroups=True)
    if cluster is None:
        cluster, log = start_cluster(root, cgroups=False)
    if cluster is None:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"the test Slurm cluster did not start: {log}")
    saved = {name: os.environ.get(name) for name in ("SLURM_CONF", "PATH")}
    os.environ.update(SLURM_CONF=cluster.env["SLURM_CONF"], PATH=cluster.env["PATH"])
    try:
        yield cluster
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stop_cluster(cluster)
        shutil.rmtree(root, ignore_errors=True)
