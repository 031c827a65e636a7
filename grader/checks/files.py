"""Checks that need no execution: files present, notebooks readable and executed, no pretrained weights."""

from __future__ import annotations

from pathlib import Path

from grader.checks.common import failed, missing_notebook, passed
from grader.evidence.bundle import Evidence, NotebookEvidence
from grader.execute import ExecutionReport
from grader.execute.sandbox import SANDBOX_WORK_DIR
from grader.records import CheckOutcome
from grader.rubric.item import Item

PRETRAINED_KIND = "pretrained-weights"
DOWNLOAD_KINDS = frozenset({"download", "shell-download"})
NETWORK_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.getaddrinfo", "urllib.Request"})


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


def _carried(nb: NotebookEvidence, event: dict) -> bool:
    """A load the guard blocked of a file (its real path): in the sandbox nothing but the system's files
    (which the guard trusts) lies outside what the submission brought and the run made, so such a file is
    the student's own, unverified but no sign of pretraining. Without the sandbox only the run's folder is."""
    detail = str(event.get("detail", ""))
    if nb.run is None or not detail.startswith("/"):  # a blocked download names a model or a URL
        return False
    return nb.run.sandboxed or detail.startswith(_work_roots(nb.run))


def _work_roots(run: ExecutionReport) -> tuple[str, str]:
    """The run's work folder as the guard may name it: the sandbox's path, and the host's (unsandboxed)."""
    return f"{SANDBOX_WORK_DIR}/", f"{Path(run.notebook).parent}/"


def carried_files(nb: NotebookEvidence) -> dict[str, str]:
    """The blocked loads of files in the run's work folder: the path the guard named -> the path relative to
    the work folder, where the submission's own copy of the file lies."""
    if nb.run is None:
        return {}
    roots = _work_roots(nb.run)
    found = {}
    for event in _blocked_events(nb):
        detail = str(event.get("detail", ""))
        for root in roots:
            if detail.startswith(root):
                found[detail] = detail.removeprefix(root)
    return found


def carried_loads(nb: NotebookEvidence) -> list[str]:
    """The submission's own files the run tried to load and the guard blocked, as the report shows them."""
    return [
        f"{e.get('kind')} {e.get('detail')}"
        for e in _blocked_events(nb)
        if _carried(nb, e) and e.get("detail") not in nb.published_weights
    ]


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


def pretrained_use(nb: NotebookEvidence, severities: tuple[str, ...] = ("error", "warning")) -> list[str]:
    """Evidence of pretrained weights: a known pretrained source in the code (hub, model zoo, torchvision
    weights, timm, Hugging Face), or a load the guard blocked of weights from outside the submission."""
    found = [f.detail for f in nb.findings if f.kind == PRETRAINED_KIND and f.severity in severities]
    blocked = [e for e in _blocked_events(nb) if e.get("kind") not in NETWORK_EVENTS and not _carried(nb, e)]
    published = [
        f"blocked at run time: {kind} {path}, which holds the weights of {model}"
        for path, model in nb.published_weights.items()
        for kind in sorted({e.get("kind") for e in _blocked_events(nb) if e.get("detail") == path})
    ]
    return found + [f"blocked at run time: {e.get('kind')} {e.get('detail')}" for e in blocked] + published


def downloads(nb: NotebookEvidence) -> list[str]:
    """Downloads and installs in the code, and network use the guard blocked: against the rules of a graded
    run, but no evidence of pretrained weights (the run never received what it asked for)."""
    found = [f.detail for f in nb.findings if f.kind in DOWNLOAD_KINDS and f.severity in ("error", "warning")]
    blocked = [e for e in _blocked_events(nb) if e.get("kind") in NETWORK_EVENTS]
    return found + [f"blocked at run time: {e.get('kind')} {e.get('detail')}" for e in blocked]


def no_pretrained(ev: Evidence, item: Item) -> CheckOutcome:
    nb = ev.notebooks[item.notebook]
    problem = missing_notebook(nb)
    if problem is not None:
        return problem
    pretrained, fetched = pretrained_use(nb), downloads(nb)
    if pretrained:
        details = pretrained + fetched
        return failed("pretrained weights: " + "; ".join(details[:5]), findings=details)
    if fetched:
        return failed("downloads, not allowed in a graded run: " + "; ".join(fetched[:5]), findings=fetched)
    carried = carried_loads(nb)
    if carried:
        return passed(
            "no pretrained weights or downloads; unverified weights: the run tried to load files of the "
            f"submission's own ({'; '.join(carried[:3])}), which the grader blocked, so the run had to "
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
