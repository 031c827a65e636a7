"""A sandboxed kernel's runtime folder counts against its disk limit; a missing memory cgroup is noted."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute.cgroups import MemoryCap
from grader.execute.runner import run_notebook
from tests.execute.helpers import make_spec, write_notebook

pytestmark = pytest.mark.usefixtures("needs_sandbox")

# The runtime folder holds the connection file the kernel was started with: the one writable host folder
# besides the work dir
FILL_RUNTIME = """
import os, sys, time
runtime = os.path.dirname(sys.argv[sys.argv.index("-f") + 1])
for i in range(200):  # 200 MB: well past the 32 MB limit, bounded should the limit fail
    with open(os.path.join(runtime, f"junk{i}"), "wb") as handle:
        handle.write(bytes(1024 * 1024))
    time.sleep(0.01)
"""


def test_filling_the_runtime_folder_is_a_disk_quota_breach(work_dir: Path) -> None:
    notebook = write_notebook(work_dir, "x = 1", FILL_RUNTIME)
    spec = make_spec(work_dir, None, max_disk_mb=32)
    report = run_notebook(notebook, spec, cell_timeout_s=60, notebook_timeout_s=120, run_probes=False)
    assert report.status == "disk-quota" and report.failed_cell == 1, report.message
    assert report.message.endswith("> 32 MB")


def test_without_a_memory_cgroup_the_run_still_goes_and_says_so(
    work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MemoryCap, "create", classmethod(lambda cls, limit_mb, roots=None: None))
    notebook = write_notebook(work_dir, "x = 1")
    report = run_notebook(notebook, make_spec(work_dir, None), cell_timeout_s=60, notebook_timeout_s=60)
    assert report.status == "ok", report.message
    assert any(note.startswith("no memory cgroup: ") for note in report.notes)
