"""Escape cases: reaching past the sandbox (files, network, pretrained weights) or past the intake (zips)."""

from __future__ import annotations

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1, Case
from tests.corpus.cases.notebooks import lab1_notebook
from tests.corpus.cases.zips import bomb_entry, many_files, symlink_entry, traversal_entry, zip_of
from tests.corpus.verdicts import check, rejected
from tools import layout


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


HUB = "import torch\nnet = torch.hub.load('pytorch/vision', 'resnet18', pretrained=True)"
TORCHVISION_WEIGHTS = "import torchvision\nnet = torchvision.models.resnet18(weights='IMAGENET1K_V1')"
TIMM = "import timm\nnet = timm.create_model('resnet18', pretrained=True)"


ESCAPES: tuple[Case, ...] = (
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
)
