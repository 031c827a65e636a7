"""Rubrics as data: the YAML schema, its loader and the scoring rules that turn check outcomes into points."""

from .base import MODES
from .catalogue import CHECK_KINDS, DEFAULT_MODES
from .item import Item, Partial
from .limits import Limits
from .loader import RUBRICS_DIR, RubricError, available_rubrics, load_rubric, resolve_rubric
from .model import MODEL_NAMES, NotebookSpec, PredictionsSpec, Rubric
from .scoring import Scored, apply_rubric, partial_fraction

__all__ = [
    "CHECK_KINDS",
    "DEFAULT_MODES",
    "MODEL_NAMES",
    "MODES",
    "RUBRICS_DIR",
    "Item",
    "Limits",
    "NotebookSpec",
    "Partial",
    "PredictionsSpec",
    "Rubric",
    "RubricError",
    "Scored",
    "apply_rubric",
    "available_rubrics",
    "load_rubric",
    "partial_fraction",
    "resolve_rubric",
]
