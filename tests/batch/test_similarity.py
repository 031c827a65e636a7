"""The similarity pass finds a copied notebook behind renamed variables, and not independent work."""

from __future__ import annotations

import json
import shutil
from itertools import combinations
from pathlib import Path

from copydetect import compare_files

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
