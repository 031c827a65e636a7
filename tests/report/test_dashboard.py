"""The class dashboard: counts, pass rates, flagged submissions, similar pairs, links, unreadable records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.report import load_batch, render_dashboard
from grader.report.dashboard import flag_reasons, item_stats
from tests.report.helpers import F20, class_results, make_result, write_batch


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out = write_batch(tmp_path / "out", *class_results())
    (out / "zed").mkdir()
    (out / "zed" / "result.json").write_text('{"submission_id": "zed"')
    (out / ".cache").mkdir()  # quick mode's data subset lives beside the results
    return out


def test_batch_loading_keeps_the_unreadable_aside(out: Path) -> None:
    batch = load_batch(out)
    assert [result.submission_id for _, result in batch.results] == ["alice", "bob", "carol", "evil<b>"]
    assert [path.parent.name for path, _ in batch.unreadable] == ["zed"]
    assert "not a valid result record" in batch.unreadable[0][1]


def test_pass_rates_count_statuses_per_item() -> None:
    results = [make_result("a"), make_result("b", failing=("lab1.c",)), make_result("c", rejection="bad zip")]
    stats = {s.id: s for s in item_stats(results, F20)}
    assert stats["lab1.c"].counts == {"pass": 1, "fail": 2}
    assert stats["lab1.c"].pass_rate == pytest.approx(1 / 3)
    assert stats["lab1.e.criterion"].pass_rate == pytest.approx(2 / 3)
    assert not any(item.check == "manual" and item.id in stats for item in F20.items)


def test_flags_name_findings_integrity_rejections_and_the_sandbox() -> None:
    alice, bob, carol, evil = class_results()
    assert flag_reasons(alice) == []
    reasons = flag_reasons(bob)
    assert reasons[0] == "student code ran WITHOUT the sandbox"
    assert any("pretrained-weights" in r and "(resnet-cifar10.ipynb, cell 7, line 3)" in r for r in reasons)
    assert any(r.startswith("integrity.lenet5 fail") for r in reasons)
    assert not any("crlf" in r for r in reasons)  # info findings are not flags
    assert flag_reasons(carol) == ["rejected at intake: the zip is encrypted"]  # not every failed check too
    assert len(flag_reasons(evil)) == 1


def test_dashboard_page(out: Path) -> None:
    (out / "alice" / "report.html").write_text("report")
    (out / "bob" / "report.html").write_text("report")
    (out / "evil<b>" / "report.html").write_text("report")
    pairs = [{"a": "alice", "b": "bob", "score": 0.91, "notebook": "lenet5-cifar10.ipynb"}]
    pairs.append({"a": "carol", "b": "evil<b>", "score": 0.97})
    (out / "similarity.json").write_text(json.dumps(pairs))
    html = render_dashboard(out, F20).read_text()
    scores = sorted(result.score for result in [r for _, r in load_batch(out).results])
    assert re.search(r'<div class="value">4</div><div class="label">graded</div>', html)
    mean = f"{round(sum(scores) / 4, 2):g}"
    assert f'<div class="value">{mean}</div><div class="label">mean score</div>' in html
    assert (
        f'<div class="value">{(scores[1] + scores[2]) / 2:g}</div><div class="label">median score</div>'
        in html
    )
    assert re.search(r'<img class="figure" src="data:image/png;base64,', html)
    flagged = html.split("<h2>Flagged submissions</h2>")[1].split("</section>")[0]
    assert "bob" in flagged and "carol" in flagged and "evil&lt;b&gt;" in flagged and "alice" not in flagged
    similar = html.split("<h2>Similar pairs</h2>")[1].split("</section>")[0]
    assert similar.index("0.970") < similar.index("0.910")
    assert 'href="evil%3Cb%3E/report.html"' in similar and "carol</td>" in similar  # carol has no report
    assert "zed/result.json" in html and "could not be read" in html
    assert "<script" not in html.lower()
    lab1c = re.search(r"lab1\.c</div>.*?</tr>", html, re.DOTALL).group(0)
    # points, then the count of each status
    assert re.findall(r'<td class="num">(\d+)</td>', lab1c) == ["4", "2", "2", "0", "0", "0"]
    assert '<span style="width: 50%"></span></span><span class="rate">50%</span>' in lab1c


def test_a_broken_similarity_file_is_a_note(out: Path) -> None:
    (out / "similarity.json").write_text('[{"a": "x"}]')
    html = render_dashboard(out, F20).read_text()
    assert "similarity.json could not be read" in html
    (out / "similarity.json").unlink()
    assert "no similarity.json in this folder" in render_dashboard(out, F20).read_text()
