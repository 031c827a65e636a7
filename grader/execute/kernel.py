"""A jupyter_client kernel manager whose ipykernel runs inside the sandbox of :mod:`grader.execute.sandbox`.

The sandbox has a network namespace of its own, so the grader cannot reach the kernel over TCP loopback: the
ZMQ channels of a sandboxed kernel use the ``ipc`` transport, unix sockets in a runtime folder bound into the
sandbox at its own path. An unsandboxed kernel (the students' pre-check) uses ipc too where unix sockets
exist, and TCP on 127.0.0.1 where they do not (Windows) or where ``GRADER_KERNEL_TRANSPORT=tcp`` asks for it.
The kernel always runs this grader's Python, whatever kernelspec the notebook names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

from grader.execute.cgroups import KernelCaps
from grader.execute.host import LOOPBACK, Transport, kernel_transport
from grader.execute.sandbox import (
    SandboxLaunch,
    SandboxSpec,
    limits_preexec,
    memory_limit_mb,
    sandbox_env,
    sandbox_launch,
)

KERNEL_ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def private_cell(source: str, label: str) -> str:
    """A cell that runs ``source`` in a namespace of its own, binding no name in the student's namespace.

    The guard's and the probes' functions must not see (or be broken by) the student's globals: a student's
    ``time = 5`` would otherwise reach the guard's ``time.time()``.
    """
    run = "__import__('builtins')"
    return (
        f"{run}.exec({run}.compile({source!r}, {label!r}, 'exec'), "
        f"{{'__name__': {label!r}, '__builtins__': {run}}})"
    )


class SandboxedKernelManager(AsyncKernelManager):
    """Launch ipykernel under bwrap (or bare with ``sandboxed=False``) with resource limits and a log file.

    Interrupts travel as ``interrupt_request`` messages: bwrap puts the kernel in a session of its own, out of
    reach of the process-group signal jupyter_client would otherwise send. ``pass_fds`` are more fds for the
    kernel to inherit (the write end of the run-time guard's event pipe), at the same numbers inside.
    ``transport`` applies to an unsandboxed kernel only (:func:`grader.execute.host.kernel_transport`).
    """

    def __init__(
        self,
        spec: SandboxSpec,
        *,
        sandboxed: bool = True,
        log_path: Path,
        pass_fds: tuple[int, ...] = (),
        transport: Transport | None = None,
        **kwargs: t.Any,
    ) -> None:
        if spec.runtime_dir is None:
            raise ValueError("SandboxedKernelManager needs spec.runtime_dir for its connection file")
        runtime = Path(os.path.realpath(spec.runtime_dir))
        self.channel_transport = kernel_transport(sandboxed, transport)
        ip = str(runtime / "k") if self.channel_transport == "ipc" else LOOPBACK
        super().__init__(
            transport=self.channel_transport,
            ip=ip,
            connection_file=str(runtime / "kernel.json"),
            **kwargs,
        )
        self.spec = spec
        self.sandboxed = sandboxed
        self.log_path = log_path
        self.pass_fds = pass_fds
        self.caps: KernelCaps | None = None
        self._launch: SandboxLaunch | None = None
        self._kernel_spec = KernelSpec(
            argv=list(KERNEL_ARGV),
            display_name="Python 3 (graded)",
            language="python",
            interrupt_mode="message",
        )

    @property
    def launcher_helpers(self) -> int:
        """Processes above the kernel that belong to bwrap: its monitor and the pid namespace's init."""
        return 2 if self.sandboxed else 0

    @property
    def writable_dirs(self) -> tuple[Path, ...]:
        """The host folders the kernel may write to, whose growth counts against ``max_disk_mb``."""
        assert self.spec.runtime_dir is not None
        return (Path(self.spec.work_dir), Path(self.spec.runtime_dir))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandboxed:
            return command
        self._close_launch()
        self._launch = sandbox_launch(self.spec, command, self.pass_fds)
        return self._launch.argv

    def launch_env(self) -> dict[str, str]:
        if self._launch is not None:
            return self._launch.env
        assert self.spec.runtime_dir is not None
        home = Path(self.spec.runtime_dir) / "home"
        home.mkdir(exist_ok=True)
        return sandbox_env(self.spec, home=str(home))

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: t.Any) -> None:
        kw["env"] = self.launch_env()
        kw["cwd"] = str(Path(self.spec.work_dir).resolve())
        kw["pass_fds"] = self._launch.pass_fds if self._launch is not None else self.pass_fds
        apply_limits = limits_preexec(self.spec)
        if self.sandboxed and self.caps is None:
            self.caps = KernelCaps.create(self.spec.max_processes, memory_limit_mb(self.spec))
        caps = self.caps

        def preexec() -> None:
            if apply_limits is not None:
                apply_limits()
            if caps is not None:
                caps.join()

        if apply_limits is not None or caps is not None:  # Windows has no preexec_fn, nor anything to apply
            kw["preexec_fn"] = preexec
        try:
            with open(self.log_path, "ab") as log:
                kw["stdout"] = log
                kw["stderr"] = subprocess.STDOUT
                await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            self._close_launch()

    def _close_launch(self) -> None:
        if self._launch is not None:
            self._launch.close()
            self._launch = None

    def cap_notes(self) -> list[str]:
        """What the report should say about the cgroup caps this host did not allow."""
        return [] if self.caps is None else self.caps.missing()

    def release_caps(self) -> None:
        self._close_launch()
        if self.caps is not None:
            self.caps.remove()
            self.caps = None
