"""The links an attack plants in .grader/, and the host paths it aims them at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1, PREDICTIONS
from tools import layout

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
