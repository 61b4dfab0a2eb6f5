"""The ablation table (markdown) from run.sh's JSON records: ``python table.py OUTDIR``."""

import json
import sys
from pathlib import Path

import numpy as np

ROWS = [("highs_bigm", "HiGHS, big-M, symbolic bounds"),
        ("highs_lp", "HiGHS + LP bound tightening"),
        ("highs_lp_root", "HiGHS + LP tightening + root cuts"),
        ("highs_lpcuts_root", "HiGHS + LP tightening with cuts + root cuts"),
        ("scip_sep", "SCIP + LP tightening + separator"),
        ("gurobi", "Gurobi + LP tightening"),
        ("gurobi_lpcuts", "Gurobi + LP tightening with cuts")]


def fmt(x, digits=2):
    return "not reached" if x is None else f"{x:.{digits}f}"


def row(h: int, label: str, rec: dict) -> str:
    rows = rec["rows"]
    roots = [r["root_lp_bound"] for r in rows if r["root_lp_bound"] is not None]
    gaps = [r["gap"] for r in rows if r["gap"] is not None]
    gap_text = (f"{100 * min(gaps):.0f}% to {100 * max(gaps):.0f}% "
                f"(median {100 * np.median(gaps):.1f}%)") if gaps else "-"
    cells = [str(h), label, f"{rec['proven_optimal']}/{rec['starts']}",
             fmt(rec["median_time_to_1pct_gap_s"]),
             fmt(float(np.median([r["update_time_s"] for r in rows]))),
             f"{int(np.median(rec['binaries']))}",
             fmt(float(np.mean(roots)), 3) if roots else "-",
             fmt(float(np.mean([r["dual_bound"] for r in rows])), 3),
             fmt(float(np.mean([r["objective"] for r in rows])), 3), gap_text,
             f"{int(np.median([r['nodes'] for r in rows]))}"]
    return "| " + " | ".join(cells) + " |"


def main(out: str) -> None:
    print("| H | configuration | proven | median time to 1% gap (s) | median update (s) | "
          "median binaries | mean root LP bound | mean dual bound | mean objective | "
          "final gaps | median nodes |")
    print("|" + "---|" * 11)
    for h in (5, 10):
        for name, label in ROWS:
            path = Path(out) / f"h{h}_{name}.json"
            if path.exists():
                print(row(h, label, json.loads(path.read_text())))


if __name__ == "__main__":
    main(*sys.argv[1:])
