"""The GPU script on a machine without one, and the CIFAR-10 chunks it reassembles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks" / "gpu"))
import split_cifar  # noqa: E402


def test_without_a_gpu_the_script_says_so_and_lists_what_it_skipped() -> None:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", PYTHON=sys.executable)
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "benchmarks" / "gpu" / "check.sh"), "/nonexistent/never-written"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("no GPU: torch.cuda.is_available() is False")
    for step in ("lab3", "full", "audit", "trainer", "throughput"):
        assert f"  - {step}: " in done.stdout


def test_chunks_stay_under_the_limit_and_join_checks_every_sum(tmp_path: Path) -> None:
    src = tmp_path / "cifar-10-batches-py"
    src.mkdir()
    for index, size in enumerate((700_000, 600_000, 500_000, 100)):
        (src / f"data_batch_{index}").write_bytes(bytes([index]) * size)
    chunks = split_cifar.split(src, tmp_path / "carry", max_mib=1.2)
    # whole files in name order: 0 alone (0 and 1 exceed the limit), then 1, 2 and 3; SHA256SUMS in the first
    assert [sorted(p.name[-1] for p in c.iterdir()) for c in chunks] == [["0", "S"], ["1", "2", "3"]]
    assert all(sum(p.stat().st_size for p in c.iterdir()) < 1.2 * 1024 * 1024 for c in chunks)
    names = split_cifar.join(tmp_path / "carry", tmp_path / "joined")
    assert all((tmp_path / "joined" / n).read_bytes() == (src / n).read_bytes() for n in names)
    (chunks[1] / "data_batch_2").write_bytes(b"altered in transit")
    with pytest.raises(ValueError, match="data_batch_2: its sha256 is not the one"):
        split_cifar.join(tmp_path / "carry", tmp_path / "again")
    (chunks[1] / "data_batch_2").unlink()
    with pytest.raises(ValueError, match="not carried: data_batch_2"):
        split_cifar.join(tmp_path / "carry", tmp_path / "again")
