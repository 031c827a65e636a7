"""The corpus: crafted hostile, broken and honest-but-unusual submissions, each with the verdict it must get.

Static cases are the reference sample (or raw bytes) with one thing wrong; quick cases are a one-notebook
submission whose Lab 1 notebook does the hostile thing, so that each run is seconds long. Every builder
writes one submission named after its case into the batch input folder and returns its path.
"""

from __future__ import annotations

import json
import shutil
import stat
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nbformat

from tests.corpus.arena import Arena
from tests.corpus.verdicts import (
    NOT_PENALISED,
    Verdict,
    check,
    check_about,
    finding,
    no_leak,
    printed,
    rejected,
    unchanged,
)
from tests.rubrics import tuned_f20_rubric
from tools import layout

Group = Literal["execution", "escape", "attack", "malformed", "honest"]
LAB1 = "lenet5-cifar10.ipynb"
LAB3 = "resnet-cifar10.ipynb"
PREDICTIONS = "predictions.csv"
REPORT = b"%PDF-1.4\n% report\n%%EOF\n"


@dataclass(frozen=True)
class Case:
    name: str
    group: Group
    mode: Literal["static", "quick"]
    build: Callable[[Path, Arena], Path]  # (folder to write into, arena) -> the submission it wrote
    verdicts: tuple[Verdict, ...]


# -- static submissions: the reference sample with one thing changed ----------------------------------------


def predictions_text(arena: Arena, newline: str = "\n", perfect: bool = False) -> str:
    """The hidden labels, one in 14 wrong (92.9%, as a good ResNet-20 scores) unless PERFECT."""
    labels = [(int(y) + (not perfect and i % 14 == 0)) % 10 for i, y in enumerate(arena.labels)]
    rows = "".join(f"{i},{y}{newline}" for i, y in enumerate(labels))
    return f"Id,Label{newline}{rows}"


def honest_copy(dest: Path, arena: Arena) -> Path:
    """The reference sample with predictions that match this course's hidden labels."""
    shutil.copytree(arena.sample, dest)
    (dest / PREDICTIONS).write_text(predictions_text(arena))
    return dest


def with_predictions(content: str | bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        data = content.encode() if isinstance(content, str) else content
        (sub / PREDICTIONS).write_bytes(data)
        return sub

    return build


def predictions_edit(edit: Callable[[list[str]], list[str]]) -> Callable[[Path, Arena], Path]:
    """Predictions made from the right ones by EDIT on their lines (header first)."""

    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        lines = predictions_text(arena).splitlines()
        (sub / PREDICTIONS).write_text("\n".join(edit(lines)) + "\n")
        return sub

    return build


def shift_label(row: str) -> str:
    index, label = row.split(",")
    return f"{index},{int(label) + 1}"


def with_notebook_bytes(name: str, content: bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        (sub / LAB1).unlink()
        (sub / name).write_bytes(content)
        return sub

    return build


def edit_notebook(name: str, edit: Callable[[nbformat.NotebookNode], None]) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        nb = nbformat.read(sub / name, as_version=4)
        edit(nb)
        nbformat.write(nb, sub / name)
        return sub

    return build


def unused_models_import(nb: nbformat.NotebookNode) -> None:
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    first.source += "\nfrom torchvision import models\n"


def stderr_warnings(nb: nbformat.NotebookNode) -> None:
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    warning = "/usr/lib/python3/torch/utils/data.py:12: UserWarning: This DataLoader will create 4 workers\n"
    first.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=warning))


def renamed(old: str, new: str) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        sub = honest_copy(dest, arena)
        (sub / old).rename(sub / new)
        return sub

    return build


def v3_notebook(dest: Path, arena: Arena) -> Path:
    sub = honest_copy(dest, arena)
    nb = nbformat.read(sub / LAB1, as_version=4)
    (sub / LAB1).write_text(nbformat.writes(nbformat.v3.downgrade(nb), version=3))  # type: ignore[attr-defined]
    return sub


