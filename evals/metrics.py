"""Deterministic, offline metrics for one answered eval question, and their aggregation.

- retrieval: hit@1/3/5, reciprocal rank, recall@5 of gold quotes (a quote counts when any unit
  holding it is retrieved);
- citations: precision (cited units that are gold) and recall (gold quotes cited);
- facts: share of required facts in the answer, after folding width, spaces, thousands
  separators and Chinese numerals;
- refusal: refused on unanswerable, false refusal on answerable;
- post-grounding consistency: share of shown answer sentences supported by what they cite
  (character bigrams). Grounding already removed what failed this test, so it is close to 1 by
  construction: a consistency check, not a faithfulness measure. Also numeric consistency and
  negation flips (不/未/无/没有 on one side);
- faithfulness before grounding (LLM answers only): share of the claims the model wrote that the
  claim check validated on labelled claims (evals/grounding_eval.py) finds supported by the
  paragraphs they cite; how many the model invented, and how many of those grounding removed.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field

import numpy as np
from policyqa.assistant.answer import Answer
from policyqa.assistant.claims import check_claim, negation_flip
from policyqa.assistant.grounding import FRAME_PATTERN, SUPPORT_THRESHOLD, support
from policyqa.core.text import (
    CITATION_MARK,
    chinese_numbers_in,
    chinese_to_int,
    fold,
    numbers_in,
    split_sentences,
    strip_marks,
)
from policyqa.evals.dataset import EvalItem

# A figure is a number with a unit of measure (a bare year such as 2026年 in "未载明2026年…" is not one).
_FIGURE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:%|％|‰|余?万|余?亿|元|人|家|个|名|所|张|次|场|岁|倍|项|户|条|天|年以上|个月|小时|平方米|千米|公里)"
)
# How an answer says the documents do not state what was asked (the honest near-miss frame).
NOT_STATED = re.compile(r"未载明|没有找到|未找到|未单独载明|没有明确|未明确")
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]{2,}")


def normalise_fact_text(text: str) -> str:
    """Fold width/space, drop thousands separators, write Chinese numerals as digits."""
    folded = fold(text)
    folded = re.sub(r"(?<=\d),(?=\d{3})", "", folded)

    def digits(m: re.Match) -> str:
        value = chinese_to_int(m.group(0))
        return str(value) if value is not None and not m.group(0).endswith(("万", "亿")) else m.group(0)

    folded = _CN_NUMERAL.sub(digits, folded)
    # "[6]万人" (a table's mark for a 5-year total, explained by its note) states the figure 6万人
    return re.sub(r"\[(\d[\d.]*)\]", r"\1", folded)


def fact_found(fact: str, answer: str) -> bool:
    """The fact occurs in the answer, a figure as a whole number (6 is not found in 2026 or 16.5)."""
    wanted = normalise_fact_text(fact)
    start = r"(?<![\d.])" if wanted[:1].isdigit() else ""
    end = r"(?!\.?\d)" if wanted[-1:].isdigit() else ""
    return re.search(start + re.escape(wanted) + end, normalise_fact_text(answer)) is not None


@dataclass
class ItemResult:
    id: str
    type: str
    split: str
    question: str
    answerable: bool
    refused: bool
    answer: str
    cited: list[str]
    retrieved: list[str]
    gold: list[list[str]]
    facts: list[str]
    facts_found: list[str]
    first_gold_rank: int | None  # 1-based rank of the first retrieved gold unit
    recall_at_5: float
    citation_precision: float | None
    citation_recall: float | None
    supported_sentences: int
    answer_sentences: int
    unsupported_numbers: list[str] = field(default_factory=list)
    negation_flips: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    slice: str = "core"
    figure_question: bool = False  # answerable and asks for a figure (gold facts with digits)
    direct: bool | None = None  # figure question: the first line states a right figure
    misleading: bool = False  # the first line states a figure that is not the asked one
    diagnostics: dict = field(default_factory=dict)
    judged: dict = field(default_factory=dict)  # LLM judge verdicts, when a judge ran
    generated_claims: int = 0  # claims the LLM wrote (before grounding)
    invented_claims: list[str] = field(default_factory=list)  # of those, unsupported by what they cite
    invented_removed: int = 0  # invented claims that did not reach the user (removed or fallen back)
    grounding_removals: int = 0  # sentences the grounding check removed from the LLM's answer
    fallback: str = ""

    @property
    def fact_recall(self) -> float | None:
        return len(self.facts_found) / len(self.facts) if self.facts else None

    @property
    def numeric_consistent(self) -> bool:
        return not self.unsupported_numbers

    @property
    def refusal_correct(self) -> bool:
        return self.refused != self.answerable

    def hard_checks(self) -> dict[str, bool]:
        """Per-question checks that, once passing, must keep passing (the regression gate)."""
        return {"numeric_consistent": self.numeric_consistent, "refusal_correct": self.refusal_correct}

    def to_dict(self) -> dict:
        data = asdict(self)
        data["fact_recall"] = self.fact_recall
        data["hard_checks"] = self.hard_checks()
        return data


def _answer_sentences(answer: Answer) -> list[tuple[str, list[int]]]:
    """Content sentences of the answer with the markers each answers to (frames excluded)."""
    return text_claims(answer.text)


def text_claims(text: str) -> list[tuple[str, list[int]]]:
    """Content sentences of a text with the markers each answers to (frames excluded)."""
    out = []
    for line in text.split("\n"):
        sentences = split_sentences(line, strong_only=True)
        inherited: list[int] = []
        tagged = []
        for sentence in reversed(sentences):
            own = [int(m.group(1)) for m in CITATION_MARK.finditer(sentence)]
            inherited = own or inherited
            tagged.append((sentence, own or inherited))
        for sentence, markers in reversed(tagged):
            content = strip_marks(sentence).strip()
            if content and not FRAME_PATTERN.search(content):
                out.append((content, markers))
    return out


def first_line(text: str) -> str:
    return next((strip_marks(line).strip() for line in text.split("\n") if line.strip()), "")


def figures_in(text: str) -> list[str]:
    return [m.group(0) for m in _FIGURE.finditer(normalise_fact_text(text))]


def _figure_numbers(text: str) -> set[str]:
    return set().union(*(numbers_in(f) for f in figures_in(text))) if figures_in(text) else set()


def lead_scores(item: EvalItem, answer: Answer) -> tuple[bool, bool | None, bool]:
    """(figure question, direct, misleading), scored on the answer's first line.

    direct: an answerable figure question whose first line holds one of the gold figures.
    misleading: the first line states a figure, and none of its figures is a gold one — for an
    unanswerable question any stated figure counts, unless the line first says the documents do not
    state what was asked (未载明…) and so labels what follows as related information."""
    gold_figures = [f for f in item.facts if re.search(r"\d", f)]
    figure_question = item.answerable and bool(gold_figures) and item.type != "section"
    line = first_line(answer.text) if not answer.refused or not item.answerable else ""
    stated = _figure_numbers(line)
    gold_numbers = (
        set().union(*(numbers_in(normalise_fact_text(f)) for f in gold_figures)) if gold_figures else set()
    )
    direct = None
    if figure_question:
        direct = any(fact_found(f, line) for f in gold_figures)
    if item.answerable:
        misleading = bool(stated) and figure_question and not (stated & gold_numbers)
    else:
        misleading = bool(stated) and not NOT_STATED.search(line)
    return figure_question, direct, misleading


def score_item(item: EvalItem, answer: Answer, latency_ms: float) -> ItemResult:
    retrieved = [r.id for r in answer.retrieved]
    cited = [c.id for c in answer.citations]
    figure_question, direct, misleading = lead_scores(item, answer)
    gold_sets = [set(g.ids) for g in item.gold]
    first_rank = next((rank for rank, pid in enumerate(retrieved, start=1) if pid in item.gold_ids), None)
    top5 = set(retrieved[:5])
    recall5 = sum(1 for g in gold_sets if g & top5) / len(gold_sets) if gold_sets else 0.0
    precision = recall = None
    if item.answerable and not answer.refused and cited:
        precision = sum(1 for c in cited if c in item.gold_ids) / len(cited)
        recall = sum(1 for g in gold_sets if g & set(cited)) / len(gold_sets) if gold_sets else None
    by_n = {c.n: c for c in answer.citations}
    metadata = " ".join(f"{c.doc_title} {c.doc_number} {c.doc_date}" for c in answer.citations)
    allowed = numbers_in(metadata) | chinese_numbers_in(metadata)
    supported, total, bad_numbers, flips = 0, 0, [], []
    if not answer.refused:
        for content, markers in _answer_sentences(answer):
            sources = [f"{by_n[n].doc_title}{by_n[n].section}{by_n[n].text}" for n in markers if n in by_n]
            total += 1
            if sources and support(content, sources) >= SUPPORT_THRESHOLD:
                supported += 1
            source_numbers = (
                set().union(*(numbers_in(s) | chinese_numbers_in(s) for s in sources)) if sources else set()
            )
            bad_numbers += sorted(
                (numbers_in(content) | chinese_numbers_in(content)) - source_numbers - allowed
            )
            if sources and _negation_flip(content, sources):
                flips.append(content)
    pre = pre_grounding(answer)
    return ItemResult(
        **pre,
        id=item.id,
        type=item.type,
        split=item.split,
        question=item.question,
        answerable=item.answerable,
        refused=answer.refused,
        answer=answer.text,
        cited=cited,
        retrieved=retrieved[:10],
        gold=[sorted(g) for g in gold_sets],
        facts=item.facts,
        facts_found=[f for f in item.facts if fact_found(f, answer.text)] if not answer.refused else [],
        first_gold_rank=first_rank,
        recall_at_5=recall5,
        citation_precision=precision,
        citation_recall=recall,
        supported_sentences=supported,
        answer_sentences=total,
        unsupported_numbers=bad_numbers,
        negation_flips=flips,
        latency_ms=latency_ms,
        slice=item.slice,
        figure_question=figure_question,
        direct=direct,
        misleading=misleading,
        diagnostics=answer.diagnostics,
    )


def checked_claims(answer: Answer):
    """The claims the LLM wrote before grounding, each with the markers it carries, the paragraphs it
    cites (marker n = the n-th retrieved paragraph, as numbered in the prompt) and the claim check's
    verdict; bare markers and echoed headers are no claims (grounding removes them)."""
    prompt = {i + 1: r for i, r in enumerate(answer.retrieved)}
    for content, markers in text_claims(answer.generated_text):
        cited = [prompt[n] for n in markers if n in prompt]
        verdict = check_claim(
            content,
            [(r.section, r.text) for r in cited],
            question=answer.rewritten_question or answer.question,
        )
        if verdict.reason not in ("empty", "header"):
            yield content, markers, cited, verdict


def pre_grounding(answer: Answer) -> dict:
    """What the LLM wrote before grounding, checked claim by claim against the paragraphs it was given."""
    if not answer.generated_text:
        return {}
    claims, invented = 0, []
    for content, _, _, verdict in checked_claims(answer):
        claims += 1
        if not verdict.supported:
            invented.append(content)
    shown = fold(answer.text) if not answer.fallback else ""
    removed = sum(1 for c in invented if fold(c) not in shown)
    return {
        "generated_claims": claims,
        "invented_claims": invented,
        "invented_removed": removed,
        "grounding_removals": len(answer.grounding.removed_sentences) if not answer.fallback else claims,
        "fallback": answer.fallback,
    }


def _negation_flip(sentence: str, sources: list[str]) -> bool:
    return negation_flip(sentence, sources)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def aggregate(results: list[ItemResult]) -> dict:
    """Headline metrics over a list of results (retrieval and answer metrics over answerable ones)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in results if not r.refused]
    sentences = sum(r.answer_sentences for r in answered)
    latencies = [r.latency_ms for r in results]
    judged = [r.judged for r in answered if r.judged]
    llm_judged = {}
    if judged:
        llm_judged = {
            "judged_faithfulness": _mean(
                [1.0 if j["faithful"] else 0.0 for j in judged if j["faithful"] is not None]
            ),
            "judged_correctness": _mean(
                [1.0 if j["correct"] else 0.0 for j in judged if j.get("correct") is not None]
            ),
        }
    return llm_judged | {
        "n": len(results),
        "hit@1": _mean([1.0 if r.first_gold_rank == 1 else 0.0 for r in answerable]),
        "hit@3": _mean([1.0 if r.first_gold_rank and r.first_gold_rank <= 3 else 0.0 for r in answerable]),
        "hit@5": _mean([1.0 if r.first_gold_rank and r.first_gold_rank <= 5 else 0.0 for r in answerable]),
        "mrr": _mean([1.0 / r.first_gold_rank if r.first_gold_rank else 0.0 for r in answerable]),
        "recall@5": _mean([r.recall_at_5 for r in answerable]),
        "citation_precision": _mean([r.citation_precision for r in answerable]),
        "citation_recall": _mean([r.citation_recall for r in answerable]),
        "fact_recall": _mean([r.fact_recall if not r.refused else 0.0 for r in answerable]),
        "refusal_rate_unanswerable": _mean([1.0 if r.refused else 0.0 for r in unanswerable]),
        "false_refusal_rate": _mean([1.0 if r.refused else 0.0 for r in answerable]),
        "post_grounding_consistency": round(sum(r.supported_sentences for r in answered) / sentences, 4)
        if sentences
        else None,
        **_pre_grounding_metrics(results),
        "numeric_consistency": _mean([1.0 if r.numeric_consistent else 0.0 for r in answered]),
        "direct": _mean([1.0 if r.direct else 0.0 for r in results if r.figure_question]),
        "misleading": sum(1 for r in results if r.misleading),
        "negation_flips": sum(len(r.negation_flips) for r in answered),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def _pre_grounding_metrics(results: list[ItemResult]) -> dict:
    """Faithfulness of LLM answers before grounding, and what grounding did about it (LLM runs only)."""
    generated = [r for r in results if r.generated_claims]
    if not generated:
        return {}
    claims = sum(r.generated_claims for r in generated)
    invented = sum(len(r.invented_claims) for r in generated)
    return {
        "faithfulness_pre_grounding": round(1 - invented / claims, 4),
        "invented_claims": invented,
        "invented_removed_share": round(sum(r.invented_removed for r in generated) / invented, 4)
        if invented
        else None,
        "grounding_removals": sum(r.grounding_removals for r in generated),
        "llm_fallbacks": sum(1 for r in results if r.fallback),
    }


def by_type(results: list[ItemResult]) -> dict[str, dict]:
    types = sorted({r.type for r in results})
    return {t: aggregate([r for r in results if r.type == t]) for t in types}
