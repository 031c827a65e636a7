"""The capped client keeps a bounded amount of each cell's output and says where it dropped the rest."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.execute import client
from grader.execute.client import CappedClient
from grader.execute.runner import run_notebook
from tests.execute.helpers import make_spec, stdout_of, write_notebook

DROPPED = "[grader] the rest of this cell's output was dropped: too much output\n"


def fresh_client() -> CappedClient:
    capped = CappedClient(nbformat.v4.new_notebook())
    capped.reset_execution_trackers()
    capped.clear_before_next_output = False  # as executing a cell does
    return capped


def stream(text: str, msg_type: str = "stream") -> dict[str, object]:
    content: dict[str, object] = {"name": "stdout", "text": text}
    if msg_type == "error":
        content = {"ename": "ValueError", "evalue": "late", "traceback": []}
    return {"msg_type": msg_type, "header": {"msg_type": msg_type}, "parent_header": {}, "content": content}


def test_output_past_the_cap_is_dropped_once_with_a_note_but_errors_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client, "MAX_CELL_OUTPUT_BYTES", 200)
    capped = fresh_client()
    outs: list[nbformat.NotebookNode] = []
    for _ in range(5):
        capped.output(outs, stream("x" * 50), None, 0)
    capped.output(outs, stream("", "error"), None, 0)
    other: list[nbformat.NotebookNode] = []
    capped.output(other, stream("next cell"), None, 1)
    kinds = [(o.output_type, o.get("name")) for o in outs]
    assert kinds == [("stream", "stdout")] * 2 + [("stream", "stderr"), ("error", None)]
    assert outs[2].text == DROPPED and [o.text for o in other] == ["next cell"]


def test_the_whole_notebook_has_a_cap_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "MAX_NOTEBOOK_OUTPUT_BYTES", 300)
    capped = fresh_client()
    cells: list[list[nbformat.NotebookNode]] = [[] for _ in range(4)]
    for index, outs in enumerate(cells):
        capped.output(outs, stream("x" * 50), None, index)
    assert [len(outs) for outs in cells] == [1, 1, 1, 1]
    assert [outs[0].get("name") for outs in cells] == ["stdout", "stdout", "stdout", "stderr"]


@pytest.mark.usefixtures("needs_sandbox")
def test_a_flood_of_output_is_cut_and_says_so(work_dir: Path) -> None:
    flood = "for _ in range(800):\n    print('x' * 10_000)"
    notebook = write_notebook(work_dir, flood, "print('after')")
    spec = make_spec(work_dir, None)
    report = run_notebook(notebook, spec, cell_timeout_s=30, notebook_timeout_s=60, run_probes=False)
    assert report.status == "ok", report.message
    text = stdout_of(report, 0)
    assert len(text) <= client.MAX_CELL_OUTPUT_BYTES
    assert stdout_of(report, 1) == "after\n"
    assert report.executed_notebook is not None
    assert "output was dropped: too much output" in Path(report.executed_notebook).read_text()
