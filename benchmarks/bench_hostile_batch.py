"""A class where one submission in ten is hostile or broken, graded in quick mode: the batch must finish.

    .venv/bin/python -m benchmarks.bench_hostile_batch [--students 300] [--hostile-share 0.1] [--workers 2]

Honest students each hand in a Lab 1 notebook that really trains (LeNet-5, the rubric's quick settings, on a
400-image subset). The hostile share cycles through every case of the test corpus (``tests/corpus``):
endless loops, memory and fork bombs, crashes, escapes, zip bombs and broken files. Reported: how many were
graded, refused (failed) and errored, the wall time, and the time per kind of submission. The hostile
cases' limits are the corpus rubric's (10 s a cell, 30 s a notebook), so their cost is bounded. Also
reported: whether every submission got its result.json, and which files of the course data, the host's
canary folder and the submissions themselves changed (none may).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from grader.batch import grade_batch
from grader.coursedata import build_course_data
from grader.intake import submission_id
from grader.pipeline import GradeOptions
from grader.samples.synthetic_class import make_class
from tests.corpus.arena import open_arena, snapshot
from tests.corpus.cases import CASES, write_corpus_rubric
from tests.corpus.cases.notebooks import LENET, TRAINING, lab1_notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--hostile-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    hostile = round(args.students * args.hostile_share)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        course = root / "course"
        build_course_data("synthetic:50000", course, relabel_seed=7)
        sample = root / "sample"
        with zipfile.ZipFile(make_class(root / "made", 1, rows=10_000)[0]) as archive:
            archive.extractall(sample)
        inbox = root / "in"
        inbox.mkdir()
        arena, listener = open_arena(root, course, sample, inbox / "honest000")

        kinds: dict[str, str] = {}
        for index in range(args.students - hostile):
            name = f"honest{index:03d}"
            path = lab1_notebook(f"# student {index}", LENET, TRAINING)(inbox / name, arena)
            kinds[submission_id(path)] = "honest"
        for index in range(hostile):  # spread over the whole corpus, old cases and attacks alike
            case = CASES[index * len(CASES) // hostile % len(CASES)]
            path = case.build(inbox / f"hostile{index:03d}-{case.name}", arena)
            kinds[submission_id(path)] = case.group
        print(f"{args.students} submissions, {hostile} of them from the corpus ({len(CASES)} cases)")

        options = GradeOptions(
            rubric=write_corpus_rubric(root / "rubric.yaml"),
            out_dir=root / "out",
            data_dir=course,
            mode="quick",
        )
        watched = (course, arena.canary.parent, inbox)
        before = snapshot(*watched)
        clock = time.perf_counter()
        summary = grade_batch(inbox, options, workers=args.workers, similarity_threshold=None, progress=False)
        wall_s = time.perf_counter() - clock
        after = snapshot(*watched)
        changed = sorted(path for path in {*before, *after} if before.get(path) != after.get(path))
        results = sum(
            1 for entry in summary.entries if (options.out_dir / entry.id / "result.json").is_file()
        )
        print(
            f"{summary.total} submissions in {wall_s:.1f} s with {args.workers} workers: "
            f"{summary.graded} graded, {summary.failed} failed (refused), {summary.errored} errored"
        )
        for kind in sorted(set(kinds.values())):
            seconds = [e.seconds for e in summary.entries if kinds.get(e.id) == kind and e.seconds]
            if seconds:
                print(
                    f"  {kind:9} {len(seconds):3d}: median {statistics.median(seconds):.1f} s, "
                    f"max {max(seconds):.1f} s per submission"
                )
        intact = arena.canary.exists()
        print(
            f"result.json written: {results} of {summary.total}; "
            f"watched files changed: {len(changed)} {changed[:5]}"
        )
        print(f"connections that reached the host: {listener.connections}; canary intact: {intact}")
        listener.close()


if __name__ == "__main__":
    main()
