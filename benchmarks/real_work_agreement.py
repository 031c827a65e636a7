"""Agreement of the grader with a TA on a real-work corpus, the TA's verdicts written down before the run.

Usage: python benchmarks/real_work_agreement.py TA_CSV MODE=OUT [MODE=OUT ...] [--markdown]

TA_CSV has the columns submission, item, static, quick, why (verdicts pass, fail, inconclusive where nobody
can decide from what is here, e.g. predictions for another term's test set, or '-' where the item is not
automatic in that mode); each OUT is a `grader batch` output folder graded in MODE. It prints one row per
submission and item with both verdicts, the agreement per mode, and the two counts that must stay at zero:
pretrained accusations the TA does not share, and failures the grader itself labels as not the student's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

AGREES = {("pass", "pass"), ("fail", "fail"), ("inconclusive", "inconclusive")}


def grader_verdicts(out: Path) -> pd.DataFrame:
    """One row per submission and check of every result.json under OUT."""
    rows = []
    for path in sorted(out.glob("*/result.json")):
        result = json.loads(path.read_text())
        for check in result["checks"]:
            rows.append(
                {
                    "submission": result["submission_id"],
                    "item": check["id"],
                    "grader": check["status"],
                    "message": check["message"],
                    "pretrained": "pretrained" in check["message"] and check["status"] == "fail",
                }
            )
    return pd.DataFrame(rows)


def compare(ta: pd.DataFrame, mode: str, out: Path) -> pd.DataFrame:
    decided = ta[ta[mode] != "-"][["submission", "item", mode, "why"]].rename(columns={mode: "ta"})
    merged = decided.merge(grader_verdicts(out), on=["submission", "item"], how="left")
    merged["grader"] = merged["grader"].fillna("absent")
    merged["agrees"] = [(t, g) in AGREES for t, g in zip(merged["ta"], merged["grader"], strict=True)]
    merged.insert(0, "mode", mode)
    return merged


def summary(table: pd.DataFrame) -> pd.DataFrame:
    grouped = table.groupby("mode")
    return pd.DataFrame(
        {
            "rows": grouped.size(),
            "agree": grouped["agrees"].sum(),
            "agreement": grouped["agrees"].mean().map("{:.1%}".format),
            "false fails": grouped.apply(lambda t: ((t.ta == "pass") & (t.grader == "fail")).sum()),
            "false passes": grouped.apply(lambda t: ((t.ta == "fail") & (t.grader == "pass")).sum()),
            "not checked": grouped.apply(lambda t: (t.grader == "inconclusive").sum()),
            "false pretrained": grouped.apply(lambda t: (t.pretrained & (t.ta == "pass")).sum()),
        }
    )


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub table; cell text has its pipes escaped."""
    cells = [[str(v).replace("|", "\\|") for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ta_csv", type=Path)
    parser.add_argument("runs", nargs="+", help="MODE=OUT, e.g. static=out/static quick=out/quick")
    parser.add_argument("--markdown", action="store_true", help="print the row table as Markdown")
    args = parser.parse_args()
    ta = pd.read_csv(args.ta_csv, keep_default_na=False)
    table = pd.concat(
        [compare(ta, run.split("=", 1)[0], Path(run.split("=", 1)[1])) for run in args.runs],
        ignore_index=True,
    )
    shown = table[["mode", "submission", "item", "ta", "grader", "why", "message"]].copy()
    shown["message"] = shown["message"].fillna("").str.slice(0, 140)
    if args.markdown:
        print(markdown(shown.assign(agrees=table["agrees"].map({True: "yes", False: "**no**"}))))
    else:
        print(shown[~table["agrees"]].to_string(index=False, max_colwidth=90))
    print()
    print(summary(table).to_string())


if __name__ == "__main__":
    main()
