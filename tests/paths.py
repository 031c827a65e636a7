"""Where the tests find the repository and the shared data beside it."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
REAL_CIFAR10 = SHARED_DIR / "data" / "cifar10" / "cifar-10-batches-py"
STUDENT_TEMPLATE = REPO_ROOT / "student_template"
