"""The grader's side of the kernel's channels: an nbclient client that keeps a bounded amount of output, and
grader code run in the kernel without a trace in the notebook."""

from __future__ import annotations

import json
import queue
import time
import typing as t

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader.execute.kernel import SandboxedKernelManager

MAX_CELL_OUTPUT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_OUTPUT_BYTES = 50 * 1024 * 1024


class CappedClient(NotebookClient):
    """Keeps a bounded amount of each cell's output, so that a flood of prints cannot exhaust the grader.

    ``on_stream(text, stream)`` sees every piece of stdout and stderr as it arrives, kept or not (audit mode
    counts the epochs printed with it).
    """

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        on_stream: t.Callable[[str, str], None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(nb, **kwargs)
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._on_stream = on_stream

    def output(
        self,
        outs: list[nbformat.NotebookNode],
        msg: dict[str, t.Any],
        display_id: str | None,
        cell_index: int,
    ) -> nbformat.NotebookNode | None:
        if self._on_stream is not None and msg["msg_type"] == "stream":
            content = msg["content"]
            self._on_stream(str(content.get("text", "")), str(content.get("name", "stdout")))
        used = self._output_bytes.get(cell_index, 0) + len(json.dumps(msg["content"], default=str))
        self._output_bytes[cell_index] = used
        within = (
            used <= MAX_CELL_OUTPUT_BYTES and sum(self._output_bytes.values()) <= MAX_NOTEBOOK_OUTPUT_BYTES
        )
        if within or msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            note = "[grader] the rest of this cell's output was dropped: too much output\n"
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        return None


async def run_hidden(
    client: NotebookClient, km: SandboxedKernelManager, code: str, timeout_s: float
) -> dict[str, t.Any]:
    """Execute grader code without history or displayed output; return the reply's content."""
    kc = client.kc
    assert kc is not None
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no reply within {timeout_s:g} s")
        try:
            msg = await kc.get_shell_msg(timeout=min(1.0, remaining))
        except queue.Empty:
            if not await km.is_alive():
                raise DeadKernelError("Kernel died") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]
