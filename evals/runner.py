"""Run the eval set through the assistant, write a report, and apply the regression gate.

The gate fails when a metric falls below its floor (evals/gate.toml), drops more than the
tolerance below the committed baseline (evals/baseline.json), or when a question that passed a
hard check (numeric consistency, correct refusal) in the baseline fails it now. The baseline only
changes with ``--update-baseline`` and records the configuration it was made with.
"""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from policyqa.evals.dataset import EVAL_DIR, EvalItem
from policyqa.evals.metrics import ItemResult, aggregate, by_type, score_item
from tqdm import tqdm

GATE_FILE = EVAL_DIR / "gate.toml"
BASELINE_FILE = EVAL_DIR / "baseline.json"
LOWER_IS_BETTER = {"false_refusal_rate", "negation_flips", "misleading"}
NOT_GATED = {
    "n",
    "latency_p50_ms",
    "latency_p95_ms",
    "faithfulness_pre_grounding",
    "invented_claims",
    "invented_removed_share",
    "grounding_removals",
    "llm_fallbacks",
}


def run_items(
    assistant, items: list[EvalItem], progress: bool = True, judge=None, keep_answers: list | None = None
) -> list[ItemResult]:
    """Answer every item and score it; with a ``judge`` (evals.judge.LLMJudge) answers are also LLM-judged.
    ``keep_answers``, when given, collects the Answer objects too."""
    from policyqa.assistant.pipeline import QuestionError

    results = []
    for item in tqdm(items, desc="eval", unit="q", disable=not progress):
        started = time.perf_counter()
        try:
            answer = assistant.ask(item.question, item.history, item.doc, item.mode)
        except QuestionError as exc:
            from policyqa.assistant.answer import Answer

            answer = Answer(question=item.question, text=str(exc), refused=True)
        result = score_item(item, answer, round((time.perf_counter() - started) * 1000, 1))
        if keep_answers is not None:
            keep_answers.append(answer)
        if judge is not None and not answer.refused:
            result.judged = judge.judge(item.question, answer, item.facts)
        results.append(result)
    return results


def _by_split(results: list[ItemResult]) -> tuple[dict, dict]:
    splits = {s: [r for r in results if r.split == s] for s in ("dev", "test")}
    metrics = {name: aggregate(rs) for name, rs in splits.items() if rs} | {"all": aggregate(results)}
    types = {name: by_type(rs) for name, rs in splits.items() if rs} | {"all": by_type(results)}
    return metrics, types


def summarise(results: list[ItemResult], config: dict) -> dict:
    """Metrics per split for the core set ("metrics", "by_type", as before) and per slice ("slices")."""
    core = [r for r in results if r.slice == "core"] or results
    metrics, types = _by_split(core)
    slices = {}
    for name in sorted({r.slice for r in results} - {"core"}):
        slice_metrics, slice_types = _by_split([r for r in results if r.slice == name])
        slices[name] = {"metrics": slice_metrics, "by_type": slice_types}
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config,
        "metrics": metrics,
        "by_type": types,
        "slices": slices,
        "hard_checks": {r.id: r.hard_checks() for r in results},
    }


@dataclass
class GateResult:
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_gate(path: Path = GATE_FILE) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _floors(result: GateResult, current: dict, floors: dict, label: str) -> None:
    for metric, floor in floors.items():
        value = current.get(metric)
        if value is None:
            continue
        bad = value > floor if metric in LOWER_IS_BETTER else value < floor
        if bad:
            result.failures.append(f"{label}{metric} = {value} is past its floor {floor}")


def _against_baseline(
    result: GateResult, current: dict, old_metrics: dict, tolerance: float, label: str
) -> None:
    for metric, old in old_metrics.items():
        new = current.get(metric)
        if metric in NOT_GATED or old is None or new is None:
            continue
        allowed = tolerance if metric not in ("negation_flips", "misleading") else 0
        if (new > old + allowed) if metric in LOWER_IS_BETTER else (new < old - allowed):
            result.failures.append(f"{label}{metric} fell from {old} to {new} (tolerance {allowed})")


