"""Every crafted submission ends in its verdict, in a batch that carries on, with nothing outside reached."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from grader.intake import submission_id
from grader.pipeline import GradeOptions, grade_submission
from grader.records import read_result
from tests.corpus.cases import BASELINE, CASES, LAB1, Case
from tests.corpus.conftest import GradedCorpus
from tests.corpus.verdicts import problems

pytestmark = pytest.mark.slow
BY_NAME = {case.name: case for case in CASES}


def result_of(corpus: GradedCorpus, case: Case):
    sub_id = submission_id(corpus.submissions[case.name])
    return read_result(corpus.out_dirs[case.mode] / sub_id / "result.json")


def test_the_corpus_covers_every_group() -> None:
    groups = {
        group: sum(c.group == group for c in CASES)
        for group in ("execution", "escape", "attack", "malformed", "honest")
    }
    assert len(CASES) >= 60 and min(groups.values()) >= 4, groups
    assert len(BY_NAME) == len(CASES), "case names are unique"


def test_the_readme_lists_every_case() -> None:
    listed = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    assert not [name for name in BY_NAME if f"| `{name}` |" not in listed]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_each_case_ends_in_its_verdict(graded_corpus: GradedCorpus, name: str) -> None:
    case = BY_NAME[name]
    result = result_of(graded_corpus, case)
    baseline = result_of(graded_corpus, BY_NAME[BASELINE]).score
    around = graded_corpus.around(case)
    wrong = [problem for verdict in case.verdicts for problem in problems(result, verdict, baseline, around)]
    assert not wrong, "\n".join(wrong)


def test_both_batches_grade_every_submission_without_a_grader_error(graded_corpus: GradedCorpus) -> None:
    for mode, summary in graded_corpus.summaries.items():
        expected = sum(c.mode == mode for c in CASES) + (mode == "quick")  # the neighbour is graded too
        assert summary.total == expected
        assert summary.errored == 0, [(e.id, e.error) for e in summary.entries if e.status == "error"]
        assert summary.graded + summary.failed == expected
        assert all(e.error for e in summary.entries if e.status == "failed")


def test_nothing_outside_the_work_folders_changed(graded_corpus: GradedCorpus) -> None:
    assert not graded_corpus.changed()
    assert not Path("/tmp/owned.txt").exists()


def test_no_connection_reached_the_host(graded_corpus: GradedCorpus) -> None:
    assert graded_corpus.listener.connections == 0


def test_the_hidden_labels_were_never_readable(graded_corpus: GradedCorpus) -> None:
    case = BY_NAME["hidden-labels-by-path"]
    work = graded_corpus.out_dirs["quick"] / submission_id(graded_corpus.submissions[case.name])
    executed = work / "notebooks" / LAB1
    printed = "".join(
        output.get("text", "")
        for cell in nbformat.read(executed, as_version=4).cells
        for output in cell.outputs
    )
    assert "readable hidden labels: []" in printed


def test_what_the_runs_wrote_is_removed_and_their_notebooks_kept(graded_corpus: GradedCorpus) -> None:
    case = BY_NAME["fill-the-disk"]
    graded = graded_corpus.out_dirs["quick"] / submission_id(graded_corpus.submissions[case.name])
    assert (graded / "notebooks" / LAB1).is_file() and (graded / "logs" / "lenet5.log").is_file()
    assert not (graded / "work" / "runs").exists()


def without_timings(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("timings")
    return data


@pytest.mark.parametrize(("mode", "name"), [("static", BASELINE), ("quick", "honest-warnings-at-run-time")])
def test_grading_twice_gives_the_same_result(
    graded_corpus: GradedCorpus, tmp_path: Path, mode: str, name: str
) -> None:
    corpus = graded_corpus
    options = GradeOptions(rubric=corpus.rubric, out_dir=tmp_path, data_dir=corpus.arena.course, mode=mode)
    first = grade_submission(corpus.submissions[name], options)
    first_json = without_timings(tmp_path / first.submission_id / "result.json")
    grade_submission(corpus.submissions[name], options)
    assert without_timings(tmp_path / first.submission_id / "result.json") == first_json
    batch = corpus.out_dirs[mode] / first.submission_id / "result.json"
    assert without_timings(batch) == first_json, "the batch and a lone re-grade agree too"
