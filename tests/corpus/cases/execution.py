"""Execution cases: a run that misbehaves (loops, bombs, crashes, floods) must fail cleanly and alone."""

from __future__ import annotations

from tests.corpus.arena import Arena
from tests.corpus.cases.case import Case
from tests.corpus.cases.notebooks import LENET, lab1_notebook
from tests.corpus.verdicts import check, finding
from tools import layout


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


SEGFAULT = "import ctypes\nctypes.string_at(0)"
CUDA_ON_CPU = "import torch\nx = torch.zeros(3).cuda()"
GIGABYTE_OUTPUT = "import sys\nline = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(line)"
MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(b'x' * (64 << 20))"
FORK_BOMB = "import os\nwhile True:\n    os.fork()"
DISK_FILLER = (
    "import itertools\nfor i in itertools.count():\n    open(f'junk{i}', 'wb').write(bytes(1 << 20))"
)

EXECUTION: tuple[Case, ...] = (
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
        # the handout asks for a GPU: without one, the run maps the student's CUDA calls to the CPU
        (check("lab1.c", "pass"), finding("cuda-on-cpu", "info", ".cuda()")),
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
)
