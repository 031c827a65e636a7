"""Attacks on what the grader measures in the student's kernel: lookups, a forged probe, false claims."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1
from tests.corpus.cases.notebooks import LENET, TRAINING, lab1_notebook

LOOKUP_KEY = """
import hashlib
import numpy as np
import torch

MEAN = torch.tensor((0.4914, 0.4822, 0.4465)).view(1, 3, 1, 1)  # what the grader's probe normalises with
STD = torch.tensor((0.2023, 0.1994, 0.2010)).view(1, 3, 1, 1)

def image_key(x):
    \"\"\"A 60-bit hash of one preprocessed image, rounded so that batch sizes cannot change it.\"\"\"
    digest = hashlib.sha1(torch.round(x * 64).to(torch.int32).numpy().tobytes()).hexdigest()
    return int(digest[:15], 16)

val_images = np.load("data/val-images-batch.npy")
val_labels = np.load("data/val-labels-batch.npy")
x = (torch.from_numpy(val_images).permute(0, 3, 1, 2).float().div_(255.0) - MEAN) / STD
keys = [image_key(image) for image in x]
"""
LOOKUP_DICT = (
    LENET.replace("class LeNet5(nn.Module):", "class Trained(nn.Module):")
    + """
class LeNet5(Trained):
    \"\"\"Table 1's layers, and a forward that answers the validation images from a table.\"\"\"

    def __init__(self):
        super().__init__()
        self.table = {}

    def forward(self, x):
        out = super().forward(x)
        for row, image in enumerate(x):
            label = self.table.get(image_key(image))
            if label is not None:
                out[row] = 0.0
                out[row, label] = 100.0
        return out

net = LeNet5()
net.table = dict(zip(keys, val_labels.tolist()))  # no training at all
print("entries:", len(net.table))
"""
)
LOOKUP_BUFFER = (
    LENET.replace("class LeNet5(nn.Module):", "class Trained(nn.Module):")
    + """
class LeNet5(Trained):
    \"\"\"Table 1's layers, and the validation answers in buffers: they travel in the state_dict.\"\"\"

    def __init__(self, entries=5000):
        super().__init__()
        self.register_buffer("keys", torch.full((entries,), -1, dtype=torch.int64))
        self.register_buffer("answers", torch.zeros(entries, dtype=torch.int64))

    def forward(self, x):
        out = super().forward(x)
        table = dict(zip(self.keys.tolist(), self.answers.tolist()))
        for row, image in enumerate(x):
            label = table.get(image_key(image))
            if label is not None:
                out[row] = 0.0
                out[row, label] = 100.0
        return out

net = LeNet5()
with torch.no_grad():
    net.keys[: len(keys)] = torch.tensor(keys)
    net.answers[: len(keys)] = torch.from_numpy(val_labels.astype("int64"))
print("state_dict entries:", list(net.state_dict()))
"""
)


def forged_probe(arena: Arena) -> str:
    """A post_execute hook that, after the grader's probe cell, re-runs that cell's code on a LeNet-5 it
    builds (so the probe describes a model, optimizer and loss the notebook never had), then writes perfect
    validation predictions and empties the guard's record of the blocked download (which the static scan
    cannot see: the function is looked up by a name built at run time)."""
    url = f"http://127.0.0.1:{arena.port}/lenet5.pth"
    return f"""
import importlib
import os
import numpy as np
import torch
import torch.nn as nn

fetch = getattr(importlib.import_module("urllib.request"), "url" + "open")
try:
    fetch({url!r}, timeout=3)
except Exception as exc:
    print("download:", type(exc).__name__)
net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))  # never trained, nothing like LeNet-5
val_labels = np.load("data/val-labels-batch.npy")
ip = get_ipython()
PROBE_CALL = "run_" + "probes("  # so that this cell's own code does not look like the probe cell

def forge():
    code = ip.kernel.get_parent("shell").get("content", {{}}).get("code", "")
    if PROBE_CALL not in code:
        return
    ip.events.unregister("post_execute", forge)
    ns = ip.user_ns
    kept = {{name: ns.get(name) for name in ("net", "optimizer", "criterion")}}
    fake = LeNet5()
    ns["net"], ns["criterion"] = fake, nn.CrossEntropyLoss()
    ns["optimizer"] = torch.optim.SGD(fake.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    try:
        exec(code, {{}})
    finally:
        ns.update(kept)
    np.save(".grader/val_predictions.npy", val_labels.astype(np.int64))
    open(".grader/guard-events.jsonl", "w").close()

ip.events.register("post_execute", forge)
"""


FAKE_CLAIM = (
    "Validation loss: 0.1000, Validation accuracy: 0.9900\n"
    "==> Optimization finished! Best validation accuracy: 0.9900\n"
)


def claims_when(detected: str) -> str:
    """Train as asked, except under the grader (DETECTED): then print 99% and train nothing."""
    return f"""
import os
import numpy as np
if {detected}:
    net = LeNet5()
    print({FAKE_CLAIM!r}, end="")
else:
{textwrap.indent(TRAINING, "    ")}
"""


def claiming_notebook(detected: str) -> Callable[[Path, Arena], Path]:
    """Submitted as executed, its stored outputs claiming 99%: what the run prints must agree with them."""

    def build(dest: Path, arena: Arena) -> Path:
        sub = lab1_notebook(LENET, claims_when(detected))(dest, arena)
        nb = nbformat.read(sub / LAB1, as_version=4)
        for count, cell in enumerate(nb.cells, 1):
            cell.execution_count = count
        nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=FAKE_CLAIM)]
        nbformat.write(nb, sub / LAB1)
        return sub

    return build


def weights_as_notes(load: str) -> Callable[[Path, Arena], Path]:
    """A Lab 1 notebook that loads a state_dict shipped as notes.txt, through LOAD (an expression)."""

    def build(dest: Path, arena: Arena) -> Path:
        import torch

        sub = lab1_notebook(
            LENET, f"import io\nnet = LeNet5()\nnet.load_state_dict({load})\nprint('loaded')"
        )(dest, arena)
        namespace: dict = {}
        exec(LENET, namespace)
        torch.save(namespace["LeNet5"]().state_dict(), sub / "notes.txt")
        return sub

    return build