def huge_notebook(dest: Path, arena: Arena) -> Path:
    """A valid notebook of 200 MB: one cell whose stored output is a 200 MB string."""
    sub = honest_copy(dest, arena)
    nb = nbformat.read(sub / LAB1, as_version=4)
    text = json.dumps(nbformat.v4.new_output("stream", name="stdout", text="#"))
    head, tail = nbformat.writes(nb).split('"outputs": [', 1)
    with (sub / LAB1).open("w") as handle:
        handle.write(head + '"outputs": [' + text[:-3])
        for _ in range(200):
            handle.write("#" * (1 << 20))
        handle.write(text[-3:] + ", " + tail)
    return sub


def duplicate_notebooks(dest: Path, arena: Arena) -> Path:
    sub = honest_copy(dest, arena)
    (sub / "old").mkdir()
    shutil.copy(sub / LAB1, sub / "old" / LAB1)
    return sub


def missing_notebooks(dest: Path, arena: Arena) -> Path:
    dest.mkdir()
    (dest / "report.pdf").write_bytes(REPORT)
    (dest / PREDICTIONS).write_text(predictions_text(arena))
    return dest


# -- zips ----------------------------------------------------------------------------------------------------


def zip_of(entries: Callable[[zipfile.ZipFile, Arena], None]) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        path = dest.with_suffix(".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            entries(archive, arena)
        return path

    return build


def raw_file(content: bytes) -> Callable[[Path, Arena], Path]:
    def build(dest: Path, arena: Arena) -> Path:
        path = dest.with_suffix(".zip")
        path.write_bytes(content)
        return path

    return build


def symlink_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    info = zipfile.ZipInfo("labels.npy")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, str(arena.course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS))


def traversal_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    archive.writestr("../../../../tmp/owned.txt", "written outside the work folder")


def bomb_entry(archive: zipfile.ZipFile, arena: Arena) -> None:
    archive.writestr(LAB1, "{}")
    with archive.open("padding.bin", "w", force_zip64=True) as handle:
        block = bytes(1 << 20)
        for _ in range(1024):  # 1 GiB of zeros, about 1 MB compressed
            handle.write(block)


def many_files(archive: zipfile.ZipFile, arena: Arena) -> None:
    for index in range(100_000):
        archive.writestr(zipfile.ZipInfo(f"junk/{index:06d}.txt"), "")


def empty_zip(archive: zipfile.ZipFile, arena: Arena) -> None:
    return None


# -- quick submissions: one notebook that does the hostile thing --------------------------------------------

LENET = """
import torch
import torch.nn as nn
import torch.nn.functional as F

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        out = F.max_pool2d(F.relu(self.conv1(x)), 2)
        out = F.max_pool2d(F.relu(self.conv2(out)), 2)
        out = torch.flatten(out, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(out)))))
"""
TRAINING = """
import torchvision.transforms as transforms
from torch.utils.data import DataLoader
from tools.dataset import CIFAR10

normalize = transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))
transform_train = transforms.Compose([transforms.ToTensor(), normalize])
transform_val = transform_train
trainset = CIFAR10("./data", train=True, transform=transform_train)
trainloader = DataLoader(trainset, batch_size=128, shuffle=True)
valloader = DataLoader(CIFAR10("./data", train=False, transform=transform_val), batch_size=100)
EPOCHS = 1
net = LeNet5()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
best = 0.0
for epoch in range(EPOCHS):
    net.train()
    for inputs, targets in trainloader:
        optimizer.zero_grad()
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, targets in valloader:
            correct += (net(inputs).argmax(1) == targets).sum().item()
            total += len(targets)
    best = max(best, correct / total)
    print("Validation loss: %.4f, Validation accuracy: %.4f" % (loss.item(), correct / total))
print("==> Optimization finished! Best validation accuracy: %.4f" % best)
"""
WARNINGS = """
import sys, warnings
warnings.warn("this DataLoader will create 4 worker processes", UserWarning)
print("some library chatter on stderr", file=sys.stderr)
"""


def lab1_notebook(*cells: str | Callable[[Arena], str]) -> Callable[[Path, Arena], Path]:
    """A submission of one Lab 1 notebook made of CELLS (text, or made from the arena's paths)."""

    def build(dest: Path, arena: Arena) -> Path:
        dest.mkdir()
        sources = [cell(arena) if callable(cell) else cell for cell in cells]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
        nbformat.write(nb, dest / LAB1)
        return dest

    return build


