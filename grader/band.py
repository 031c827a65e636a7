"""The seed noise of a rubric's reference at the audited epoch: the band audit mode compares claims within.

The reference notebooks are graded in audit mode exactly as a student's are (run unchanged on the course data,
stopped after the rubric's audit epochs, the model measured in the fresh process), once per seed. How far
the measured accuracies spread is how far an honest student's claimed epoch may lie from the grader's
reproduction of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from grader.errors import GraderError
from grader.evidence.audit import Band, BandEntry, band_of
from grader.paths import REFERENCE_NOTEBOOKS
from grader.pipeline import GradeOptions, grade_submission
from grader.records import write_json_atomically
from grader.rubric import load_rubric, resolve_rubric


def measure_band(
    rubric: str | Path,
    data_dir: Path,
    out: Path,
    *,
    seeds: int | None = None,
    notebooks: Sequence[str] = (),
    reference_dir: Path = REFERENCE_NOTEBOOKS,
    sandbox: bool = True,
) -> Band:
    """Audit the reference notebooks of RUBRIC (the keys in NOTEBOOKS, default every key the rubric audits)
    with SEEDS seeds (default the rubric's ``audit.band.seeds``); write the band to the file OUT and return
    it."""
    spec = load_rubric(resolve_rubric(rubric))
    keys = list(notebooks) or list(spec.audit.epochs)
    if not keys:
        raise GraderError(f"rubric {spec.name} audits no notebook: give audit.epochs or --notebooks")
    unknown = [key for key in keys if key not in {nb.key for nb in spec.notebooks}]
    if unknown:
        raise GraderError(f"{', '.join(unknown)}: not a notebook key of rubric {spec.name}")
    count = seeds if seeds is not None else spec.audit.band.seeds
    if count < 2:
        raise GraderError("--seeds must be at least 2: one run has no spread")
    out = Path(out)
    work = out.with_name(f".{out.name}.work")
    shutil.rmtree(work, ignore_errors=True)
    submission = work / "reference"
    submission.mkdir(parents=True)
    for key in keys:
        filename = spec.notebook(key).filename
        if not (reference_dir / filename).is_file():
            raise GraderError(f"the reference has no {filename} (notebook {key}) in {reference_dir}")
        shutil.copy(reference_dir / filename, submission / filename)
    measured: dict[str, list[float]] = {key: [] for key in keys}
    epochs: dict[str, int] = {}
    for seed in range(count):
        options = GradeOptions(
            rubric=rubric,
            out_dir=work / f"seed-{seed}",
            data_dir=data_dir,
            mode="audit",
            sandbox=sandbox,
            seed=seed,
        )
        result = grade_submission(submission, options)
        for key in keys:
            audit = result.audits.get(key)
            if audit is None or audit.reproduced is None or audit.epoch is None:
                why = audit.message if audit is not None else "it was not audited"
                raise GraderError(f"the reference {spec.notebook(key).filename} with seed {seed}: {why}")
            measured[key].append(audit.reproduced)
            epochs[key] = audit.epoch
    c, floor = spec.audit.band.c, spec.audit.band.floor
    entries = {}
    for key in keys:
        mean, std, band = band_of(measured[key], c, floor)
        entries[key] = BandEntry(
            notebook=spec.notebook(key).filename,
            epoch=epochs[key],
            seeds=list(range(count)),
            values=[round(v, 4) for v in measured[key]],
            mean=round(mean, 4),
            std=round(std, 4),
            c=c,
            floor=floor,
            band=round(band, 4),
        )
    result_band = Band(
        rubric=spec.name,
        data=str(Path(data_dir).resolve()),
        how=(
            f"the reference notebooks graded in audit mode with seeds 0..{count - 1}, each run as written on "
            "the course data, stopped after the audited epoch, its model measured on the validation images "
            "in the fresh process; band = max(c * sample std, floor)"
        ),
        notebooks=entries,
    )
    write_json_atomically(out, result_band.model_dump_json(indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return result_band
