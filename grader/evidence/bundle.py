"""Everything the checks may look at, gathered once per submission in the grader's own process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.evidence.environment import ImportFailure
from grader.execute import ExecutionReport
from grader.execute.evaluation import ModelEvaluation
from grader.records import AuditRecord, Finding, Mode
from grader.rubric.model import NotebookSpec, Rubric
from grader.static import LoadedNotebook, StoredOutputs
from grader.static.predictions import Predictions


@dataclass
class NotebookEvidence:
    """One expected notebook: where it was found, what it claims, and what running it showed."""

    spec: NotebookSpec
    path: Path | None = None
    loaded: LoadedNotebook | None = None
    stored: StoredOutputs | None = None
    findings: list[Finding] = field(default_factory=list)
    run: ExecutionReport | None = None
    run_stored: StoredOutputs | None = None  # the outputs the grader's own run printed
    evaluation: ModelEvaluation | None = None  # the trained model, measured in a fresh process
    import_failure: ImportFailure | None = None  # the run stopped at an import the environment lacks
    # the submission's files the run tried to load (as the guard named them) whose tensors are those of a
    # published pretrained model -> that model
    published_weights: dict[str, str] = field(default_factory=dict)
    audit: AuditRecord | None = None  # audit mode's verdict on the claimed curve (grader.evidence.audit)

    @property
    def probe(self) -> dict:
        return (self.run.probe or {}) if self.run else {}


@dataclass
class Labels:
    """Labels the grader holds; hidden test labels never enter the sandbox."""

    val: np.ndarray | None = None  # of the images the runs saw (the quick subset's in quick mode)
    test: np.ndarray | None = None  # from hidden/, None when the data has none (a student's pre-check)
    run_test: np.ndarray | None = None  # hidden labels of the test images the runs saw
    term: str | None = None  # the course data's term tag (hidden/manifest.json), None when unknown


@dataclass
class Evidence:
    rubric: Rubric
    mode: Mode
    notebooks: dict[str, NotebookEvidence]
    labels: Labels
    files: dict[str, Path | None] = field(default_factory=dict)  # "report", "predictions"
    predictions: Predictions | None = None
    predictions_error: str | None = None