def guess_hidden_labels(arena: Arena) -> str:
    hidden = f"{layout.HIDDEN_DIR}/{layout.HIDDEN_TEST_LABELS}"
    guesses = [
        str(arena.course / hidden),
        f"data/{hidden}",
        f"../{hidden}",
        f"../../{hidden}",
        f"/data/{hidden}",
        f"/{hidden}",
        f"/tmp/{hidden}",
    ]
    return f"""
import glob, os
readable = []
name = "{layout.HIDDEN_TEST_LABELS}"
found = [glob.glob(f"{{top}}/**/{{name}}", recursive=True) for top in (".", "/tmp", "/home")]
for path in {guesses!r} + sum(found, []):
    try:
        with open(path, "rb") as handle:
            readable.append((path, len(handle.read())))
    except OSError:
        pass
print("readable hidden labels:", readable)
open({str(arena.course / hidden)!r}, "rb")
"""


def read_neighbour(arena: Arena) -> str:
    return f"print(open({str(arena.neighbour / LAB1)!r}).read()[:200])"


def delete_files(arena: Arena) -> str:
    return f"""
import os, shutil
open("scratch.txt", "w").write("mine")
os.remove("scratch.txt")  # its own work folder: allowed
for victim in [{str(arena.canary)!r}, "data/{layout.TRAIN_IMAGES}"]:
    try:
        os.remove(victim)
    except OSError as exc:
        print("could not delete", victim, type(exc).__name__)
shutil.rmtree({str(arena.neighbour)!r})
"""


def write_course_data(arena: Arena) -> str:
    return f"""
import numpy as np
try:
    np.save({str(arena.course / layout.TRAIN_LABELS)!r}, np.zeros(10))
except OSError as exc:
    print("host path:", type(exc).__name__)
np.save("data/{layout.TRAIN_LABELS}", np.zeros(10))
"""


def socket_connect(arena: Arena) -> str:
    return f"import socket\nsocket.create_connection(('127.0.0.1', {arena.port}), timeout=3)"


def urllib_download(arena: Arena) -> str:
    url = f"http://127.0.0.1:{arena.port}/resnet20.pth"
    return f"import urllib.request\nurllib.request.urlretrieve({url!r}, 'resnet20.pth')"


SEGFAULT = "import ctypes\nctypes.string_at(0)"
CUDA_ON_CPU = "import torch\nx = torch.zeros(3).cuda()"
GIGABYTE_OUTPUT = "import sys\nline = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(line)"
MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(b'x' * (64 << 20))"
FORK_BOMB = "import os\nwhile True:\n    os.fork()"
DISK_FILLER = (
    "import itertools\nfor i in itertools.count():\n    open(f'junk{i}', 'wb').write(bytes(1 << 20))"
)
HUB = "import torch\nnet = torch.hub.load('pytorch/vision', 'resnet18', pretrained=True)"
TORCHVISION_WEIGHTS = "import torchvision\nnet = torchvision.models.resnet18(weights='IMAGENET1K_V1')"
TIMM = "import timm\nnet = timm.create_model('resnet18', pretrained=True)"

# -- attacks: a student who has read the grader's code aims at what it trusts ------------------------------
#
# What they aim at: the files of .grader/ the grader reads or writes back once the kernel is gone (replaced
# by links to host files), the accuracy measured in the student's own kernel, the printed claims, the
# sandbox's unbounded tmpfs mounts and its root user, the guard's path-based checks, and the held-out item.
# Links are planted in the last cell (or by an IPython post_execute hook), after which nothing of the
# student's runs before the grader reads back; the work folder is bound at its own host path, so cwd (as
# /proc/self/mountinfo shows) names the batch's output folder: OUT/<id>/work/runs/<key>.

