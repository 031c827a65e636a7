"""run_notebook end to end: a sandboxed kernel per notebook, each way of failing mapped to its status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.execute import runner
from grader.execute.report import ExecutionReport
from grader.execute.runner import run_notebook
from tests.execute.helpers import ATTEMPTS, json_of, make_spec, stdout_of, write_notebook
from tests.paths import REPO_ROOT
from tools import layout

sandboxed = pytest.mark.usefixtures("needs_sandbox")

MODEL = """
import torch, torch.nn as nn
import torchvision.transforms as transforms
from tools.dataset import CIFAR10

class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 16 * 16, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1))
"""
TRAINING = """
normalize = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
transform_train = transforms.Compose([*augment, transforms.ToTensor(), normalize])
transform_val = transforms.Compose([transforms.ToTensor(), normalize])
EPOCHS = 30
torch.manual_seed(0)
net = TinyNet()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
train_set = CIFAR10("./data", mode="train", transform=transform_train)
loader = torch.utils.data.DataLoader(train_set, batch_size=100)
for epoch in range(EPOCHS):
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()
print("epochs run:", EPOCHS)
"""
CHECKPOINTS = """
import json
torch.save({"net": net.state_dict()}, "best.pth")
net.load_state_dict(torch.load("best.pth")["net"])
try:
    torch.load("pretrained.pth")
    outcome = "loaded"
except PermissionError as exc:
    outcome = str(exc)
