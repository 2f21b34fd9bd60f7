"""Calibrate the refusal thresholds on the dev split: `python -m evals.calibrate REPORT.json [--write]`.

Reads the per-question refusal features an eval run recorded and grid-searches the three
thresholds (coverage, dense similarity, absent-term share) for the fewest wrong decisions, false
refusals counting as much as missed refusals. Only dev questions are used; test stays unseen.
With ``--write`` the best row is stored in the profile's thresholds.toml under the embedding model
(thresholds depend on the model's similarity scale), where the assistant reads them.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import fields
from pathlib import Path

from policyqa.assistant.refusal import Reason, RefusalFeatures, Thresholds
from policyqa.assistant.refusal import decide as refusal_decision

_FEATURES = {f.name for f in fields(RefusalFeatures)}


def decide(features: dict, coverage: float, dense: float, absent: float) -> bool:
    """Would the assistant refuse with these thresholds? The same decision as assistant/refusal.py,
    on the features the eval run recorded."""
    recorded = RefusalFeatures(**{k: v for k, v in features.items() if k in _FEATURES})
    return refusal_decision(recorded, Thresholds(coverage, dense, absent)) is not Reason.NONE


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
    import argparse

    from policyqa.core.profile import RefusalThresholds, profile_folder, write_thresholds
    from policyqa.core.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m evals.calibrate", description=__doc__)
    parser.add_argument("report", help="report.json of an eval run (python -m assistant eval)")
    parser.add_argument("--write", action="store_true", help="store the best thresholds in the profile")
    parser.add_argument("--profile", help="profile name or folder (default: settings profile)")
    parser.add_argument("--embed-model", help="embedding model the run used (default: settings embed.model)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = json.loads(Path(args.report).read_text(encoding="utf-8"))["results"]
    rows = calibrate(results)
    print("errors  false_refusals  missed  coverage  dense  absent_share")
    for row in rows[:10]:
        print("  ".join(str(x) for x in row))
    if args.write:
        settings = Settings()
        folder = profile_folder(args.profile or settings.profile)
        model = args.embed_model or settings.embed.model
        _, _, _, coverage, dense, absent = rows[0]
        write_thresholds(folder / "thresholds.toml", model, RefusalThresholds(coverage, dense, absent))
        print(f"written: [{model}] in {folder / 'thresholds.toml'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
