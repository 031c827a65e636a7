"""The one catalogue of check kinds is what the schema, the checks and the pre-check all go by."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

from grader import precheck
from grader.checks import CHECKS
from grader.rubric.catalogue import (
    AUTOMATIC_CHECKS,
    CATALOGUE,
    CHECK_KINDS,
    DEFAULT_MODES,
    NOTEBOOK_CHECKS,
    PREDICTIONS_CHECKS,
)
from grader.rubric.item import CheckKind


def test_every_automatic_kind_has_a_function_and_every_function_a_kind() -> None:
    assert set(CHECKS) == AUTOMATIC_CHECKS
    assert set(CHECK_KINDS) - AUTOMATIC_CHECKS == {"manual"}


def test_the_schema_accepts_exactly_the_catalogued_kinds_in_catalogue_order() -> None:
    assert get_args(CheckKind) == CHECK_KINDS == tuple(CATALOGUE)
    assert all(name == spec.name for name, spec in CATALOGUE.items())


def test_what_each_kind_reads() -> None:
    assert {"predictions_format", "holdout_accuracy", "predictions_agreement"} == PREDICTIONS_CHECKS
    assert set(CHECK_KINDS) - PREDICTIONS_CHECKS - {"file_present", "manual"} == NOTEBOOK_CHECKS
    assert CATALOGUE["file_present"].reads == "notebook or file"


def test_required_params_and_default_modes() -> None:
    required = {name: spec.required_params for name, spec in CATALOGUE.items() if spec.required_params}
    assert required == {
        "model_params": ("expected",),
        "val_accuracy": ("threshold",),
        "holdout_accuracy": ("threshold",),
        "predictions_agreement": ("min_agreement",),
    }
    static = {name for name, modes in DEFAULT_MODES.items() if "static" in modes}
    assert static == {
        "file_present",
        "notebook_valid",
        "notebook_executed",
        "no_pretrained",
        "val_accuracy",
        "predictions_format",
        "holdout_accuracy",
    }
    # an audited run stops after a few epochs of its first training: it has a model, but did not run to the
    # end nor train a dev notebook's later models
    after_a_run = NOTEBOOK_CHECKS - static
    not_audited = {"runs", "augmentation", "batchnorm", "swish"}
    assert all(DEFAULT_MODES[name] == ("quick", "full") for name in not_audited)
    assert all(DEFAULT_MODES[name] == ("quick", "full", "audit") for name in after_a_run - not_audited)
    assert all("audit" in DEFAULT_MODES[name] for name in static)
    assert DEFAULT_MODES["predictions_agreement"] == ("full",) and DEFAULT_MODES["manual"] == ()


def test_the_precheck_has_a_hint_for_every_automatic_kind() -> None:
    assert set(precheck._HINTS) == AUTOMATIC_CHECKS


def test_loading_a_rubric_imports_neither_the_checks_nor_torch() -> None:
    code = "import sys, grader.rubric; print(sorted({'torch', 'grader.checks'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
