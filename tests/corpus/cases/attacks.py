"""Attack cases: a student who has read the grader aims at what it trusts; each verdict is the one a grader
without the hole gives.

What they aim at: the files of .grader/ the grader reads or writes back once the kernel is gone (replaced
by links to host files), the accuracy measured in the student's own kernel, the printed claims, the
sandbox's unbounded tmpfs mounts and its root user, the guard's path-based checks, and the held-out item.
Links are planted in the last cell (or by an IPython post_execute hook), after which nothing of the
student's runs before the grader reads back; the work folder is bound at its own host path, so cwd (as
/proc/self/mountinfo shows) names the batch's output folder: OUT/<id>/work/runs/<key>.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1, Case
from tests.corpus.cases.forgeries import (
    LOOKUP_BUFFER,
    LOOKUP_DICT,
    LOOKUP_KEY,
    claiming_notebook,
    forged_probe,
    weights_as_notes,
)
from tests.corpus.cases.notebooks import LENET, lab1_notebook, untrained_resnet_alone, untrained_resnet_copy
from tests.corpus.cases.planting import (
    EXECUTED,
    HIDDEN_LABELS_FILE,
    STATIC_OUT,
    host,
    link_predictions_to,
    planted,
)
from tests.corpus.verdicts import check, check_about, finding, no_leak, printed, unchanged
from tools import layout

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


ATTACKS: tuple[Case, ...] = (
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
        # weights the submission carries: blocked, so the run trains its own; unverified, not pretrained
        (check("integrity.lenet5", "pass", "unverified weights", "blocked"),),
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
)