EXECUTED = f"{Path(LAB1).stem}.executed.ipynb"
PLANT = """
import os, shutil
from pathlib import Path

def plant(name, target):
    \"\"\"Replace .grader/NAME (or .grader itself when NAME is empty) with a link to TARGET.\"\"\"
    path = Path(".grader") / name if name else Path(".grader")
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.symlink_to(target)
    print("planted", path, "->", target)

OUT = Path.cwd().parents[3]  # OUT/<id>/work/runs/<key>: the batch's output folder on the host
mounts = open("/proc/self/mountinfo").read()
print("the work folder is a host path:", str(Path.cwd()) in mounts)
"""


def planted(name: str, target: Callable[[Arena], str], hook: bool = False) -> Callable[[Arena], str]:
    """A last cell that plants .grader/NAME -> TARGET (a Python expression, made from the arena), or (HOOK)
    a post_execute hook that does it after the grader's probe cell, the last code the kernel runs."""

    def source(arena: Arena) -> str:
        where = target(arena)
        if not hook:
            return PLANT + f"plant({name!r}, {where})\n"
        return (
            PLANT
            + f"""
ip = get_ipython()

def plant_after_the_probes():
    if os.path.exists(".grader/probe.json"):
        ip.events.unregister("post_execute", plant_after_the_probes)
        plant({name!r}, {where})

ip.events.register("post_execute", plant_after_the_probes)
"""
        )

    return source


def host(path: Callable[[Arena], Path | str]) -> Callable[[Arena], str]:
    return lambda arena: repr(str(path(arena)))


HIDDEN_LABELS_FILE = host(lambda arena: arena.course / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS)
# the batches' output folders are ROOT/out-static and ROOT/out-quick; the static one is complete by then
STATIC_OUT = "OUT.parent / 'out-static'"


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


# 6 GB in 64 MB blocks, one file each (a file is capped at max_file_mb), until the first OSError. Without a
# cap on the mount this is host memory (or host disk), so the total is bounded: ATTACK_MB can be lowered to
# try an attack on a grader that lacks the cap.
ATTACK_MB = 6 * 1024
BLOCK_MB = 64


def fill(folder: str) -> Callable[[Arena], str]:
    def source(arena: Arena) -> str:
        return f"""
import os
folder = {folder}
block = bytes({BLOCK_MB} << 20)
written = 0
try:
    for i in range({ATTACK_MB} // {BLOCK_MB}):
        with open(os.path.join(folder, f"fill{{i}}"), "wb") as handle:
            handle.write(block)
        written += {BLOCK_MB}
finally:
    print("wrote", written, "MB to", folder)
"""

    return source


RUNTIME_FOLDER = "os.path.dirname(__import__('ipykernel.connect').connect.get_connection_file())"
READ_SHADOW = """
try:
    print(open("/etc/shadow").read())
except OSError as exc:
    print("shadow:", exc)
"""
PRINT_UID = "import os\nprint('uid', os.getuid(), 'gid', os.getgid())"
PRINT_INIT = "print(open('/proc/1/cmdline', 'rb').read().replace(b'\\0', b' ').decode())"


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


RESNET20 = """
import torch
import torch.nn as nn
import torch.nn.functional as F

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x
        if self.pad or self.conv1.stride[0] != 1:  # option A: subsample and pad with zeros
            short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + short)

class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for index in range(3):
                blocks.append(BasicBlock(cin, cout, stride if index == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        out = self.layers(F.relu(self.bn(self.conv(x))))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))

net = ResNet20()  # never trained: predictions.csv came from elsewhere
"""


def untrained_resnet_copy(dest: Path, arena: Arena) -> Path:
    """The reference sample whose Lab 3 notebook trains nothing, with the perfect predictions.csv."""
    sub = honest_copy(dest, arena)
    cell = nbformat.v4.new_code_cell(RESNET20, execution_count=1)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), sub / LAB3)
    (sub / PREDICTIONS).write_text(predictions_text(arena, perfect=True))
    return sub


def untrained_resnet_alone(*extra: str | Callable[[Arena], str]) -> Callable[[Path, Arena], Path]:
    """Only a Lab 3 notebook that trains nothing (then EXTRA cells), and the perfect predictions.csv."""

    def build(dest: Path, arena: Arena) -> Path:
        dest.mkdir()
        sources = [RESNET20, *(cell(arena) if callable(cell) else cell for cell in extra)]
        cells = [nbformat.v4.new_code_cell(source, execution_count=i) for i, source in enumerate(sources, 1)]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), dest / LAB3)
        (dest / PREDICTIONS).write_text(predictions_text(arena, perfect=True))
        return dest

    return build


