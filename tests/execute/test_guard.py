"""The guard, installed in a plain Python process: it blocks and records network use and foreign weights.

Every network attempt here is refused by the guard before any packet could leave; the addresses are a closed
port on loopback and a reserved .invalid name, so even a broken guard sends nothing off this machine.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.execute.inkernel.guard import MAX_EVENTS_PER_KIND
from grader.execute.kernel import private_cell
from grader.execute.payload import guard_source


def run_guarded(
    tmp_path: Path, code: str, before: str = "", inherited: dict[str, str] | None = None
) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Run ``before``, install the guard on a pipe (told of the INHERITED files), run ``code``; both print
    nothing, ``code`` fills ``results``. The events are what arrived on the pipe's read end while it ran."""
    read_end, write_end = os.pipe()
    script = "\n".join(
        [
            textwrap.dedent(before),
            private_cell(guard_source(write_end, inherited=inherited), "grader_guard"),
            "import json\nresults = {}",
            "def attempt(name, action):\n"
            "    try:\n        action()\n        results[name] = 'ok'\n"
            "    except Exception as exc:\n        results[name] = f'{type(exc).__name__}: {exc}'",
            textwrap.dedent(code),
            "print(json.dumps(results))",
        ]
    )
    with open(read_end, "rb") as events, ThreadPoolExecutor(1) as pool:
        try:
            child = subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        arrived = pool.submit(events.read)
        stdout, stderr = child.communicate(timeout=120)
        lines = arrived.result(timeout=30).decode().splitlines()
    assert child.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1]), [json.loads(line) for line in lines]


def blocked_kinds(events: list[dict[str, object]]) -> list[object]:
    return [e["kind"] for e in events if e["action"] == "blocked"]


def test_network_is_blocked_and_recorded_but_unix_sockets_work(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        import socket, urllib.request
        def inet():
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(("127.0.0.1", 9))
        def unix():
            server = socket.socket(socket.AF_UNIX)
            server.bind("sock")
            server.listen()
            client = socket.socket(socket.AF_UNIX)
            client.connect("sock")
            client.close(); server.close()
        attempt("inet", inet)
        attempt("dns", lambda: socket.getaddrinfo("weights.example.invalid", 443))
        attempt("url", lambda: urllib.request.urlopen("http://127.0.0.1:9/weights.pth", timeout=0.5))
        attempt("unix", unix)
        attempt("localhost", lambda: socket.getaddrinfo("localhost", 80))
        """,
    )
    assert results["inet"].startswith("PermissionError: grader guard: network access")
    assert results["dns"].startswith("PermissionError") and results["url"].startswith("PermissionError")
    assert results["unix"] == "ok" and results["localhost"] == "ok"
    assert events[0]["kind"] == "guard" and events[0]["action"] == "installed"
    assert blocked_kinds(events) == ["socket.connect", "socket.getaddrinfo", "urllib.Request"]
    assert "127.0.0.1" in str(events[1]["detail"])


def test_checkpoints_the_run_did_not_write_cannot_be_read(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        import os
        def write(path):
            with open(path, "wb") as handle:
                handle.write(b"mine")
        def read(path):
            with open(path, "rb") as handle:
                handle.read()
        attempt("foreign", lambda: read("pretrained.pth"))
        attempt("foreign_upper", lambda: read("PRETRAINED.PT"))
        os.symlink("pretrained.pth", "alias.dat")
        attempt("alias", lambda: read("alias.dat"))
        attempt("move_foreign", lambda: os.rename("pretrained.pth", "innocent.npy"))
        attempt("other_file", lambda: read("notes.txt"))
        write("mine.pt")
        attempt("own", lambda: read("mine.pt"))
        os.rename("mine.pt", "renamed.ckpt")
        attempt("own_renamed", lambda: read("renamed.ckpt"))
        """,
        before="""
        for name in ("pretrained.pth", "PRETRAINED.PT", "notes.txt"):
            open(name, "wb").write(b"weights")
        """,
    )
    for name in ("foreign", "foreign_upper", "alias", "move_foreign"):
        assert results[name].startswith("PermissionError: grader guard"), name
    for name in ("other_file", "own", "own_renamed"):
        assert results[name] == "ok", name
    assert blocked_kinds(events) == ["open", "open", "open", "os.rename"]
    # each named by its real path, so that where the file lies says whose it is (the alias is the file)
    real = str((tmp_path / "pretrained.pth").resolve())
    assert blocked_details(events) == [real, str((tmp_path / "PRETRAINED.PT").resolve()), real, real]
    assert (tmp_path / "pretrained.pth").exists()


