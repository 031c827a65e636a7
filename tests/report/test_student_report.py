"""The per-student report: score, rubric table, findings, curves, logs, notebooks, and escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbformat import v4

from grader.errors import GraderError
from grader.report import render_student_report
from grader.report.nbhtml import write_notebook_html
from tests.report.helpers import (
    EVIL,
    F20,
    class_results,
    make_result,
    training_notebook,
    write_batch,
    write_notebook,
)

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_batch(tmp_path / "out", *class_results())


def report_of(out: Path, sid: str, **kwargs) -> str:
    return render_student_report(out / sid, F20, **kwargs).read_text(encoding="utf-8")


def test_passing_report_shows_score_and_every_rubric_item(out: Path) -> None:
    html = report_of(out, "alice")
    assert re.search(r'class="score">49 <small>/ 100</small>', html)
    rows = re.findall(r'<tr class="row-(\w+)">', html)
    assert len(rows) == len(F20.items)
    assert rows.count("manual") == sum(item.check == "manual" for item in F20.items)
    assert "lab1.f.params" in html and "Lab 1 (f) LeNet-5 as in Table 1: 62,006 parameters" in html
    assert "Content-Security-Policy" in html
    assert "<script" not in html.lower() and not EXTERNAL.search(html)
    assert "WITHOUT the sandbox" not in html and "Nothing found." in html


def test_failing_report_has_findings_deductions_and_the_sandbox_banner(out: Path) -> None:
    html = report_of(out, "bob")
    assert "Student code ran WITHOUT the sandbox" in html
    assert "format: -6.6 points" in html
    finding_row = re.search(r"<code>pretrained-weights</code>.*?</tr>", html, re.DOTALL).group(0)
    assert "resnet-cifar10.ipynb" in finding_row and ">7</td>" in finding_row and ">3</td>" in finding_row
    assert '<tr class="row-fail">' in html and "integrity.lenet5" in html


def test_rejected_submission_says_why(out: Path) -> None:
    html = report_of(out, "carol")
    assert "rejected at intake" in html and "the zip is encrypted" in html
    assert "pass</span></div>" in html  # the status counters are there, all automatic items failed
    assert not re.search(r'<tr class="row-pass">', html)


def test_student_content_is_escaped(out: Path) -> None:
    html = report_of(out, "evil<b>")
    assert EVIL not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "evil&lt;b&gt;" in html and "<i>x</i>" not in html


def test_answer_keys_stay_out_unless_asked(out: Path) -> None:
    key = F20.item("tf.1.7").answer_key
    assert key[:20] not in report_of(out, "alice")
    assert key[:20] in report_of(out, "alice", answer_keys=True)


def test_curves_accuracy_logs_and_notebooks(tmp_path: Path) -> None:
    result = make_result(
        "dave",
        evidence={
            "lab1.f.accuracy": {
                "value": 0.61,
                "claimed": 0.655,
                "source": "computed by the grader from the run",
            },
            "lab3.b": {"value": 0.734, "rows": 10000},
        },
        failing=("lab1.f.accuracy", "lab3.b"),
    )
    folder = write_batch(tmp_path / "out", result) / "dave"
    write_notebook(folder / "work/submission/hw2/lenet5-cifar10.ipynb", training_notebook([0.4, 0.6, 0.655]))
    write_notebook(folder / "notebooks/lenet5-cifar10.ipynb", training_notebook([0.35, 0.52, 0.61]))
    (folder / "notebooks/resnet-cifar10.ipynb").write_text("{ not json")
    (folder / "logs").mkdir()
    (folder / "logs/lenet5.log").write_text("".join(f"log line {i}\n" for i in range(1, 501)))
    html = report_of(tmp_path / "out", "dave")
    assert re.search(r'<img class="figure" src="data:image/png;base64,[A-Za-z0-9+/=]{2000,}"', html)
    row = re.search(r"lenet5-cifar10\.ipynb</td>.*?</tr>", html, re.DOTALL).group(0)
    assert "65.5%" in row and "61.0%" in row  # claimed, then printed in the run and measured
    assert re.search(r"resnet-cifar10\.ipynb</td>(?:\s*<td.*?</td>){3}\s*<td class=\"num\">73.4%</td>", html)
    assert "log line 500" in html and "log line 301" in html and "log line 300\n" not in html
    assert "the last 200 of 500 lines" in html
    assert 'href="notebooks/lenet5-cifar10.html"' in html
    assert (folder / "notebooks/lenet5-cifar10.html").is_file()
    assert "resnet-cifar10.ipynb: is not valid JSON" in html  # a broken notebook is named, not a crash
    dev = re.search(r"lenet5-cifar10-dev\.ipynb</td><td>Lab 2</td>.*?</tr>", html, re.DOTALL).group(0)
    assert "not run by the grader and not found" in dev


def test_notebook_pages_are_sanitised(tmp_path: Path) -> None:
    output = v4.new_output(
        "display_data",
        data={"text/html": "<b>bold</b><script>alert(4)</script><img src=x onerror=alert(5)>"},
    )
    js = v4.new_output("display_data", data={"application/javascript": "alert(6)"})
    code = v4.new_code_cell("show()", execution_count=2, outputs=[output, js])
    nb = training_notebook(
        [0.5],
        v4.new_markdown_cell(f"# Title {EVIL} [link](javascript:alert(3)) ![x](http://example.com/t.png)"),
        code,
    )
    dest = tmp_path / "page.html"
    assert write_notebook_html(write_notebook(tmp_path / "nb.ipynb", nb), dest, "nb.ipynb", "Lab 1") is None
    page = dest.read_text()
    assert "<script" not in page.lower() and "onerror" not in page and "javascript:" not in page
    assert "example.com" not in page
    assert "<b>bold</b>" in page and "<h1" in page and "Validation accuracy: 0.5000" in page


def test_a_missing_result_is_a_grader_error(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="grade the submission first"):
        render_student_report(tmp_path, F20)


def test_audit_verdicts_are_shown_and_the_audited_point_is_plotted(tmp_path: Path) -> None:
    from grader.records import AuditRecord
    from grader.report.artifacts import Curves
    from grader.report.plots import curves_png

    result = make_result("erin")
    result.audits = {
        "lenet5": AuditRecord(
            verdict="inconsistent",
            message="inconsistent with the figures: claimed 85.0% at epoch 3, reproduced 10.0%",
            epoch=3,
            claimed=0.85,
            reproduced=0.1,
            band=0.06,
            claimed_curve=[0.55, 0.72, 0.85, 0.9],
        )
    }
    folder = write_batch(tmp_path / "out", result) / "erin"
    write_notebook(
        folder / "work/submission/hw2/lenet5-cifar10.ipynb", training_notebook([0.55, 0.72, 0.85, 0.9])
    )
    html = report_of(tmp_path / "out", "erin")
    line = re.search(r'<li class="audit-inconsistent">.*?</li>', html, re.DOTALL).group(0)
    assert (
        "lenet5-cifar10.ipynb: inconsistent" in line and "claimed 85.0% at epoch 3, reproduced 10.0%" in line
    )
    curve = Curves(F20.notebook("lenet5"), claimed=[0.55, 0.72, 0.85, 0.9])
    assert curves_png([curve], {}, result.audits) != curves_png([curve], {})  # the audited point is drawn
    alone = Curves(F20.notebook("lenet5"))  # nothing printed: the measured point alone still gets a panel
    assert curves_png([alone], {}) is None and curves_png([alone], {}, result.audits) is not None
