"""What one TA save costs the review app against rendering the whole class again.

    .venv/bin/python benchmarks/bench_review_refresh.py [--students 120] [--repeat 5]

A class of crafted results (the F20 rubric, every automatic item scored) gets its reports once; then, side by
side, the median of REPEAT saves (one grade stored, that student's result merged and report rendered, the
dashboard and gradebook written: what the app does after each Enter) and of REPEAT full refreshes (every
result merged, every report rendered: what `grader report` does). The ratio is what a save costs of a full
refresh; the save's own time is what a TA waits after each Enter.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.manual.refresh import refresh
from grader.manual.store import GradeEntry, ManualStore
from tests.report.helpers import F20, make_result, write_batch


def timed(action: object, repeat: int) -> float:
    seconds = []
    for n in range(repeat):
        started = time.perf_counter()
        action(n)  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        out = write_batch(Path(tmp), *[make_result(f"s{n:04d}") for n in range(args.students)])
        refresh(out, F20)
        store = ManualStore(out)
        sha = make_result("s0000").input_sha256  # every crafted result has the same content hash

        def save(n: int) -> None:
            sid = f"s{n % args.students:04d}"
            store.put(GradeEntry(sid, "tf.1.1", 1 + n % 2, "", "bench", sha))
            refresh(out, F20, [sid])

        one = timed(save, args.repeat)
        everything = timed(lambda _n: refresh(out, F20), args.repeat)
    print(f"class of {args.students}: a save {one * 1000:.0f} ms, a full refresh {everything * 1000:.0f} ms")
    print(f"a save costs {one / everything:.1%} of a full refresh")


if __name__ == "__main__":
    main()
