"""Grade functions for batch workers that misbehave on purpose, chosen by the submission's id.

Workers import this module by name (``batch_faults:grade``): the tests put this folder on PYTHONPATH.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from grader.errors import GraderError
from grader.intake import submission_id
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Result


def grade(src: Path, options: GradeOptions) -> Result:
    sub_id = submission_id(src)
    if sub_id.endswith("refused"):
        raise GraderError(f"{src.name}: refused on purpose")
    if sub_id.endswith("crash"):
        raise RuntimeError("the grader broke on purpose")
    if sub_id.endswith("killed"):
        os.kill(os.getpid(), signal.SIGKILL)
    if sub_id.endswith("hangs"):
        time.sleep(3600)
    result = grade_submission(src, options)
    (Path(options.out_dir) / sub_id / "gpu.txt").write_text(os.environ.get("CUDA_VISIBLE_DEVICES", "-"))
    return result
