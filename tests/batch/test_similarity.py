"""The similarity pass finds a copied notebook behind renamed variables, and not independent work."""

from __future__ import annotations

import json
import shutil
from itertools import combinations
from pathlib import Path

import nbformat
import pytest
import yaml
from copydetect import compare_files
from nbformat import v4

from grader.batch import grade_batch
from grader.batch.similarity import (
    SIMILARITY_FILE,
    _boilerplate_hashes,
    _compare,
    _default_boilerplate,
    _fingerprint,
    _Print,
    find_similar,
    normalise,
)
from grader.errors import GraderError
from grader.pipeline import GradeOptions
from grader.rubric import resolve_rubric
from tests.batch.similar_code import DISGUISED, INDEPENDENT, NOTEBOOK, ORIGINAL, graded_submission


def test_a_disguised_copy_is_found_and_independent_work_is_not(tmp_path: Path) -> None:
    out = tmp_path / "out"
    graded_submission(out, "alice", ORIGINAL)
    graded_submission(out, "bob", DISGUISED)
    graded_submission(out, "carol", INDEPENDENT)
    graded_submission(out, "dave", None)  # the template untouched: all boilerplate
    graded_submission(out, "erin", None)
    # one line each, the same once normalised: too little shared code to mean anything
    graded_submission(out, "frank", 'STUDENT = "frank"')
    graded_submission(out, "gina", 'STUDENT = "gina"')
    pairs = find_similar(out, rubric="ece590-hw2-f20", threshold=0.6)
    assert [(p.a, p.b, p.notebook) for p in pairs] == [("alice", "bob", NOTEBOOK)]
    assert pairs[0].score >= 0.8
    assert json.loads((out / SIMILARITY_FILE).read_text()) == [
        {"a": "alice", "b": "bob", "notebook": NOTEBOOK, "score": pairs[0].score, "tokens": pairs[0].tokens}
    ]
    code = (out / ".similarity" / "bob" / "lenet5-cifar10.py").read_text()
    assert "def erase_patch" in code

    # code of a submission no longer in OUT does not linger
    shutil.rmtree(out / "carol")
    find_similar(out, rubric="ece590-hw2-f20", threshold=0.6)
    assert not (out / ".similarity" / "carol").exists() and (out / ".similarity" / "bob").is_dir()

    # without the template as boilerplate, two untouched templates would look copied
    bare = find_similar(out, rubric="ece590-hw2-f20", threshold=0.6, boilerplate=[])
    assert ("dave", "erin") in {(p.a, p.b) for p in bare}


def test_the_comparison_agrees_with_copydetect(tmp_path: Path) -> None:
    skip = _boilerplate_hashes(_default_boilerplate(tmp_path))
    prints = [_fingerprint(normalise(code), "x.py", skip) for code in (ORIGINAL, DISGUISED, INDEPENDENT)]
    for fa, fb in combinations(prints, 2):
        tokens, shares, _ = compare_files(fa, fb)
        (tokens_a, _), ours = _compare(_Print.of(fa), _Print.of(fb))
        assert (tokens_a, ours) == (tokens, shares) or tokens == tokens_a == 0


def handout(folder: Path, code: str) -> Path:
    """A term's own student template: NOTEBOOK holding starter code the F20 template does not have."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(code)]), folder / NOTEBOOK)
    return folder


def handed_in(out: Path, sub_id: str, code: str) -> None:
    graded_submission(out, sub_id, None)
    path = out / sub_id / "work" / "submission" / NOTEBOOK
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(code)]), path)


def test_the_terms_template_is_the_boilerplate(tmp_path: Path) -> None:
    """Two students who hand in their term's starter code untouched share only the template: listed against
    the F20 template, not against their own; a copy of each other's own code is still found."""
    template = handout(tmp_path / "handout", INDEPENDENT)
    out = tmp_path / "out"
    handed_in(out, "dave", INDEPENDENT)
    handed_in(out, "erin", INDEPENDENT)
    handed_in(out, "alice", INDEPENDENT + ORIGINAL)
    handed_in(out, "bob", INDEPENDENT + DISGUISED)
    f20 = find_similar(out, rubric="ece590-hw2-f20", threshold=0.6)
    assert ("dave", "erin") in {(p.a, p.b) for p in f20}
    pairs = find_similar(out, rubric="ece590-hw2-f20", threshold=0.6, template=template)
    assert [(p.a, p.b) for p in pairs] == [("alice", "bob")]

    # the rubric's template field is the default; --template overrides it
    rubric = tmp_path / "term.yaml"
    data = yaml.safe_load(resolve_rubric("ece590-hw2-f20").read_text())
    rubric.write_text(yaml.safe_dump({**data, "template": str(template)}))
    assert [(p.a, p.b) for p in find_similar(out, rubric=rubric, threshold=0.6)] == [("alice", "bob")]
    other = handout(tmp_path / "other", "print('a different term')\n")
    assert ("dave", "erin") in {(p.a, p.b) for p in find_similar(out, rubric=rubric, template=other)}


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_a_bad_template_is_a_clear_error(tmp_path: Path, kind: str) -> None:
    template = tmp_path / "template"
    if kind == "file":
        template.write_text("not a folder")
    elif kind == "empty":
        template.mkdir()
    out = tmp_path / "out"
    graded_submission(out, "alice", ORIGINAL)
    expected = "holds no notebooks" if kind == "empty" else "not a folder"
    with pytest.raises(GraderError, match=f"--template {template}: {expected}"):
        find_similar(out, rubric="ece590-hw2-f20", template=template)
    with pytest.raises(GraderError, match=f"--template {template}: {expected}"):
        grade_batch(tmp_path, GradeOptions("ece590-hw2-f20", tmp_path / "graded"), template=template)
    assert not (tmp_path / "graded").exists()
