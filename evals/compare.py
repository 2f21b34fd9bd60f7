"""Before/after table of two eval reports, per slice and split: `python -m policyqa.evals.compare OLD NEW`.

Reads the report.json files that `python -m assistant eval` writes and recomputes every slice's
metrics from their per-question results, so a report made before a slice existed still compares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from policyqa.evals.metrics import ItemResult, aggregate

METRICS = [
    ("fact_recall", "fact recall"),
    ("citation_recall", "citation coverage"),
    ("direct", "direct"),
    ("refusal_rate_unanswerable", "refusal (unanswerable)"),
    ("false_refusal_rate", "false refusal"),
    ("misleading", "misleading"),
    ("hit@5", "hit@5"),
]


def _results(path: Path, slices: dict[str, str]) -> list[ItemResult]:
    out = []
    for raw in json.loads(path.read_text(encoding="utf-8"))["results"]:
        data = {k: v for k, v in raw.items() if k in ItemResult.__dataclass_fields__}
        data.setdefault("slice", slices.get(raw["id"], "core"))
        result = ItemResult(**data)
        if "direct" not in raw:  # a report from before the lead metrics: no verdict on them
            result.direct, result.figure_question = None, False
        out.append(result)
    return out


def table(old: Path, new: Path) -> str:
    new_results = _results(new, {})
    slices = {r.id: r.slice for r in new_results}
    old_results = _results(old, slices)
    lines = [
        "| slice | split | " + " | ".join(f"{label} (before → after)" for _, label in METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    for name in sorted({r.slice for r in new_results}):
        for split in ("dev", "test"):
            before = aggregate([r for r in old_results if r.slice == name and r.split == split])
            after = aggregate([r for r in new_results if r.slice == name and r.split == split])
            cells = [f"{_fmt(before.get(k))} → {_fmt(after.get(k))}" for k, _ in METRICS]
            lines.append(f"| {name} | {split} (n={after['n']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(Path(argv[0]), Path(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