print(json.dumps(outcome))
"""

FLOOD = """
import os, time
for _ in range(40):
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
time.sleep(30)
"""


def run(notebook: Path, spec: object, **kwargs: object) -> ExecutionReport:
    options = {"cell_timeout_s": 30, "notebook_timeout_s": 60, "run_probes": False, **kwargs}
    return run_notebook(notebook, spec, **options)  # type: ignore[arg-type]


def blocked(report: ExecutionReport) -> list[tuple[object, object]]:
    return [(e["kind"], e["cell"]) for e in report.guard_events if e["action"] == "blocked"]


@pytest.mark.slow
@sandboxed
def test_a_training_notebook_runs_ok_and_the_probe_reports_what_it_built(
    work_dir: Path, synthetic_course: Path
) -> None:
    (work_dir / "pretrained.pth").write_bytes(b"weights from elsewhere")
    notebook = write_notebook(work_dir, MODEL, TRAINING, CHECKPOINTS)
    report = run(notebook, make_spec(work_dir, synthetic_course), overrides={"EPOCHS": 1}, run_probes=True)
    assert report.status == "ok", report.message
    assert report.sandboxed and report.cells_executed == 3 and report.kernel_start_s is not None
    assert report.overrides_applied[0]["applied"] and report.overrides_applied[0]["old"] == "30"
    assert "epochs run: 1" in stdout_of(report, 1)
    assert json_of(report, 2).startswith("grader guard: loading weights this run did not write")
    assert blocked(report) == [("torch.load", 2)]

    probe = report.probe
    assert probe is not None and probe["errors"] == {} and probe["complete"]
    model = probe["model"]
    assert (model["class_name"], model["output_shape"]) == ("TinyNet", [2, 10])
    assert model["trainable_parameters"] == (3 * 9 + 1) * 4 + 2 * 4 + (4 * 16 * 16 + 1) * 10
    assert [p["batchnorm_after"] for p in model["batchnorm"]] == [True, False]
    assert probe["optimizer"]["class_name"] == "SGD"
    assert (probe["optimizer"]["lr"], probe["optimizer"]["momentum"]) == (0.05, 0.9)
    assert probe["optimizer"]["weight_decay"] == 1e-4
    assert probe["criterion"]["class_name"] == "CrossEntropyLoss"
    train_steps = probe["transforms"]["transform_train"]
    assert [s["type"] for s in train_steps] == ["RandomCrop", "RandomHorizontalFlip", "ToTensor", "Normalize"]
    assert train_steps[0]["params"]["padding"] == 4
    assert probe["export"]["class_name"] == "TinyNet" and probe["export"]["variable"] == "net"
    assert report.state_dict is not None and Path(report.state_dict).parent == work_dir.with_name(
        "work.grader"
    )
    assert report.executed_notebook is not None
    executed = json.loads(Path(report.executed_notebook).read_text())
    assert executed["metadata"]["grader"]["status"] == "ok"
    assert executed["cells"][1]["metadata"]["execution"]["shell.execute_reply"]
    json.loads(report.model_dump_json())


@sandboxed
def test_no_network_in_the_sandbox_and_the_guard_records_the_attempt(work_dir: Path) -> None:
    outside_guard = (
        "import subprocess, sys\n"
        "code = 'import socket; print([name for _, name in socket.if_nameindex()])'\n"
        "done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)\n"
        "print(done.stdout.strip())"
    )
    notebook = write_notebook(
        work_dir, outside_guard, 'import socket\nsocket.create_connection(("127.0.0.1", 9), timeout=2)'
    )
    report = run(notebook, make_spec(work_dir, None))
    assert stdout_of(report, 0).strip() == "['lo']", "the namespace has loopback only, guard or not"
    assert report.status == "cell-error" and report.failed_cell == 1
    assert report.message.startswith("cell 1 raised PermissionError: grader guard: network access")
    assert blocked(report) == [("socket.connect", 1)]


@pytest.mark.slow
@sandboxed
def test_torch_hub_load_is_blocked_and_recorded(work_dir: Path) -> None:
    notebook = write_notebook(
        work_dir, "import torch", "torch.hub.load('pytorch/vision', 'resnet18', pretrained=True)"
    )
    report = run(notebook, make_spec(work_dir, None))
    assert report.status == "cell-error" and report.failed_cell == 1
    assert "grader guard: downloading models or weights" in report.message
    assert blocked(report) == [("torch.hub.load", 1)]


@pytest.mark.slow
@sandboxed
def test_an_endless_cell_times_out_and_the_probes_still_run(work_dir: Path) -> None:
    notebook = write_notebook(
        work_dir, "import torch\nnet = torch.nn.Linear(3 * 32 * 32, 10)", "while True:\n    pass"
    )
    report = run(notebook, make_spec(work_dir, None), cell_timeout_s=3, run_probes=True)
    assert report.status == "cell-timeout" and report.failed_cell == 1
    assert report.message == "cell 1 exceeded its 3 s limit"
    assert report.probe is not None and report.probe["model"]["class_name"] == "Linear"
    assert report.probe["export"]["class_name"] == "Linear" and report.state_dict is not None


@pytest.mark.slow
@sandboxed
def test_sleeping_across_cells_exceeds_the_notebook_limit(work_dir: Path) -> None:
    notebook = write_notebook(work_dir, "import time", *["time.sleep(2)"] * 4)
    report = run(notebook, make_spec(work_dir, None), cell_timeout_s=3, notebook_timeout_s=5)
    assert report.status == "notebook-timeout" and report.failed_cell == 3
    assert report.message == "the notebook exceeded its 5 s limit while running cell 3"
    assert report.cells_executed == 4 and report.duration_s < 12


@sandboxed
def test_os_exit_kills_the_kernel(work_dir: Path) -> None:
    notebook = write_notebook(work_dir, "x = 1", "import os\nos._exit(1)", "y = 2")
    report = run(notebook, make_spec(work_dir, None), run_probes=True)
    assert report.status == "kernel-died" and report.failed_cell == 1
    assert report.message == "the kernel died while running cell 1 (exit code 1): os._exit or a crash"
    assert report.probe is None and report.probe_error is not None
    assert report.executed_notebook is not None and Path(report.executed_notebook).is_file()


@sandboxed
def test_hidden_labels_repository_and_host_files_are_out_of_reach(
    work_dir: Path, synthetic_course: Path
) -> None:
    hidden = synthetic_course.resolve() / layout.HIDDEN_DIR / layout.HIDDEN_TEST_LABELS
    probe = f"""
