"""Honest cases: unusual but honest submissions, never penalised."""

from __future__ import annotations

from tests.corpus.cases.case import LAB1, LAB3, Case
from tests.corpus.cases.copies import (
    edit_notebook,
    honest_copy,
    predictions_text,
    renamed,
    stderr_warnings,
    unused_models_import,
    with_predictions,
)
from tests.corpus.cases.notebooks import LENET, TRAINING, WARNINGS, lab1_notebook
from tests.corpus.verdicts import NOT_PENALISED, check

HONEST: tuple[Case, ...] = (
    Case("honest-reference", "honest", "static", honest_copy, (NOT_PENALISED,)),
    Case(
        "honest-unused-models-import",
        "honest",
        "static",
        edit_notebook(LAB3, unused_models_import),
        (NOT_PENALISED, check("integrity.resnet", "pass")),
    ),
    Case(
        "honest-stderr-warnings", "honest", "static", edit_notebook(LAB1, stderr_warnings), (NOT_PENALISED,)
    ),
    Case(
        "honest-crlf-bom-predictions",
        "honest",
        "static",
        lambda dest, arena: with_predictions("\ufeff" + predictions_text(arena, "\r\n"))(dest, arena),
        (NOT_PENALISED, check("format.predictions", "pass")),
    ),
    Case(
        "honest-underscore-name",
        "honest",
        "static",
        renamed(LAB3, "resnet_cifar10.ipynb"),
        (NOT_PENALISED, check("lab3.b", "pass")),
    ),
    Case(
        "honest-warnings-at-run-time",
        "honest",
        "quick",
        lab1_notebook(WARNINGS, LENET, TRAINING),
        (check("lab1.c", "pass"), check("lab1.f.params", "pass"), check("integrity.lenet5", "pass")),
    ),
)
