"""Checks that need no execution: files present, notebooks readable and executed, no pretrained weights."""

from __future__ import annotations

from grader.checks.common import failed, missing_notebook, passed
from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.execute.sandbox import SANDBOX_WORK_DIR
from grader.records import CheckOutcome
from grader.rubric.item import Item

BANNED_KINDS = {"pretrained-weights", "download", "shell-download"}


def file_present(ev: Evidence, item: Item) -> CheckOutcome:
    if item.notebook is not None:
        nb = ev.notebooks[item.notebook]
        if nb.path is None:
            return failed(f"{nb.spec.filename} was not found in the submission")
        return passed(f"{nb.spec.filename} found", path=nb.path.name)
    target = item.params["file"]
    path = ev.files.get(target)
    if path is None:
        return failed(f"no {target} file found in the submission")
    return passed(f"{target} found: {path.name}", path=path.name)


def notebook_valid(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    problem = missing_notebook(nb)
    if problem is not None:
        return problem
    warnings = [f.detail for f in nb.loaded.findings if f.severity != "info"]
    return passed(f"{nb.spec.filename} is a valid notebook", warnings=warnings)


def notebook_executed(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    problem = missing_notebook(nb)
    if problem is not None:
        return problem
    stored = nb.stored
    if stored.error_cells:
        cell, ename, evalue = stored.error_cells[0]
        return failed(f"the submitted notebook stops with an error in cell {cell}: {ename}: {evalue}")
    if not stored.executed:
        cells = ", ".join(map(str, stored.unexecuted_code_cells[:10]))
        return failed(f"code cells never executed in the submitted notebook: {cells}")
    return passed("every code cell ran and none ended in an error", order_ok=stored.execution_order_ok)


def _blocked_events(nb: NotebookEvidence) -> list[dict]:
    if nb.run is None:
        return []
    return [event for event in nb.run.guard_events if event.get("action") == "blocked"]


def _carried(event: dict) -> bool:
    """A load the guard blocked of a file in the submission's own work folder: weights (or pickled metrics)
    the student brought along. Unverified, since the run must train its own, but no sign of pretraining."""
    return str(event.get("detail", "")).startswith(SANDBOX_WORK_DIR + "/")


def carried_loads(nb: NotebookEvidence) -> list[str]:
    """The submission's own files the run tried to load and the guard blocked, as the report shows them."""
    return [f"{e.get('kind')} {e.get('detail')}" for e in _blocked_events(nb) if _carried(e)]


def inherited_loads(nb: NotebookEvidence) -> list[str]:
    """The files an earlier notebook's run wrote that this run loaded, with the notebook that wrote each: the
    provenance is the grader's own record of the copy, the guard's events only say which were loaded."""
    if nb.run is None:
        return []
    loaded = {e.get("detail") for e in nb.run.guard_events if e.get("kind") == "inherited"}
    return [
        f"{rel} (written by {notebook}'s run)"
        for rel, notebook in sorted(nb.run.inherited.items())
        if rel in loaded
    ]


def banned_use(nb: NotebookEvidence, severities: tuple[str, ...] = ("error", "warning")) -> list[str]:
    """Pretrained weights or downloads, as found in the code or blocked by the guard at run time."""
    found = [f.detail for f in nb.findings if f.kind in BANNED_KINDS and f.severity in severities]
    blocked = [e for e in _blocked_events(nb) if not _carried(e)]
    return found + [f"blocked at run time: {e.get('kind')} {e.get('detail')}" for e in blocked]


def no_pretrained(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    problem = missing_notebook(nb)
    if problem is not None:
        return problem
    details = banned_use(nb)
    if details:
        return failed("pretrained weights or downloads: " + "; ".join(details[:5]), findings=details)
    carried = carried_loads(nb)
    if carried:
        return passed(
            "no pretrained weights or downloads; unverified weights: the run tried to load files the "
            f"submission carries ({'; '.join(carried[:3])}), which the grader blocked, so the run had to "
            "train its own",
            warnings=carried,
        )
    inherited = inherited_loads(nb)
    if inherited:
        return passed(
            "no pretrained weights or downloads; it loads what an earlier notebook of this submission saved "
            f"in this grading: {'; '.join(inherited[:3])}",
            inherited=inherited,
        )
    return passed("no pretrained weights or downloads found in the code or seen at run time")