def test_pretrained_loaders_are_patched_when_imported(tmp_path: Path) -> None:
    fake = tmp_path / "timm"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "def create_model(name, pretrained=False, **kwargs):\n    return name\n"
    )
    results, events = run_guarded(
        tmp_path,
        """
        import sys
        sys.path.insert(0, ".")
        import timm
        attempt("scratch", lambda: timm.create_model("resnet18"))
        attempt("pretrained", lambda: timm.create_model("resnet18", pretrained=True))
        """,
    )
    assert results["scratch"] == "ok"
    assert results["pretrained"].startswith("PermissionError: grader guard: downloading models")
    assert blocked_kinds(events) == ["timm.create_model"]


def test_a_flood_of_attempts_is_recorded_once_per_kind_then_truncated(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        import socket
        for _ in range(150):
            attempt("dns", lambda: socket.getaddrinfo("weights.example.invalid", 80))
        """,
    )
    assert results["dns"].startswith("PermissionError")
    assert blocked_kinds(events).count("socket.getaddrinfo") == MAX_EVENTS_PER_KIND
    assert events[-1]["action"] == "truncated"


def test_events_stay_on_the_pipe_whatever_the_code_closes_truncates_or_deletes(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        import os, socket
        attempt("before", lambda: socket.getaddrinfo("weights.example.invalid", 80))
        fds = [fd for fd in sorted(int(n) for n in os.listdir("/proc/self/fd")) if fd > 2]
        fds = [fd for fd in fds if os.path.exists(f"/proc/self/fd/{fd}")]  # less the one listdir used
        results["inheritable"] = [fd for fd in fds if os.get_inheritable(fd)]
        for fd in fds:
            for undo in (lambda: os.ftruncate(fd, 0), lambda: os.close(fd)):
                try:
                    undo()
                except OSError:
                    pass
        for name in os.listdir("."):
            os.remove(name)
        attempt("after", lambda: socket.getaddrinfo("weights.example.invalid", 80))
        """,
    )
    assert results["before"].startswith("PermissionError") and results["after"].startswith("PermissionError")
    assert results["inheritable"] == [], "the passed descriptor is closed, the guard's copy is close-on-exec"
    assert [(e["kind"], e["action"]) for e in events] == [
        ("guard", "installed"),
        ("socket.getaddrinfo", "blocked"),
    ]


