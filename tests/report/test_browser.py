"""The reports in a real browser: headless Chromium renders them, prints no console message (no script
error, no blocked load), and the score and the rubric table are in the rendered DOM."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from grader.cli import main
from tests.report.helpers import class_results, make_result, training_notebook, write_batch, write_notebook

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
# Chromium logs each console message as ":INFO:CONSOLE:<line>]"; the pages run no script: any is a fault.
CONSOLE = re.compile(r":CONSOLE[:(]")

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (Debian: apt-get install -y chromium)"
    ),
    pytest.mark.slow,
]


def chromium(profile: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if CONSOLE.search(line)]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "out"
    dave = make_result(
        "dave",
        failing=("lab1.f.accuracy",),
        evidence={"lab1.f.accuracy": {"value": 0.61, "claimed": 0.655, "source": "computed by the grader"}},
    )
    write_batch(out, *class_results(), dave)
    write_notebook(out / "dave/work/submission/lenet5-cifar10.ipynb", training_notebook([0.4, 0.6, 0.655]))
    write_notebook(out / "dave/notebooks/lenet5-cifar10.ipynb", training_notebook([0.35, 0.52, 0.61]))
    assert main(["report", str(out), "--rubric", "ece590-hw2-f20"]) == 0
    return out


def test_the_console_check_can_fail(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<html><body><p>x</p><script>throw new Error('boom')</script></body></html>")
    run = chromium(tmp_path / "profile", page, "--dump-dom")
    assert any("Uncaught Error: boom" in line for line in console_messages(run)), run.stderr[-2000:]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "index.html",
            [r'<div class="value">5</div><div class="label">graded</div>', r"Pass rate per rubric item"],
        ),
        ("dave/report.html", [r'class="score">45 <small>/ 100</small>', r'<tr class="row-fail">']),
        ("evil<b>/report.html", [r"evil&lt;b&gt;", r"&lt;script&gt;alert"]),
        ("dave/notebooks/lenet5-cifar10.html", [r"Validation accuracy: 0\.6100"]),
    ],
)
def test_page_renders_cleanly(out: Path, tmp_path: Path, page: str, expected: list[str]) -> None:
    path = out / page
    dom = chromium(tmp_path / "profile", path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom) == []
    for pattern in expected:
        assert re.search(pattern, dom.stdout), pattern
    assert "<script" not in dom.stdout.lower()
    if page.endswith("report.html"):
        assert len(re.findall(r"<tr class=\"row-", dom.stdout)) > 30  # the rubric table, every item

    png = tmp_path / "shot.png"
    shot = chromium(tmp_path / "profile", path, f"--screenshot={png}", "--window-size=1280,2000")
    assert shot.returncode == 0 and png.is_file(), shot.stderr[-2000:]
    assert console_messages(shot) == []
    assert png.stat().st_size > 20_000
    with Image.open(png) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50  # text, pills and figures, not a blank page
