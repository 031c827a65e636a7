"""A GPU run's sandbox, on a machine without one: the NVIDIA device nodes and the driver's libraries are
passed in (fake paths stand in for them), and CUDA_VISIBLE_DEVICES inside is the GPU the grader is pinned
to."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute import sandbox
from grader.execute.sandbox import bwrap_options, gpu_library_dirs, sandbox_env
from tests.execute.helpers import make_spec

DEVICES = ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")


def options_pairs(argv: list[str], option: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, arg in enumerate(argv) if arg == option]


@pytest.fixture
def fake_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A /dev holding the nodes a GPU machine has, as plain files, and the nvidia-caps folder MIG uses."""
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in DEVICES:
        (dev / name).touch()
    (dev / "nvidia-caps").mkdir()
    (dev / "nvidia-caps" / "nvidia-cap1").touch()
    (dev / "null").touch()
    monkeypatch.setattr(sandbox, "GPU_DEVICES", str(dev / "nvidia*"))
    monkeypatch.setattr(sandbox, "_gpu_library_dirs", lambda: [])
    return dev


def test_a_gpu_run_gets_every_nvidia_device_node(work_dir: Path, fake_dev: Path) -> None:
    argv = bwrap_options(make_spec(work_dir, None, gpu=True), 0, 0)
    bound = options_pairs(argv, "--dev-bind")
    expected = sorted([*DEVICES, "nvidia-caps"])
    assert bound == [(str(fake_dev / name), str(fake_dev / name)) for name in expected]
    # after the fresh /dev (which would hide them) and before /dev is made read-only
    first = argv.index("--dev-bind")
    assert argv.index("--dev") < first < argv.index("--remount-ro")


def test_a_cpu_run_gets_no_device_node(work_dir: Path, fake_dev: Path) -> None:
    argv = bwrap_options(make_spec(work_dir, None), 0, 0)
    assert "--dev-bind" not in argv and ("/sys", "/sys") not in options_pairs(argv, "--ro-bind")


def test_cuda_visible_devices_inside_is_the_pinned_gpu(
    work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "_gpu_library_dirs", lambda: [])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    argv = bwrap_options(make_spec(work_dir, None, gpu=True), 0, 0)
    assert ("CUDA_VISIBLE_DEVICES", "3") in options_pairs(argv, "--setenv")
    assert ("CUDA_DEVICE_ORDER", "PCI_BUS_ID") in options_pairs(argv, "--setenv")  # the order NVML counts by
    assert sandbox_env(make_spec(work_dir, None))["CUDA_VISIBLE_DEVICES"] == ""  # a CPU run sees no GPU


def test_the_driver_libraries_folders_are_found_and_bound(
    tmp_path: Path, work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver, nvml, jit, cudart = (tmp_path / name for name in ("driver", "nvml-real", "jit", "cudart"))
    for folder in (driver, nvml, jit, cudart):
        folder.mkdir()
    (tmp_path / "nvml").symlink_to(nvml)
    (jit / "libnvidia-ptxjitcompiler.so.550.54.15").touch()
    listing = "\n".join(
        [
            "4 libs found in cache `/etc/ld.so.cache'",
            f"\tlibcuda.so.1 (libc6,x86-64) => {driver}/libcuda.so.1",
            f"\tlibcuda.so (libc6,x86-64) => {driver}/libcuda.so",
            f"\tlibnvidia-ml.so.1 (libc6,x86-64) => {tmp_path}/nvml/libnvidia-ml.so.1",
            f"\tlibcudart.so.12 (libc6,x86-64) => {cudart}/libcudart.so.12",  # CUDA's own: torch brings it
            f"\tlibnvidia-nvvm.so.4 (libc6,x86-64) => {tmp_path}/gone/libnvidia-nvvm.so.4",
        ]
    )
    dirs = gpu_library_dirs(listing, f"{jit}:{cudart}:")
    assert dirs == [str(driver), str(nvml), str(jit)]
    monkeypatch.setattr(sandbox, "_gpu_library_dirs", lambda: dirs)
    spec = make_spec(work_dir, None, gpu=True)
    ro_binds = options_pairs(bwrap_options(spec, 0, 0), "--ro-bind")
    assert all((folder, folder) in ro_binds for folder in dirs) and ("/sys", "/sys") in ro_binds
    assert sandbox_env(spec)["LD_LIBRARY_PATH"] == ":".join(dirs)