def test_a_descriptor_put_in_the_pipes_place_receives_nothing(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        import os, socket
        links = {}
        for name in os.listdir("/proc/self/fd"):
            try:
                links[int(name)] = os.readlink(f"/proc/self/fd/{name}")
            except OSError:  # the descriptor listdir used
                pass
        pipe = next(fd for fd, link in links.items() if fd > 2 and link.startswith("pipe:"))
        decoy = os.open("decoy.txt", os.O_WRONLY | os.O_CREAT)
        os.dup2(decoy, pipe)
        attempt("dns", lambda: socket.getaddrinfo("weights.example.invalid", 80))
        results["decoy"] = open("decoy.txt").read()
        """,
    )
    assert results["dns"].startswith("PermissionError") and results["decoy"] == ""
    assert [e["kind"] for e in events] == ["guard"]


def test_each_line_is_a_whole_event_that_fits_one_atomic_pipe_write(tmp_path: Path) -> None:
    results, events = run_guarded(
        tmp_path,
        """
        attempt("open", lambda: open("\\U0001f600" * 600 + ".pt", "rb"))
        """,
    )
    assert results["open"].startswith("FileNotFoundError")  # no such file: recorded as missing
    for event in events:
        assert set(event) == {"time", "pid", "kind", "action", "detail"}
        assert isinstance(event["time"], float) and event["pid"] == events[0]["pid"]
        assert len(json.dumps(event)) + 1 <= select.PIPE_BUF
    assert "\U0001f600\U0001f600" in str(events[1]["detail"])


def loader_events(events: list[dict[str, object]]) -> list[dict[str, object]]:
    """The events less the processes started: torch's import runs ``ldconfig``, which the guard records."""
    return [e for e in events if e["kind"] != "subprocess.Popen"]


def events_of(events: list[dict[str, object]], action: str) -> list[tuple[object, object]]:
    return [(e["kind"], e["action"]) for e in loader_events(events) if e["action"] == action]


def blocked_details(events: list[dict[str, object]]) -> list[object]:
    return [e["detail"] for e in events if e["action"] == "blocked"]


def test_torch_loaders_check_file_objects_and_record_buffers(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "shipped.pt")
    (tmp_path / "notes.txt").write_bytes((tmp_path / "shipped.pt").read_bytes())
    results, events = run_guarded(
        tmp_path,
        """
        import io, torch
        attempt("shipped_file_object", lambda: torch.load(open("notes.txt", "rb")))
        attempt("shipped_path", lambda: torch.load("notes.txt"))
        attempt("jit_shipped_file_object", lambda: torch.jit.load(open("notes.txt", "rb")))
        torch.save({"w": torch.zeros(2)}, "mine.pt")
        attempt("own_path", lambda: torch.load("mine.pt"))
        torch.save({"w": torch.zeros(2)}, early)
        early.close()
        attempt("own_file_object", lambda: torch.load(open("early.ckpt", "rb")))
        buffer = io.BytesIO()
        torch.save({"w": torch.zeros(2)}, buffer)
        attempt("buffer", lambda: torch.load(io.BytesIO(buffer.getvalue())))
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), "scripted.pt")
        attempt("own_scripted", lambda: torch.jit.load("scripted.pt"))
        """,
        before='early = open("early.ckpt", "wb")  # opened before the guard: only torch.save can tell',
    )
    for name in ("shipped_file_object", "shipped_path", "jit_shipped_file_object"):
        assert results[name].startswith("PermissionError: grader guard: loading weights"), name
    for name in ("own_path", "own_file_object", "buffer", "own_scripted"):
        assert results[name] == "ok", (name, results[name])
    assert events_of(events, "blocked") == [("torch.load", "blocked")] * 2 + [("torch.jit.load", "blocked")]
    assert blocked_details(events)[0] == str((tmp_path / "notes.txt").resolve())
    assert events_of(events, "observed") == [("torch.load", "observed")]
    observed = str(loader_events(events)[-1]["detail"])
    assert "BytesIO in memory, " in observed and "provenance unknown" in observed


def test_pickle_of_a_shipped_file_is_blocked_and_of_bytes_from_the_code_recorded(tmp_path: Path) -> None:
    (tmp_path / "shipped.pkl").write_bytes(pickle.dumps({"w": [1.0]}))
    results, events = run_guarded(
        tmp_path,
        """
        import io, multiprocessing, pickle
        attempt("load_shipped", lambda: pickle.load(open("shipped.pkl", "rb")))
        attempt("unpickler_shipped", lambda: pickle.Unpickler(open("shipped.pkl", "rb")).load())
        with open("mine.pkl", "wb") as handle:
            pickle.dump([1], handle)
        attempt("load_own", lambda: pickle.load(open("mine.pkl", "rb")))
        attempt("loads", lambda: pickle.loads(pickle.dumps([1, 2])))
        attempt("buffer", lambda: pickle.load(io.BytesIO(pickle.dumps([1]))))
        def through_a_queue():
            queue = multiprocessing.Queue()
            queue.put([1])
            assert queue.get(timeout=10) == [1]
        attempt("library", through_a_queue)
        class Loader:
            load = pickle.load  # bound in a class body, as multiprocessing's ForkingPickler does with loads
        attempt("unbound", lambda: Loader().load(io.BytesIO(pickle.dumps(1))))
        """,
    )
    for name in ("load_shipped", "unpickler_shipped"):
        assert results[name].startswith("PermissionError: grader guard: loading weights"), name
    for name in ("load_own", "loads", "buffer", "library", "unbound"):
        assert results[name] == "ok", (name, results[name])
    assert events_of(events, "blocked") == [("pickle.load", "blocked"), ("pickle.Unpickler", "blocked")]
    assert events_of(events, "observed") == [("pickle.loads", "observed")] + [("pickle.load", "observed")] * 2
    assert events[3]["detail"] == "bytes in memory, 20 bytes, provenance unknown"


def test_numpy_records_foreign_files_but_not_the_course_data_or_its_own(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "shipped.npy", np.arange(3))
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "train_x.npy", np.arange(3))
    (tmp_path / "host").mkdir()
    np.save(tmp_path / "host" / "val_x.npy", np.arange(3))
    (tmp_path / "data" / "val_x.npy").symlink_to(
        tmp_path / "host" / "val_x.npy"
    )  # the layout without sandbox
    results, events = run_guarded(
        tmp_path,
        """
        import io, numpy as np
        attempt("shipped", lambda: np.load("shipped.npy"))
        attempt("shipped_file_object", lambda: np.load(open("shipped.npy", "rb")))
        attempt("course", lambda: np.load("data/train_x.npy"))
        attempt("course_linked", lambda: np.load("data/val_x.npy"))
        np.save("mine.npy", np.zeros(2))
        attempt("own", lambda: np.load("mine.npy"))
        """,
    )
    assert all(result == "ok" for result in results.values()), results
    shipped = str((tmp_path / "shipped.npy").resolve())
    assert [(e["kind"], e["action"], e["detail"]) for e in events[1:]] == [
        ("numpy.load", "observed", shipped)
    ] * 2