import json, os
{ATTEMPTS}
print(json.dumps({{
    "relative_hidden": attempt(lambda: open("data/hidden/{layout.HIDDEN_TEST_LABELS}", "rb")),
    "data": sorted(os.listdir("data")),
    "repo": os.path.exists({str(REPO_ROOT / "grader")!r}),
    "shared": os.path.exists("/work/shared"),
    "writes": [attempt(lambda: write(p)) for p in ("/etc/x", "/usr/x", "data/x", "data/{layout.VAL_IMAGES}")],
    "own": attempt(lambda: write("notes.txt")),
}}))
"""
    notebook = write_notebook(work_dir, probe, f"open({str(hidden)!r}, 'rb')")
    report = run(notebook, make_spec(work_dir, synthetic_course))
    seen = json_of(report, 0)
    assert seen["relative_hidden"] == "FileNotFoundError"
    assert layout.HIDDEN_DIR not in seen["data"] and layout.VAL_IMAGES in seen["data"]
    assert not seen["repo"] and not seen["shared"]
    assert seen["writes"] == ["OSError"] * 4 and seen["own"] == "ok"
    assert report.status == "cell-error" and report.failed_cell == 1
    assert "FileNotFoundError" in report.message


@sandboxed
def test_a_memory_hog_is_stopped_with_a_clear_message(work_dir: Path) -> None:
    notebook = write_notebook(work_dir, "block = bytearray(3 * 1024**3)")
    report = run(notebook, make_spec(work_dir, None, memory_mb=1024))
    assert report.status in ("out-of-memory", "cell-error"), report.message
    if report.status == "out-of-memory":
        assert "out of memory" in report.message and report.message.endswith("> 1024 MB")
    else:
        assert report.message.startswith("cell 0 raised MemoryError")


@sandboxed
def test_a_fork_flood_is_too_many_processes(work_dir: Path) -> None:
    report = run(write_notebook(work_dir, FLOOD), make_spec(work_dir, None, max_processes=16))
    assert report.status == "too-many-processes" and report.failed_cell == 0
    assert "too many processes: " in report.message and report.message.endswith("> 16")


@sandboxed
def test_filling_the_disk_is_stopped_with_a_clear_message(work_dir: Path) -> None:
    """One file is capped by RLIMIT_FSIZE; many files are the watchdog's: the run ends in disk-quota."""
    filler = (
        "import itertools, time\n"
        "for i in itertools.count():\n"
        "    with open(f'junk{i}', 'wb') as handle:\n"
        "        handle.write(bytes(1024 * 1024))\n"
        "    time.sleep(0.01)\n"
    )
    report = run(write_notebook(work_dir, "x = 1", filler), make_spec(work_dir, None, max_disk_mb=32))
    assert report.status == "disk-quota" and report.failed_cell == 1
    assert "too much written to disk: " in report.message and report.message.endswith("> 32 MB")


@sandboxed
def test_the_course_tools_shadow_a_students_copy(work_dir: Path) -> None:
    (work_dir / "tools").mkdir()
    (work_dir / "tools" / "__init__.py").write_text("")
    (work_dir / "tools" / "dataset.py").write_text("STUDENT_COPY = True\n")
    check = "import json, tools.dataset\nprint(json.dumps(hasattr(tools.dataset, 'STUDENT_COPY')))"
    scribble = (  # junk on the guard's event pipe, which the student can find in /proc/self/fd
        "import os\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    if int(fd) >= 200 and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
        "        os.write(int(fd), b'not json\\n[1, 2]\\n')"
    )
    report = run(write_notebook(work_dir, check, scribble), make_spec(work_dir, None))
    assert report.status == "ok", report.message
    assert json_of(report, 0) is False
    assert (work_dir / "tools" / "dataset.py").read_text() == "STUDENT_COPY = True\n"
    assert all(isinstance(e, dict) for e in report.guard_events) and report.guard_events[0]["kind"] == "guard"
    assert any("2 lines were not guard events" in note for note in report.notes)


