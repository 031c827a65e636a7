"""The guard, installed in a plain Python process: it blocks and records network use and foreign weights.

Every network attempt here is refused by the guard before any packet could leave; the addresses are a closed
port on loopback and a reserved .invalid name, so even a broken guard sends nothing off this machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from grader.execute.guard import MAX_EVENTS_PER_KIND, guard_source
from grader.execute.kernel import private_cell


def run_guarded(
    tmp_path: Path, code: str, before: str = ""
) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Run ``before``, install the guard, run ``code``; both print nothing, ``code`` fills ``results``."""
    events = tmp_path / "events.jsonl"
    script = "\n".join(
        [
            textwrap.dedent(before),
            private_cell(guard_source(events), "grader_guard"),
            "import json\nresults = {}",
            "def attempt(name, action):\n"
            "    try:\n        action()\n        results[name] = 'ok'\n"
            "    except Exception as exc:\n        results[name] = f'{type(exc).__name__}: {exc}'",
            textwrap.dedent(code),
            "print(json.dumps(results))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = events.read_text().splitlines()
    return json.loads(done.stdout.strip().splitlines()[-1]), [json.loads(line) for line in lines]


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
