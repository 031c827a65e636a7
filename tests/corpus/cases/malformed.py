"""Malformed cases: broken archives, notebooks and predictions, each named in the verdict's message."""

from __future__ import annotations

from tests.corpus.cases.case import LAB1, Case
from tests.corpus.cases.copies import (
    duplicate_notebooks,
    huge_notebook,
    missing_notebooks,
    predictions_edit,
    v3_notebook,
    with_notebook_bytes,
    with_predictions,
)
from tests.corpus.cases.zips import empty_zip, raw_file, zip_of
from tests.corpus.verdicts import check, finding, rejected

MALFORMED: tuple[Case, ...] = (
    Case(
        "not-a-zip",
        "malformed",
        "static",
        raw_file(b"my homework is in the cloud\n"),
        (rejected("not a zip", "text"),),
    ),
    Case("empty-zip", "malformed", "static", zip_of(empty_zip), (rejected("empty"),)),
    Case(
        "invalid-json",
        "malformed",
        "static",
        with_notebook_bytes(LAB1, b'{"cells": [{"cell_type": "code", "source": "x = 1",\n'),
        (finding("notebook-invalid-json", "error", LAB1, "line 2"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "nbformat-v3",
        "malformed",
        "static",
        v3_notebook,
        (finding("notebook-upgraded", "info", "nbformat 3"), check("lab1.f.accuracy", "pass")),
    ),
    Case(
        "notebook-of-200-mb",
        "malformed",
        "static",
        huge_notebook,
        (finding("notebook-too-large", "error", LAB1, "limit"), check("lab1.f.accuracy", "fail")),
    ),
    Case(
        "binary-garbage-ipynb",
        "malformed",
        "static",
        with_notebook_bytes(LAB1, bytes(range(256)) * 64),
        (finding("notebook-unreadable", "error", LAB1, "not a text file"),),
    ),
    Case(
        "missing-notebooks",
        "malformed",
        "static",
        missing_notebooks,
        (finding("missing-file", "error", LAB1), check("lab1.f.accuracy", "fail", "was not found")),
    ),
    Case(
        "duplicate-notebooks",
        "malformed",
        "static",
        duplicate_notebooks,
        (finding("duplicate-file", "warning", LAB1), check("lab1.f.accuracy", "pass")),
    ),
    Case(
        "predictions-wrong-header",
        "malformed",
        "static",
        predictions_edit(lambda lines: ["image,class", *lines[1:]]),
        (check("format.predictions", "fail", "header", "Id,Label"),),
    ),
    Case(
        "predictions-9999-rows",
        "malformed",
        "static",
        predictions_edit(lambda lines: lines[:-1]),
        (check("format.predictions", "fail", "9,999", "10,000"),),
    ),
    Case(
        "predictions-duplicate-ids",
        "malformed",
        "static",
        predictions_edit(lambda lines: [*lines[:-1], "0," + lines[-1].split(",")[1]]),
        (check("format.predictions", "fail", "Id 0 appears again", "line 10001"),),
    ),
    Case(
        "predictions-labels-1-to-10",
        "malformed",
        "static",
        predictions_edit(
            lambda lines: [lines[0]] + [f"{r.split(',')[0]},{int(r.split(',')[1]) + 1}" for r in lines[1:]]
        ),
        (check("format.predictions", "fail", "1..10", "subtract 1"),),
    ),
    Case(
        "predictions-class-names",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0]] + [f"{r.split(',')[0]},cat" for r in lines[1:]]),
        (check("format.predictions", "fail", "cat", "line 2"),),
    ),
    Case(
        "predictions-floats",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0]] + [f"{r}.7" for r in lines[1:]]),
        (check("format.predictions", "fail", ".7", "line 2"),),
    ),
    Case(
        "predictions-nan",
        "malformed",
        "static",
        predictions_edit(lambda lines: [lines[0], "0,NaN", *lines[2:]]),
        (check("format.predictions", "fail", "NaN", "line 2"),),
    ),
    Case(
        "predictions-latin-1",
        "malformed",
        "static",
        with_predictions(b"Id,Label\n" + "0,3 # chat noir é\n".encode("latin-1")),
        (check("format.predictions", "fail", "UTF-8", "line 2"),),
    ),
    Case(
        "predictions-semicolons",
        "malformed",
        "static",
        predictions_edit(lambda lines: [r.replace(",", ";") for r in lines]),
        (check("format.predictions", "fail", "comma"),),
    ),
    Case(
        "predictions-empty",
        "malformed",
        "static",
        with_predictions(b""),
        (check("format.predictions", "fail", "empty"),),
    ),
)