def check_gate(summary: dict, baseline: dict | None, gate: dict) -> GateResult:
    """Floors and the baseline for the core set's "all" metrics and for each slice's "all" metrics."""
    result = GateResult()
    _floors(result, summary["metrics"]["all"], gate.get("floors", {}), "")
    for name, data in summary.get("slices", {}).items():
        _floors(result, data["metrics"]["all"], gate.get("slices", {}).get(name, {}), f"{name}: ")
    if baseline is None:
        return result
    tolerance = gate.get("tolerance", 0.02)
    _against_baseline(result, summary["metrics"]["all"], baseline["metrics"]["all"], tolerance, "")
    for name, data in baseline.get("slices", {}).items():
        if name in summary.get("slices", {}):
            current = summary["slices"][name]["metrics"]["all"]
            _against_baseline(result, current, data["metrics"]["all"], tolerance, f"{name}: ")
    for qid, checks in baseline.get("hard_checks", {}).items():
        now = summary["hard_checks"].get(qid)
        if now is None:
            continue
        for check, passed_before in checks.items():
            if passed_before and not now.get(check, False):
                result.failures.append(f"{qid}: {check} passed in the baseline and fails now")
    return result


def write_reports(results: list[ItemResult], summary: dict, gate: GateResult | None, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = dict(summary, results=[r.to_dict() for r in results], gate=None if gate is None else gate.failures)
    (folder / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(results, summary, gate), encoding="utf-8")


METRIC_COLUMNS = [
    "hit@1",
    "hit@5",
    "mrr",
    "recall@5",
    "citation_precision",
    "citation_recall",
    "fact_recall",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "post_grounding_consistency",
    "numeric_consistency",
    "direct",
    "misleading",
    "latency_p50_ms",
]


def metrics_table(rows: dict[str, dict]) -> str:
    head = "| | " + " | ".join(METRIC_COLUMNS) + " |"
    sep = "|---" * (len(METRIC_COLUMNS) + 1) + "|"
    lines = [head, sep]
    for name, metrics in rows.items():
        cells = ["–" if metrics.get(c) is None else f"{metrics[c]:.3g}" for c in METRIC_COLUMNS]
        lines.append(f"| {name} (n={metrics['n']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_report(results: list[ItemResult], summary: dict, gate: GateResult | None) -> str:
    out = [
        "# Eval report",
        "",
        f"Created {summary['created_at']}; config `{json.dumps(summary['config'], ensure_ascii=False)}`",
        "",
    ]
    out += ["## Overall (core set)", "", metrics_table(summary["metrics"]), ""]
    for split, types in summary["by_type"].items():
        out += [f"## By type ({split})", "", metrics_table(types), ""]
    for name, data in summary.get("slices", {}).items():
        out += [f"## Slice {name}", "", metrics_table(data["metrics"]), ""]
        for split, types in data["by_type"].items():
            out += [f"### Slice {name} by type ({split})", "", metrics_table(types), ""]
    if gate is not None:
        out += (
            ["## Gate", "", "PASSED" if gate.passed else "FAILED:", ""]
            + [f"- {f}" for f in gate.failures]
            + [""]
        )
    failed = [r for r in results if not _passed(r)]
    out += [f"## Failed questions ({len(failed)})", ""]
    for r in failed:
        out += [
            f"### {r.id} ({r.type}, {r.split})",
            "",
            f"- question: {r.question}",
            f"- expected facts: {', '.join(r.facts) or '(should refuse)'}; found: {', '.join(r.facts_found) or '–'}",
            f"- refused: {r.refused}; first gold rank: {r.first_gold_rank}; direct: {r.direct}; misleading: {r.misleading}",
            f"- gold: {r.gold}",
            f"- cited: {r.cited}",
            f"- unsupported numbers: {r.unsupported_numbers}" if r.unsupported_numbers else "",
            "",
            "```",
            r.answer,
            "```",
            "",
        ]
    return "\n".join(out)


def _passed(r: ItemResult) -> bool:
    if not r.refusal_correct or not r.numeric_consistent or r.misleading or r.direct is False:
        return False
    return r.answerable is False or (r.fact_recall or 0) >= 1.0
