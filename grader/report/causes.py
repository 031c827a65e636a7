"""Failures grouped under the run that caused them, so a student sees the one thing to fix first.

A notebook whose run stopped early (a cell raised, a time limit, a dead kernel) leaves every check that reads
that run without the evidence the later cells would have made: the blank template's one
``NotImplementedError`` in cell 4 fails the transforms, the loss, the optimizer, the model and the learning
checks after it. The dependency is read from the result's evidence only: which notebook's run each check
reads (``CheckResult.reads_run``) and how that run ended (``Result.runs``), never from the messages. The
pre-check, the student report and the dashboard all group with :func:`group_failures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.records import CheckResult, Result, RunOutcome

FAILED = frozenset({"fail", "error"})


@dataclass(frozen=True)
class Cause:
    """One stopped run and the failed checks that read it (the run's own ``runs`` check among them)."""

    key: str
    run: RunOutcome
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def what(self) -> str:
        """Where and on what the run stopped: ``lenet5-cifar10.ipynb cell 4 raised NotImplementedError``."""
        if self.run.status == "cell-error" and self.run.cell is not None and self.run.error:
            return f"{self.run.notebook} cell {self.run.cell} raised {self.run.error}"
        return f"{self.run.notebook}: {self.run.message}"

    @property
    def headline(self) -> str:
        count = len(self.checks)
        checks = f"{count} checks below depend" if count != 1 else "1 check below depends"
        return f"Fix this first: {self.what} — {checks} on it"


@dataclass(frozen=True)
class Grouped:
    """The failed checks of a result: under the causes they follow from, and the ones that stand alone."""

    causes: list[Cause]
    independent: list[CheckResult]

    def cause_of(self, check_id: str) -> Cause | None:
        return next((c for c in self.causes if any(check.id == check_id for check in c.checks)), None)


def group_failures(result: Result, only: set[str] | None = None) -> Grouped:
    """Group RESULT's failed checks (of ONLY, when given: the ids a caller shows as failures) by cause, in
    the order of the rubric's notebooks; a cause with no failed check is left out."""
    failed = [c for c in result.checks if c.status in FAILED and (only is None or c.id in only)]
    stopped = {key: run for key, run in result.runs.items() if run.status != "ok"}
    causes = []
    for key, run in stopped.items():
        dependents = [check for check in failed if check.reads_run == key]
        if dependents:
            causes.append(Cause(key, run, dependents))
    grouped = {check.id for cause in causes for check in cause.checks}
    return Grouped(causes, [check for check in failed if check.id not in grouped])