def link_predictions_to(relative: str) -> str:
    """A last cell that replaces the run's own predictions.csv with a link to another student's file."""
    return (
        PLANT
        + f"""
Path("{PREDICTIONS}").unlink(missing_ok=True)
Path("{PREDICTIONS}").symlink_to({STATIC_OUT} / {relative!r})
print("predictions.csv ->", {STATIC_OUT} / {relative!r})
"""
    )


# -- the corpus --------------------------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    # execution
    Case(
        "infinite-loop",
        "execution",
        "quick",
        lab1_notebook(LENET, "while True:\n    pass"),
        (check("lab1.c", "fail", "cell 1 exceeded its", "limit"),),
    ),
    Case(
        "sleep-past-notebook-limit",
        "execution",
        "quick",
        lab1_notebook("import time", *["time.sleep(8)"] * 6),
        (check("lab1.c", "fail", "the notebook exceeded its", "limit"),),
    ),
    Case(
        "memory-bomb", "execution", "quick", lab1_notebook(MEMORY_BOMB), (check("lab1.c", "fail", "memory"),)
    ),
    Case(
        "fork-bomb",
        "execution",
        "quick",
        lab1_notebook(FORK_BOMB),
        (check("lab1.c", "fail", "processes"),),  # too many, or a slow bomb that timed out among them
    ),
    Case(
        "os-exit",
        "execution",
        "quick",
        lab1_notebook(LENET, "import os\nos._exit(1)"),
        (check("lab1.c", "fail", "kernel died", "cell 1"),),
    ),
    Case(
        "segfault",
        "execution",
        "quick",
        lab1_notebook(SEGFAULT),
        (check("lab1.c", "fail", "kernel died", "cell 0"),),
    ),
    Case(
        "cuda-on-cpu",
        "execution",
        "quick",
        lab1_notebook(CUDA_ON_CPU),
        (check("lab1.c", "fail", "cell 0 raised", "NVIDIA driver"),),
    ),
    Case(
        "gigabyte-of-output",
        "execution",
        "quick",
        lab1_notebook(GIGABYTE_OUTPUT, LENET),
        (check("lab1.f.params", "pass"),),
    ),
    Case(
        "fill-the-disk",
        "execution",
        "quick",
        lab1_notebook(DISK_FILLER),
        (check("lab1.c", "fail", "too much written to disk"),),  # a file of 1 MiB at a time, past max_disk_mb
    ),
    Case(
        "delete-files",
        "execution",
        "quick",
        lab1_notebook(delete_files),
        (check("lab1.c", "fail", "FileNotFoundError"),),
    ),
    # escapes
    Case(
        "socket-connect",
        "escape",
        "quick",
        lab1_notebook(socket_connect),
        (check("lab1.c", "fail", "network"), check("integrity.lenet5", "fail", "socket")),
    ),
    Case(
        "urllib-download",
        "escape",
        "quick",
        lab1_notebook(urllib_download),
        (check("lab1.c", "fail", "downloads are not allowed"), check("integrity.lenet5", "fail")),
    ),
    Case(
        "torch-hub", "escape", "quick", lab1_notebook(HUB), (check("integrity.lenet5", "fail", "torch.hub"),)
    ),
    Case(
        "torchvision-weights",
        "escape",
        "quick",
        lab1_notebook(TORCHVISION_WEIGHTS),
        (check("integrity.lenet5", "fail", "weights"),),
    ),
    Case(
        "timm-pretrained",
        "escape",
        "quick",
        lab1_notebook(TIMM),
        (check("integrity.lenet5", "fail", "pretrained"),),
    ),
    Case(
        "hidden-labels-by-path",
        "escape",
        "quick",
        lab1_notebook(guess_hidden_labels),
        (check("lab1.c", "fail", "FileNotFoundError", layout.HIDDEN_TEST_LABELS),),
    ),
    Case(
        "read-other-student",
        "escape",
        "quick",
        lab1_notebook(read_neighbour),
        (check("lab1.c", "fail", "FileNotFoundError"),),
    ),
    Case(
        "write-course-data",
        "escape",
        "quick",
        lab1_notebook(write_course_data),
        (check("lab1.c", "fail", "read-only"),),
    ),
    Case("zip-symlink", "escape", "static", zip_of(symlink_entry), (rejected("link"),)),
    Case("zip-path-traversal", "escape", "static", zip_of(traversal_entry), (rejected(".."),)),
    Case("zip-bomb", "escape", "static", zip_of(bomb_entry), (rejected("padding.bin"),)),
    Case(
        "hundred-thousand-files", "escape", "static", zip_of(many_files), (rejected("more than 2000 files"),)
    ),
    # attacks on what the grader trusts; each verdict is the one a grader without the hole gives
    Case(
        "link-executed-notebook-to-new-host-file",
        "attack",
        "quick",
        lab1_notebook(LENET, planted(EXECUTED, host(lambda arena: arena.owned))),
        (unchanged("host"), check("lab1.f.params", "pass")),
    ),
    Case(
        "link-executed-notebook-over-course-data",  # not the canary: the kernel-log case must find it intact
        "attack",
        "quick",
        lab1_notebook(LENET, planted(EXECUTED, host(lambda arena: arena.course / layout.TRAIN_LABELS))),
        (unchanged("host"),),
    ),
    Case(
        "overwrite-neighbour-result-through-link",  # sorts after "neighbour": graded later
        "attack",
        "quick",
        lab1_notebook(
            planted(EXECUTED, lambda arena: f"str(OUT / {arena.neighbour.name!r} / 'result.json')")
        ),
        (unchanged("neighbour"),),
    ),
    Case(
        "link-grader-folder-to-finished-student",
        "attack",
        "quick",
        lab1_notebook(planted("", lambda arena: f"str({STATIC_OUT} / 'honest-crlf-bom-predictions')")),
        (unchanged("static-results", "host"),),
    ),
    Case(
        "link-kernel-log-to-canary",
        "attack",
        "quick",
        lab1_notebook(planted("kernel.log", host(lambda arena: arena.canary))),
        (no_leak("canary"),),
    ),
    Case(
        "link-kernel-log-to-hidden-labels",
        "attack",
        "quick",
        lab1_notebook(planted("kernel.log", HIDDEN_LABELS_FILE, hook=True)),
        (no_leak("hidden-labels"),),
    ),
    Case(
        "link-kernel-log-to-grader-environ",
        "attack",
        "quick",
        lab1_notebook(planted("kernel.log", lambda arena: "'/proc/self/environ'")),
        (no_leak("environ"),),
    ),
    Case(
        "link-kernel-log-to-host-shadow",
        "attack",
        "quick",
        lab1_notebook(planted("kernel.log", lambda arena: "'/etc/shadow'", hook=True)),
        (no_leak("shadow"),),
    ),
    Case(
        "link-predictions-csv-to-other-student",
        "attack",
        "quick",
        # the run's own file is read back without following links; agreement is a full-mode item
        untrained_resnet_alone(link_predictions_to("honest-reference/work/submission/predictions.csv")),
        (finding("implausible-accuracy", "warning"), check_about("predictions agree", "skipped")),
    ),
    Case(
        "val-labels-lookup-dict",
        "attack",
        "quick",
        lab1_notebook(LOOKUP_KEY, LOOKUP_DICT),
        (check("lab1.f.learns", "fail", "fresh process|not above chance"),),
    ),
    Case(
        "val-labels-lookup-buffer",
        "attack",
        "quick",
        lab1_notebook(LOOKUP_KEY, LOOKUP_BUFFER),
        (check("lab1.f.learns", "fail", "held-out", "not counted"), finding("memorised-labels", "error")),
    ),
    Case(
        "forged-probe-files",
        "attack",
        "quick",
        lab1_notebook(LENET, forged_probe),
        (check("integrity.lenet5", "fail", "blocked"), check("lab1.f.learns", "fail")),
    ),
    Case(
        "claims-when-val-set-small",
        "attack",
        "quick",
        claiming_notebook("len(np.load('data/val-labels-batch.npy')) < 5000"),
        (finding("claim-contradicted", "error", "printed", "measured"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "claims-when-sandbox-home",
        "attack",
        "quick",
        claiming_notebook("os.path.isdir('/home/student')"),
        (finding("claim-contradicted", "error", "printed", "measured"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "fill-dev-shm",
        "attack",
        "quick",
        lab1_notebook(fill("'/dev/shm'")),
        (check("lab1.c", "fail", "No space left"),),
    ),
    Case(
        "fill-sandbox-root",
        "attack",
        "quick",
        lab1_notebook(fill("'/'")),
        (check("lab1.c", "fail", "Read-only file system"),),
    ),
    Case(
        "fill-kernel-runtime-folder",
        "attack",
        "quick",
        lab1_notebook(fill(RUNTIME_FOLDER)),
        (check("lab1.c", "fail", "too much written to disk"),),
    ),
    Case(
        "read-etc-shadow",
        "attack",
        "quick",
        lab1_notebook(READ_SHADOW),
        (printed(LAB1, "No such file"), no_leak("shadow")),
    ),
    Case("root-in-sandbox", "attack", "quick", lab1_notebook(PRINT_UID), (printed(LAB1, "uid 1000"),)),
    Case(
        "read-init-cmdline",
        "attack",
        "quick",
        lab1_notebook(PRINT_INIT),
        (printed(LAB1, "bwrap --args"), no_leak("host-paths")),
    ),
    Case(
        "torch-load-file-object",
        "attack",
        "quick",
        weights_as_notes("torch.load(open('notes.txt', 'rb'))"),
        (check("integrity.lenet5", "fail", "blocked"),),
    ),
    Case(
        "torch-load-bytes-io",
        "attack",
        "quick",
        weights_as_notes("torch.load(io.BytesIO(open('notes.txt', 'rb').read()))"),
        (check("integrity.lenet5", "pass"), check("lab1.c", "pass")),
    ),
    Case(
        "perfect-predictions-untrained-static",
        "attack",
        "static",
        untrained_resnet_copy,
        (finding("implausible-accuracy", "warning"),),
    ),
    Case(
        "perfect-predictions-untrained-quick",
        "attack",
        "quick",
        untrained_resnet_alone(),
        (finding("implausible-accuracy", "warning"), check_about("predictions agree", "skipped")),
    ),
    # malformed input
    Case(
        "not-a-zip",
        "malformed",
        "static",
        raw_file(b"my homework is in the cloud\n"),
        (rejected("not a zip", "text"),),
    ),
    Case("empty-zip", "malformed", "static", zip_of(empty_zip), (rejected("empty"),)),
    Case(
        "invalid-json",
        "malformed",
        "static",
        with_notebook_bytes(LAB1, b'{"cells": [{"cell_type": "code", "source": "x = 1",\n'),
        (finding("notebook-invalid-json", "error", LAB1, "line 2"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "nbformat-v3",
        "malformed",
        "static",
        v3_notebook,
        (finding("notebook-upgraded", "info", "nbformat 3"), check("lab1.f.accuracy", "pass")),
    ),
    Case(
        "notebook-of-200-mb",
        "malformed",
        "static",
        huge_notebook,
        (finding("notebook-too-large", "error", LAB1, "limit"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "binary-garbage-ipynb",
        "malformed",
        "static",
        with_notebook_bytes(LAB1, bytes(range(256)) * 64),
        (finding("notebook-unreadable", "error", LAB1, "not a text file"),),
    ),
    Case(
        "missing-notebooks",
        "malformed",
        "static",
        missing_notebooks,
        (finding("missing-file", "error", LAB1), check("lab1.f.accuracy", "fail", "was not found")),
    ),
    Case(
        "duplicate-notebooks",
        "malformed",
        "static",
        duplicate_notebooks,
        (finding("duplicate-file", "warning", LAB1), check("lab1.f.accuracy", "pass")),
    ),
    Case(
        "predictions-wrong-header",
        "malformed",
        "static",
        predictions_edit(lambda lines: ["image,class", *lines[1:]]),
        (check("format.predictions", "fail", "header", "Id,Label"),),
    ),
    Case(
        "predictions-9999-rows",
        "malformed",
        "static",
        predictions_edit(lambda lines: lines[:-1]),
        (check("format.predictions", "fail", "9,999", "10,000"),),
    ),
    Case(
        "predictions-duplicate-ids",
        "malformed",
        "static",
        predictions_edit(lambda lines: [*lines[:-1], "0," + lines[-1].split(",")[1]]),
        (check("format.predictions", "fail", "Id 0 appears again", "line 10001"),),
    ),
    Case(
        "predictions-labels-1-to-10",
        "malformed",
        "static",
        predictions_edit(
            lambda lines: [lines[0]] + [f"{r.split(',')[0]},{int(r.split(',')[1]) + 1}" for r in lines[1:]]
        ),
        (check("format.predictions", "fail", "1..10", "subtract 1"),),
    ),
    Case(
        "predictions-class-names",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0]] + [f"{r.split(',')[0]},cat" for r in lines[1:]]),
        (check("format.predictions", "fail", "cat", "line 2"),),
    ),
    Case(
        "predictions-floats",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0]] + [f"{r}.7" for r in lines[1:]]),
        (check("format.predictions", "fail", ".7", "line 2"),),
    ),
    Case(
        "predictions-nan",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0], "0,NaN", *lines[2:]]),
        (check("format.predictions", "fail", "NaN", "line 2"),),
    ),
    Case(
        "predictions-latin-1",
        "malformed",
        "static",
        with_predictions(b"Id,Label\n" + "0,3 # chat noir é\n".encode("latin-1")),
        (check("format.predictions", "fail", "UTF-8", "line 2"),),
    ),
    Case(
        "predictions-semicolons",
        "malformed",
        "static",
        predictions_edit(lambda lines: [r.replace(",", ";") for r in lines]),
        (check("format.predictions", "fail", "comma"),),
    ),
    Case(
        "predictions-empty",
        "malformed",
        "static",
        with_predictions(b""),
        (check("format.predictions", "fail", "empty"),),
    ),
    # honest edge cases, never penalised
    Case("honest-reference", "honest", "static", honest_copy, (NOT_PENALISED,)),
    Case(
        "honest-unused-models-import",
        "honest",
        "static",
        edit_notebook(LAB3, unused_models_import),
        (NOT_PENALISED, check("integrity.resnet", "pass")),
    ),
    Case(
        "honest-stderr-warnings", "honest", "static", edit_notebook(LAB1, stderr_warnings), (NOT_PENALISED,)
    ),
    Case(
        "honest-crlf-bom-predictions",
        "honest",
        "static",
        lambda dest, arena: with_predictions("\ufeff" + predictions_text(arena, "\r\n"))(dest, arena),
        (NOT_PENALISED, check("format.predictions", "pass")),
    ),
    Case(
        "honest-underscore-name",
        "honest",
        "static",
        renamed(LAB3, "resnet_cifar10.ipynb"),
        (NOT_PENALISED, check("lab3.b", "pass")),
    ),
    Case(
        "honest-warnings-at-run-time",
        "honest",
        "quick",
        lab1_notebook(WARNINGS, LENET, TRAINING),
        (check("lab1.c", "pass"), check("lab1.f.params", "pass"), check("integrity.lenet5", "pass")),
    ),
)
BASELINE = "honest-reference"


def build_all(cases: tuple[Case, ...], input_dir: Path, arena: Arena) -> dict[str, Path]:
    """Write every case's submission into INPUT_DIR; return each case's submission path."""
    input_dir.mkdir(parents=True, exist_ok=True)
    return {case.name: case.build(input_dir / case.name, arena) for case in cases}


def write_corpus_rubric(path: Path) -> Path:
    """The F20 rubric with a small quick subset and short limits, so that hostile runs end in seconds; the
    honest runs train one epoch."""
    limits = {"cell_timeout_s": 10, "notebook_timeout_s": 30, "memory_mb": 1536, "max_disk_mb": 64}
    return tuned_f20_rubric(path, {"train": 400, "val": 100, "test": 100}, limits, lenet5_epochs=1)
