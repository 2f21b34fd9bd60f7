"""The grounding check scored as a classifier on labelled (claim, cited paragraph, supported?) items.

evals/grounding_set.jsonl holds synthetic items (real corpus sentences and table rows, supported or
perturbed one way each; evals/grounding_perturb.py) and claims split from real local-model answers,
labelled by hand (evals/grounding_rubric.md). "Positive" means unsupported: the check should remove
it. Reported per perturbation type and per split: dev (used while building the check) and heldout
(never looked at while tuning). ``python -m evals.grounding_eval [--set FILE] [--json]``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from policyqa.assistant.claims import check_claim

GROUNDING_SET = Path(__file__).resolve().parent / "grounding_set.jsonl"
TARGET_CATCH = 0.95  # share of unsupported claims the check must remove
TARGET_FALSE_REMOVAL = 0.05  # share of supported claims it may remove


@dataclass
class Scored:
    item: dict
    flagged: bool  # the check calls it unsupported
    reason: str

    @property
    def correct(self) -> bool:
        return self.flagged != self.item["supported"]


def load_set(path: Path = GROUNDING_SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(items: list[dict]) -> list[Scored]:
    out = []
    for item in items:
        texts = item.get("paragraphs") or ([item["paragraph"]] if item.get("paragraph") else [])
        sources = [(item.get("header", ""), text) for text in texts]
        verdict = check_claim(item["claim"], sources, question=item.get("question", ""))
        out.append(Scored(item, not verdict.supported, verdict.reason))
    return out


def summary(scored: list[Scored]) -> dict:
    """catch rate (recall on unsupported), false-removal rate (on supported), precision of removals."""
    unsupported = [s for s in scored if not s.item["supported"]]
    supported = [s for s in scored if s.item["supported"]]
    flagged = [s for s in scored if s.flagged]
    caught = sum(s.flagged for s in unsupported)
    return {
        "n": len(scored),
        "unsupported": len(unsupported),
        "supported": len(supported),
        "catch_rate": round(caught / len(unsupported), 4) if unsupported else None,
        "false_removal_rate": round(sum(s.flagged for s in supported) / len(supported), 4)
        if supported
        else None,
        "precision": round(caught / len(flagged), 4) if flagged else None,
    }


def by_type(scored: list[Scored]) -> dict[str, dict]:
    kinds = sorted({s.item["type"] for s in scored})
    return {k: summary([s for s in scored if s.item["type"] == k]) for k in kinds}


def report(scored: list[Scored]) -> dict:
    groups = {
        "all": scored,
        "dev": [s for s in scored if s.item["split"] == "dev"],
        "heldout": [s for s in scored if s.item["split"] == "heldout"],
        "model claims": [s for s in scored if s.item["origin"] != "synthetic"],
    }
    return {
        "overall": {name: summary(group) for name, group in groups.items() if group},
        "by_type": {name: by_type(group) for name, group in groups.items() if group},
    }


def render(rep: dict) -> str:
    lines = [
        "| slice | n | unsupported | caught | supported | wrongly removed | precision |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(name: str, m: dict) -> str:
        cell = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        return f"| {name} | {m['n']} | {m['unsupported']} | {cell(m['catch_rate'])} | {m['supported']} | {cell(m['false_removal_rate'])} | {cell(m['precision'])} |"

    for name, m in rep["overall"].items():
        lines.append(row(f"**{name}**", m))
    for name in ("dev", "heldout"):
        for kind, m in rep["by_type"].get(name, {}).items():
            lines.append(row(f"{name}: {kind}", m))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", type=Path, default=GROUNDING_SET)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--misses", action="store_true", help="list misclassified items (dev split only)")
    args = parser.parse_args(argv)
    scored = score(load_set(args.set))
    rep = report(scored)
    print(json.dumps(rep, ensure_ascii=False, indent=1) if args.json else render(rep))
    if args.misses:
        for s in scored:
            if not s.correct and s.item["split"] == "dev":
                print(f"- [{s.item['type']}] flagged={s.flagged} ({s.reason}) {s.item['claim'][:100]}")
    overall = rep["overall"]["all"]
    ok = (overall["catch_rate"] or 0) >= TARGET_CATCH and (
        overall["false_removal_rate"] or 0
    ) <= TARGET_FALSE_REMOVAL
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
