"""A fabricated-claims copy of a submission: every printed validation accuracy in the notebooks' stored
outputs raised to a curve ending at 95%, the code unchanged, so a re-run cannot reproduce what it claims.

    python benchmarks/gpu/fabricate.py SUBMISSION OUT
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat

VAL_ACC = re.compile(r"(Validation accuracy: )(\d+\.\d+)")
CLAIMED_FINAL = 0.95


def fabricate(src: Path, out: Path) -> int:
    """Copies SRC to OUT with invented accuracies; returns how many printed figures were changed."""
    shutil.copytree(src, out, dirs_exist_ok=True)
    changed = 0
    for path in sorted(out.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
        count = max(1, sum(len(VAL_ACC.findall(o.text)) for o in texts))
        figures = iter(CLAIMED_FINAL * (0.6 + 0.4 * i / count) for i in range(1, count + 1))
        for output in texts:
            output.text = VAL_ACC.sub(lambda m, f=figures: f"{m.group(1)}{next(f):.4f}", output.text)
            changed += len(VAL_ACC.findall(output.text))
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    print(f"{fabricate(Path(sys.argv[1]), Path(sys.argv[2]))} printed accuracies invented")