def write_fake_safetensors(root: Path) -> None:
    """A stand-in with the real one's names: like Rust, its save_file writes nothing the audit hook sees."""
    package = root / "safetensors"
    package.mkdir()
    (package / "__init__.py").write_text(
        "class safe_open:\n"
        "    def __init__(self, filename, framework, device='cpu'):\n        self.filename = filename\n"
        "    def __enter__(self):\n        return self\n"
        "    def __exit__(self, *exc):\n        return False\n"
    )
    (package / "torch.py").write_text(
        "from safetensors import safe_open\n"
        "def load_file(filename, device='cpu'):\n"
        "    with safe_open(filename, framework='pt', device=device):\n        return {}\n"
        "def load(data):\n    return {}\n"
        "def save_file(tensors, filename, metadata=None):\n    pass\n"
    )


SAFETENSORS_ATTEMPTS = """
    import safetensors, safetensors.torch
    attempt("load_file_shipped", lambda: safetensors.torch.load_file("shipped.safetensors"))
    attempt("safe_open_shipped", lambda: safetensors.safe_open("shipped.safetensors", framework="pt"))
    attempt("load_bytes", lambda: safetensors.torch.load(blob))
    safetensors.torch.save_file(tensors, "mine.safetensors")
    attempt("load_file_own", lambda: safetensors.torch.load_file("mine.safetensors"))
"""


def check_safetensors(results: dict[str, str], events: list[dict[str, object]]) -> None:
    for name in ("load_file_shipped", "safe_open_shipped"):
        assert results[name].startswith("PermissionError: grader guard: loading weights"), name
    assert results["load_bytes"] == "ok" and results["load_file_own"] == "ok", results
    assert events_of(events, "blocked") == [
        ("safetensors.torch.load_file", "blocked"),
        ("safetensors.safe_open", "blocked"),
    ]
    assert events_of(events, "observed") == [("safetensors.torch.load", "observed")]


