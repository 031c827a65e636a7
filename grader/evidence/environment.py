"""Whether a run stopped at an import the grader's environment could not serve, which is not the student's
mistake: the student ran the notebook with packages of their own, and a TA decides what it earns.

The rule, by the top-level name of the module the error names:
- the standard library, or a module the submission carries itself (``models.py``, ``utils/``): the student's
  mistake, an ordinary failure;
- ``tools``: the course's package, which the grader mounts over any copy the submission carries (README:
  "the course tools package shadowing any student copy"). A ``tools.X`` the course lacks is the harness's
  doing when the submission carries ``tools/X``, else the student's (no such course module, none sent);
- anything else, a package of the course environment (the rubric's ``environment.packages``, and what the
  grader itself needs) or not: an environment finding, for a TA.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import TYPE_CHECKING

from grader.execute.inkernel.colab_stub import COLAB_EVENT
from grader.execute.inkernel.cuda_on_cpu import EVENT as CUDA_EVENT
from grader.execute.report import ExecutionReport
from grader.records import Finding

if TYPE_CHECKING:  # the bundle holds this module's ImportFailure
    from grader.evidence.bundle import Evidence, NotebookEvidence

# The grader itself runs on these, so they are in every kernel's environment whatever the rubric lists.
GRADER_MODULES = frozenset({"torch", "torchvision", "numpy", "PIL", "ipykernel", "IPython"})
COURSE_TOOLS = "tools"
_IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")
_NO_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")
_NO_NAME = re.compile(r"cannot import name '\w+' from '(?P<module>[\w.]+)'")


@dataclass(frozen=True)
class ImportFailure:
    """What a run could not import, and who must look: ``environment`` or ``harness`` (a check's cause)."""

    module: str
    cause: str
    message: str
    cell: int | None


def failed_import(report: ExecutionReport) -> str | None:
    """The module a run's failing cell could not import, as the error names it; None for any other stop."""
    error = report.error
    if report.status != "cell-error" or error is None or error.name not in _IMPORT_ERRORS:
        return None
    match = _NO_MODULE.search(error.value) or _NO_NAME.search(error.value)
    return match["module"] if match else None


def import_names(packages: tuple[str, ...]) -> dict[str, str]:
    """The top-level import name of each package of the environment (scikit-learn is imported as sklearn),
    from what is installed; a package that is not installed is taken to import under its own name."""
    names = {name: name for name in GRADER_MODULES}
    wanted = {_normal(package): package for package in packages}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            if _normal(distribution) in wanted:
                names[module] = wanted[_normal(distribution)]
    for package in packages:
        names.setdefault(package.replace("-", "_"), package)
    return names


def import_failure(
    report: ExecutionReport, packages: tuple[str, ...], submission: Path | None
) -> ImportFailure | None:
    """The environment finding of a run that stopped at an import, or None when the stop is the student's."""
    module = failed_import(report)
    if module is None:
        return None
    top, _, rest = module.partition(".")
    where = f"cell {report.failed_cell}" if report.failed_cell is not None else "a cell"
    if top == COURSE_TOOLS:
        if rest and submission is not None and _carries(submission / COURSE_TOOLS, rest.split(".")[0]):
            message = (
                f"{where} imports {module}: the submission's own tools/{rest.split('.')[0]} is hidden by the "
                "course's tools package, which the grader mounts in its place"
            )
            return ImportFailure(module, "harness", message, report.failed_cell)
        return None
    if top in sys.stdlib_module_names or (submission is not None and _carries_anywhere(submission, top)):
        return None
    environment = import_names(packages)
    if top in environment:
        message = (
            f"{where} could not import {module}, of the course environment's {environment[top]}: this "
            f"grading machine's installation lacks it ({report.error.value if report.error else ''})"
        )
    else:
        message = (
            f"{where} imports {module}, which the course environment does not provide (it has "
            f"{', '.join(packages) or 'no extra packages'}): a TA decides whether the notebook may use it"
        )
    return ImportFailure(module, "environment", message, report.failed_cell)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _carries(folder: Path, name: str) -> bool:
    return (folder / f"{name}.py").is_file() or (folder / name).is_dir()


def _carries_anywhere(submission: Path, name: str) -> bool:
    """A module or package of that name anywhere in the submission (a notebook may sit in a subfolder)."""
    return _carries(submission, name) or any(
        _carries(folder, name) for folder in submission.rglob("*") if folder.is_dir()
    )


# event kind -> (finding kind, how the finding opens, how it ends) for what the run did in place of the
# student's machine: each call named once
_STAND_INS = {
    COLAB_EVENT: (
        "colab",
        "Colab calls had stand-ins (this run is not on Colab): ",
        "; a file the notebook reads from Drive is missing here",
    ),
    CUDA_EVENT: ("cuda-on-cpu", "CUDA calls ran on the CPU (this run has no GPU): ", ""),
}


def _stand_in_findings(nb: NotebookEvidence) -> list[Finding]:
    findings = []
    for event_kind, (kind, opening, ending) in _STAND_INS.items():
        events = [event for event in nb.run.guard_events if event.get("kind") == event_kind]
        if events:
            calls = ", ".join(dict.fromkeys(str(event.get("detail")) for event in events))
            findings.append(
                Finding(
                    kind=kind,
                    severity="info",
                    detail=opening + calls + ending,
                    notebook=nb.spec.filename,
                    cell=events[0].get("cell"),
                )
            )
    return findings


def environment_findings(evidence: Evidence, submission: Path) -> list[Finding]:
    """Classify each run's stop (the checks read ``import_failure``) and say, for a TA, which runs stopped at
    an import the environment lacks, which ran their CUDA calls on the CPU and which had Colab stand-ins."""
    findings = []
    for nb in evidence.notebooks.values():
        if nb.run is None:
            continue
        nb.import_failure = import_failure(nb.run, evidence.rubric.environment.packages, submission)
        if nb.import_failure is not None:
            findings.append(
                Finding(
                    kind="environment",
                    severity="warning",
                    detail=nb.import_failure.message + "; the checks it stopped are not checked",
                    notebook=nb.spec.filename,
                    cell=nb.import_failure.cell,
                )
            )
        findings += _stand_in_findings(nb)
    return findings