def test_unsandboxed_mode_runs_and_says_so(work_dir: Path, synthetic_course: Path) -> None:
    cell = "import os, json\nfrom tools import layout\nprint(json.dumps(sorted(os.listdir('data'))))"
    report = run(write_notebook(work_dir, cell), make_spec(work_dir, synthetic_course), sandboxed=False)
    assert report.status == "ok", report.message
    assert not report.sandboxed
    assert layout.HIDDEN_DIR not in json_of(report, 0)


def test_without_bubblewrap_nothing_runs(work_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "sandbox_unavailable_reason", lambda: "bubblewrap (bwrap) is not installed")
    report = run(write_notebook(work_dir, "x = 1"), make_spec(work_dir, None))
    assert report.status == "sandbox-unavailable"
    assert report.message == "student.ipynb was not run: bubblewrap (bwrap) is not installed"
    assert report.executed_notebook is None and report.cells_executed == 0


def test_an_unreadable_notebook_is_reported(work_dir: Path) -> None:
    notebook = work_dir / "broken.ipynb"
    notebook.write_text("{ this is not json")
    report = run(notebook, make_spec(work_dir, None), sandboxed=False)
    assert report.status == "invalid-notebook"
    assert report.message.startswith("broken.ipynb cannot be read as a notebook")


@sandboxed
def test_the_kernel_is_seeded_so_two_runs_draw_the_same_numbers(work_dir: Path) -> None:
    draw = "import random, numpy, torch\nprint([random.random(), numpy.random.rand(), torch.rand(1).item()])"
    notebook = write_notebook(work_dir, draw)
    first = run(notebook, make_spec(work_dir, None))
    first_draw = json_of(first, 0)
    second = run(notebook, make_spec(work_dir, None))
    assert first.seed == second.seed == runner.RUN_SEED
    assert json_of(second, 0) == first_draw
    unseeded = run(notebook, make_spec(work_dir, None), seed=None)
    assert unseeded.seed is None and json_of(unseeded, 0) != first_draw


@sandboxed
def test_links_planted_where_the_grader_used_to_read_or_write_are_never_followed(
    work_dir: Path, tmp_path: Path
) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("host secret")
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "result.json").write_text('{"score": 90}')
    links = {
        ".grader": neighbour,
        "kernel.log": canary,
        "student.executed.ipynb": canary,
        "probe.json": canary,
        "guard-events.jsonl": canary,
        "predictions.csv": canary,
    }
    plant = (
        "import os\n"
        f"LINKS = { ({name: str(target) for name, target in links.items()})!r}\n"
        "def plant(*_):\n"
        "    for name, target in LINKS.items():\n"
        "        if os.path.lexists(name):\n"
        "            os.remove(name)\n"
        "        os.symlink(target, name)\n"
        "plant()\n"
        "get_ipython().events.register('post_execute', plant)  # again after the grader's own cells\n"
    )
    report = run(
        write_notebook(work_dir, MODEL, "net = TinyNet()", plant), make_spec(work_dir, None), run_probes=True
    )
    assert report.status == "ok", report.message
    assert canary.read_text() == "host secret"
    assert [p.name for p in neighbour.iterdir()] == ["result.json"]
    assert (neighbour / "result.json").read_text() == '{"score": 90}'
    artifacts = work_dir.with_name("work.grader")
    assert report.executed_notebook and Path(report.executed_notebook).parent == artifacts
    for path in artifacts.iterdir():
        assert not path.is_symlink() and b"host secret" not in path.read_bytes(), path
    assert report.probe and report.probe["export"]["class_name"] == "TinyNet"


CUDA_NOTEBOOK = (
    """
import json, torch, torch.nn as nn
device = torch.device("cuda")
net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10)).cuda()
x = torch.randn(2, 3, 8, 8).to("cuda", non_blocking=True)
loss = net.to(device)(x).sum() + torch.zeros(1, device="cuda:0").sum()
loss.backward()
""",
    """
import torch.serialization
tag = torch.serialization.location_tag
torch.serialization.location_tag = lambda storage: "cuda:0"  # saved as a GPU machine saves it
torch.save(net.state_dict(), "checkpoint.pth")
torch.serialization.location_tag = tag
net.load_state_dict(torch.load("checkpoint.pth"))
print(json.dumps([str(x.device), str(next(net.parameters()).device)]))
""",
)


