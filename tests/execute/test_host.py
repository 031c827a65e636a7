"""Where students work: the kernel over TCP where unix sockets are missing, and Linux-only facilities that
degrade with a note instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.execute import host, sandbox, turns
from grader.execute.kernel import SandboxedKernelManager
from grader.execute.runner import run_notebook
from grader.execute.sandbox import limits_preexec, resource_limits
from grader.execute.turns import Turns
from tests.execute.helpers import json_of, make_spec, write_notebook


def _manager(tmp_path: Path, **kwargs: object) -> SandboxedKernelManager:
    spec = make_spec(tmp_path, None, runtime_dir=tmp_path)
    return SandboxedKernelManager(spec, log_path=tmp_path / "kernel.log", **kwargs)  # type: ignore[arg-type]


def test_the_sandboxed_kernel_stays_on_ipc_whatever_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(host.TRANSPORT_ENV, "tcp")
    assert _manager(tmp_path, sandboxed=True, transport="tcp").transport == "ipc"
    unsandboxed = _manager(tmp_path, sandboxed=False)
    assert (unsandboxed.transport, unsandboxed.ip) == ("tcp", host.LOOPBACK)


def test_tcp_is_chosen_where_unix_sockets_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(host.TRANSPORT_ENV, raising=False)
    monkeypatch.setattr(host, "unix_sockets", lambda: False)
    assert host.kernel_transport(sandboxed=False) == "tcp"
    assert any("TCP on 127.0.0.1" in note for note in host.unsandboxed_notes())
    monkeypatch.setattr(host, "unix_sockets", lambda: True)
    assert host.kernel_transport(sandboxed=False) == "ipc"
    assert host.kernel_transport(sandboxed=False, requested="tcp") == "tcp"


def test_a_wrong_transport_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(host.TRANSPORT_ENV, "udp")
    with pytest.raises(
        ValueError, match="GRADER_KERNEL_TRANSPORT='udp' is not a kernel transport: use one of"
    ):
        host.kernel_transport(sandboxed=False)


def test_an_unsandboxed_notebook_runs_over_tcp(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    cell = "import json, os\nprint(json.dumps(os.getcwd() == os.path.realpath('.')))"
    report = run_notebook(
        write_notebook(work, cell),
        make_spec(work, None),
        cell_timeout_s=60,
        notebook_timeout_s=120,
        sandboxed=False,
        run_probes=False,
        transport="tcp",
    )
    assert report.status == "ok", report.message
    assert json_of(report, 0) is True


def test_without_resource_and_fcntl_limits_and_turns_are_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "resource", None)
    monkeypatch.setattr(turns, "fcntl", None)
    monkeypatch.setattr(host, "resource", None)
    monkeypatch.setattr(host, "fcntl", None)
    spec = make_spec(tmp_path, None)
    assert resource_limits(spec) == {} and limits_preexec(spec) is None
    with Turns(tmp_path / "cache").alone(), Turns(tmp_path / "cache").shared():
        pass  # no locks to take: a retry and a run do not wait for each other
    assert not (tmp_path / "cache").exists()
    notes = host.unsandboxed_notes()
    assert any("no per-process limits" in note for note in notes)
    assert any("no file locks" in note for note in notes)
