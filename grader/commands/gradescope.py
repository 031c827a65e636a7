"""``grader gradescope``: grade the one submission of a Gradescope autograder run and write its results.json.

Gradescope unpacks the student's upload into ``/autograder/submission``, the autograder zip into
``/autograder/source`` (ship the course data there as ``course-data/``, hidden labels included: students
never see that folder) and reads ``/autograder/results/results.json``. ``run_autograder`` can be as short as
``grader gradescope --rubric ece590-hw2-f20``. Gradescope's container has no GPU: static mode by default.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from grader.errors import GraderError
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Mode, write_json_atomically
from grader.report.gradescope import to_gradescope, validate_gradescope

VERB = "gradescope"
SUMMARY = "grade inside Gradescope's autograder and write results.json"
SUBMISSION_DIR = Path("/autograder/submission")
COURSE_DATA_DIR = Path("/autograder/source/course-data")
RESULTS_FILE = Path("/autograder/results/results.json")
DEFAULT_MODE: Mode = "static"  # Gradescope's container has no GPU, whatever the pipeline's default


def gradescope(args: argparse.Namespace) -> int:
    submission, data_dir, results = Path(args.submission), Path(args.data), Path(args.results)
    if not submission.exists():
        raise GraderError(f"no submission at {submission} (Gradescope puts it in {SUBMISSION_DIR})")
    if not data_dir.is_dir():
        raise GraderError(
            f"no course data at {data_dir}: put the folder made by `grader data build` (with hidden/) "
            "into the autograder zip as course-data/, or pass --data"
        )
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        options = GradeOptions(
            rubric=args.rubric,
            out_dir=Path(tmp),
            data_dir=data_dir,
            mode=args.mode,
            sandbox=not args.no_sandbox,
        )
        result = grade_submission(submission, options)
    payload = to_gradescope(result)
    problems = validate_gradescope(payload)
    if problems:
        raise GraderError("the Gradescope results are malformed (a grader bug): " + "; ".join(problems))
    write_json_atomically(results, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"{result.submission_id}: {result.score:g} / {result.max_score:g} in {result.mode} mode")
    print(f"results: {results}")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description=f"Grade the one submission of a Gradescope autograder run and write its results.json. "
        f"Gradescope puts the upload in {SUBMISSION_DIR}; ship the course data (hidden labels included: "
        f"students never see that folder) in the autograder zip as course-data/. run_autograder can be as "
        f"short as: grader gradescope --rubric ece590-hw2-f20",
    )
    parser.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    parser.add_argument("--submission", default=str(SUBMISSION_DIR), help="default %(default)s")
    parser.add_argument("--data", default=str(COURSE_DATA_DIR), help="course data (default %(default)s)")
    parser.add_argument("--results", default=str(RESULTS_FILE), help="where to write (default %(default)s)")
    parser.add_argument(
        "--mode",
        choices=("static", "quick", "full"),
        default=DEFAULT_MODE,
        help="grading depth (default %(default)s)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap (Gradescope's container is then the only isolation)",
    )
    parser.set_defaults(func=gradescope)
