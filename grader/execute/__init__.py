"""Executing a student notebook: the sandbox, the kernel in it, the guard before and the probes after, and
the fresh process that measures the trained model away from the student's kernel."""

from grader.execute.report import ExecutionReport
from grader.execute.runner import run_notebook
from grader.execute.sandbox import SandboxSpec, sandbox_available

__all__ = ["ExecutionReport", "SandboxSpec", "run_notebook", "sandbox_available"]
