"""What audit mode costs against full mode on the same notebook, and what it finds.

    .venv/bin/python benchmarks/bench_audit.py --data course-data --band band.json [--out OUT] [--no-sandbox]

The reference Lab 1 notebook is graded in full mode as written (its 30 epochs; the executed notebook is then
what a student would submit, its outputs the claimed curve), then that executed notebook in audit mode with
the band: the two grading times side by side, their ratio (goal <= 5%), and the audit's verdict.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from grader.paths import REFERENCE_NOTEBOOKS
from grader.pipeline import GradeOptions, grade_submission
from grader.records import Result

NOTEBOOK = "lenet5-cifar10.ipynb"


def grade(folder: Path, out: Path, mode: str, args: argparse.Namespace) -> tuple[Result, float]:
    options = GradeOptions(
        rubric=args.rubric,
        out_dir=out,
        data_dir=Path(args.data),
        mode=mode,  # type: ignore[arg-type]
        sandbox=not args.no_sandbox,
        band=Path(args.band) if mode == "audit" else None,
    )
    started = time.perf_counter()
    result = grade_submission(folder, options)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--band", required=True, help="written by grader audit-band for the rubric")
    parser.add_argument("--rubric", default="ece590-hw2-f20")
    parser.add_argument("--out", help="keep the graded folders here (default: a temporary folder)")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args()
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-audit-"))
    submitted = root / "submitted"
    submitted.mkdir(parents=True, exist_ok=True)
    shutil.copy(REFERENCE_NOTEBOOKS / NOTEBOOK, submitted / NOTEBOOK)
    full, full_s = grade(submitted, root / "full", "full", args)
    executed = root / "full" / full.submission_id / "notebooks" / NOTEBOOK
    audited = root / "audited"
    audited.mkdir(exist_ok=True)
    shutil.copy(executed, audited / NOTEBOOK)
    audit, audit_s = grade(audited, root / "audit", "audit", args)
    record = audit.audits.get("lenet5")
    print(f"{'':24}{'full':>10}{'audit':>10}")
    print(f"{'grading wall time (s)':24}{full_s:10.1f}{audit_s:10.1f}")
    run_full, run_audit = full.timings.get("run_lenet5_s", 0.0), audit.timings.get("run_lenet5_s", 0.0)
    print(f"{'notebook run (s)':24}{run_full:10.1f}{run_audit:10.1f}")
    share = run_audit / max(run_full, 1e-9)
    print(f"audit / full: {audit_s / full_s:.1%} of the grading time, {share:.1%} of the run")
    print(f"verdict: {record.message if record else 'not audited'}")
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