@sandboxed
def test_without_a_gpu_the_notebooks_cuda_calls_run_on_the_cpu_and_are_recorded(work_dir: Path) -> None:
    report = run(write_notebook(work_dir, *CUDA_NOTEBOOK), make_spec(work_dir, None))
    assert report.status == "ok", report.message
    assert json_of(report, 1) == ["cpu", "cpu"]
    mapped = [(e["detail"], e["cell"]) for e in report.guard_events if e["kind"] == "cuda-on-cpu"]
    assert (".cuda()", 0) in mapped and (".to('cuda')", 0) in mapped and ("zeros(device='cuda')", 0) in mapped
    assert ("torch.load without map_location", 1) in mapped and ("torch.device('cuda')", 0) in mapped
    assert blocked(report) == []


@sandboxed
def test_a_colab_notebooks_drive_mount_has_a_stand_in_and_the_run_goes_on(work_dir: Path) -> None:
    notebook = write_notebook(
        work_dir,
        "from google.colab import drive, files\ndrive.mount('/content/drive')",
        "files.download('predictions.csv')\nprint('ran on')",
        "from google.colab.patches import cv2_imshow",  # what has no stand-in is missing, as on any machine
    )
    report = run(notebook, make_spec(work_dir, None))
    assert (report.status, report.failed_cell) == ("cell-error", 2), report.message
    assert "ran on" in stdout_of(report, 1)
    assert report.error is not None and report.error.name == "ModuleNotFoundError"
    stood_in = [(e["detail"], e["cell"]) for e in report.guard_events if e["kind"] == "colab"]
    assert stood_in == [
        ("drive.mount('/content/drive'): Google Drive is not mounted", 0),
        ("files.download('predictions.csv'): nothing is downloaded", 1),
    ]


@sandboxed
def test_an_import_error_is_kept_with_its_name_and_value(work_dir: Path) -> None:
    report = run(write_notebook(work_dir, "x = 1", "import some_unknown_pkg"), make_spec(work_dir, None))
    assert (report.status, report.failed_cell) == ("cell-error", 1)
    assert report.error is not None and report.error.name == "ModuleNotFoundError"
    assert report.error.value == "No module named 'some_unknown_pkg'"


@sandboxed
def test_a_plot_written_for_thirty_epochs_is_excused_and_the_run_goes_on(work_dir: Path) -> None:
    notebook = write_notebook(
        work_dir,
        "import numpy as np\nEPOCHS = 30",
        "history = [0.1 * epoch for epoch in range(EPOCHS)]",
        "curve = np.array(history).reshape(30)",  # written for the real run: 5 entries cannot take this shape
        "print('after the plot', len(history))",
        "undefined_name",  # an error of the student's own still stops the run
        "print('never')",
    )
    report = run(notebook, make_spec(work_dir, None), overrides={"EPOCHS": 5})
    assert report.status == "cell-error" and report.failed_cell == 4, report.message
    assert "after the plot 5" in stdout_of(report, 3)
    (excused,) = report.quick_mode_errors
    assert excused["cell"] == 2 and excused["error"].startswith("ValueError: cannot reshape")
    assert (excused["change"]["name"], excused["change"]["old"]) == ("EPOCHS", "30")


@sandboxed
def test_without_quick_mode_changes_the_same_error_stops_the_run(work_dir: Path) -> None:
    notebook = write_notebook(
        work_dir, "EPOCHS = 5\nhistory = list(range(EPOCHS))", "assert len(history) == 30, 5"
    )
    report = run(notebook, make_spec(work_dir, None))
    assert report.status == "cell-error" and report.failed_cell == 1 and report.quick_mode_errors == []
