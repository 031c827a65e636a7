"""Executing a student notebook: the sandbox, the kernel in it, the guard before and the probes after."""

from grader.execute.runner import ExecutionReport, run_notebook
from grader.execute.sandbox import SandboxSpec, sandbox_available

__all__ = ["ExecutionReport", "SandboxSpec", "run_notebook", "sandbox_available"]
