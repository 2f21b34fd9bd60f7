"""Calibrate the refusal thresholds on the dev split: `python -m evals.calibrate REPORT.json`.

Reads the per-question refusal features an eval run recorded and grid-searches the three
thresholds (coverage, dense similarity, absent-term share) for the fewest wrong decisions, false
refusals counting as much as missed refusals. Only dev questions are used; test stays unseen.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

FIXED_REASONS = ("nothing retrieved", "no document covers", "nothing quoted mentions")


def decide(features: dict, coverage: float, dense: float, absent: float) -> bool:
    reason = features.get("refusal_reason", "")
    if reason.startswith(FIXED_REASONS):
        return True
    if features.get("absent_share", 0) >= absent:
        return True
    return features.get("best_coverage", 1) < coverage and features.get("dense_top", 1) < dense


def calibrate(results: list[dict]) -> list[tuple]:
    dev = [r for r in results if r["split"] == "dev" and r.get("diagnostics")]
    grid = itertools.product(
        [x / 20 for x in range(0, 21)],
        [0.85 + x / 200 for x in range(0, 17)],
        [x / 20 for x in range(4, 21)] + [1.01],
    )
    scored = []
    for coverage, dense, absent in grid:
        false_refusals = sum(
            1 for r in dev if r["answerable"] and decide(r["diagnostics"], coverage, dense, absent)
        )
        missed = sum(
            1 for r in dev if not r["answerable"] and not decide(r["diagnostics"], coverage, dense, absent)
        )
        scored.append((false_refusals + missed, false_refusals, missed, coverage, round(dense, 3), absent))
    scored.sort()
    return scored


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__)
        return 2
    results = json.loads(Path(argv[0]).read_text(encoding="utf-8"))["results"]
    print("errors  false_refusals  missed  coverage  dense  absent_share")
    for row in calibrate(results)[:10]:
        print("  ".join(str(x) for x in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