def test_safetensors_loaders_are_checked_and_its_saver_recorded(tmp_path: Path) -> None:
    write_fake_safetensors(tmp_path)
    for name in ("shipped.safetensors", "mine.safetensors"):
        (tmp_path / name).write_bytes(b"{}")  # mine.safetensors: as if the fake save_file had written it
    before = "import sys\nsys.path.insert(0, '.')\nblob, tensors = b'{}', {}"
    results, events = run_guarded(tmp_path, SAFETENSORS_ATTEMPTS, before=before)
    check_safetensors(results, events)


def test_the_real_safetensors_is_patched_too(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    torch = pytest.importorskip("torch")
    from safetensors.torch import save, save_file

    save_file({"w": torch.ones(2)}, tmp_path / "shipped.safetensors")
    before = f"import torch\nblob, tensors = {save({'w': torch.ones(2)})!r}, {{'w': torch.ones(2)}}"
    results, events = run_guarded(tmp_path, SAFETENSORS_ATTEMPTS, before=before)
    check_safetensors(results, events)


def test_dataloader_workers_and_own_checkpoints_raise_no_event(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    results, events = run_guarded(
        tmp_path,
        """
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        data = TensorDataset(torch.arange(64.0).reshape(32, 2), torch.arange(32))
        def train():
            model = torch.nn.Linear(2, 1)
            for x, y in DataLoader(data, batch_size=8, num_workers=2, shuffle=True):
                model(x).sum().backward()
            torch.save(model.state_dict(), "checkpoint.pt")
            model.load_state_dict(torch.load("checkpoint.pt"))
            torch.save({"model": model}, "whole.pt")
            torch.load("whole.pt", weights_only=False)
        attempt("train", train)
        """,
    )
    assert results["train"] == "ok", results
    assert [e["kind"] for e in loader_events(events)] == ["guard"]


def test_an_earlier_notebooks_checkpoint_loads_and_a_missing_one_fails_as_missing(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    results, events = run_guarded(
        tmp_path,
        """
        import pickle, torch
        attempt("inherited", lambda: torch.load("saved_model/resnet.pth"))
        attempt("inherited_open", lambda: open("./saved_model/resnet.pth", "rb").read())
        attempt("carried", lambda: torch.load("saved_model/committed.pth"))
        attempt("lost", lambda: torch.load("saved_model/lost.pth"))
        attempt("windows", lambda: torch.load("C:/Users/me/net.pth"))
        attempt("colab", lambda: open("/content/drive/MyDrive/net.pth", "rb"))
        attempt("metrics", lambda: pickle.load(open("saved_model/missing.pkl", "rb")))
        """,
        before="""
        import os, torch
        os.makedirs("saved_model")
        torch.save({"w": torch.zeros(2)}, "saved_model/resnet.pth")
        torch.save({"w": torch.zeros(2)}, "saved_model/committed.pth")
        """,
        inherited={"saved_model/resnet.pth": "resnet-cifar10.ipynb"},
    )
    assert results["inherited"] == results["inherited_open"] == "ok", results
    assert results["carried"].startswith("PermissionError: grader guard"), results
    for name in ("lost", "windows", "colab", "metrics"):
        assert results[name].startswith("FileNotFoundError: [Errno 2] No such file or directory"), name
    assert blocked_kinds(events) == ["torch.load"]
    missing = [e["detail"] for e in events if e["action"] == "missing"]
    assert missing == ["saved_model/lost.pth", "C:/Users/me/net.pth", "/content/drive/MyDrive/net.pth"]
    inherited = [e["detail"] for e in events if e["kind"] == "inherited"]
    assert inherited == ["saved_model/resnet.pth"]  # once, as the harness named it
