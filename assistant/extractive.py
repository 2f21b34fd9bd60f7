"""Offline answerer: a short, query-focused answer made only of sentences from the retrieved paragraphs.

Sentences are scored by how much of the question's (IDF-weighted) vocabulary they contain, with
a bonus for figures when the question asks for a number and a prior from the retrieval rank. For
numeric questions the clause (or table cell) holding the figure comes first. Every quoted
sentence carries the [n] of its paragraph; the only words that are not quoted are the fixed
frames in prompts/extractive_*.j2 (source line, plan-date caveat, reply courtesy).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from policyqa.assistant.prompts import render
from policyqa.assistant.query import QueryInfo, place_aliases
from policyqa.core.text import fold, protect_brackets, split_sentences
from policyqa.index.chunk import Paragraph
from policyqa.index.metadata import kind_info
from policyqa.index.sparse import tokenize

_QUESTION_WORDS = set(
    [
        "多少",
        "哪些",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "有没有",
        "吗",
        "呢",
        "请问",
        "一下",
        "介绍",
        "讲",
        "说",
        "提到",
        "规定",
        "有关",
        "相关",
        "方面",
        "情况",
        "主要",
        "具体",
        "哪几项",
        "哪几",
        "几项",
        "哪个",
        "哪里",
        "内容",
        "要求",
        "规划",
        "文件",
        "政策",
    ]
)
_DIGIT = re.compile(r"\d")
_CLAUSE = re.compile(r"[^，,：:；;。]+[，,：:；;。]?")
_LEADING_ORDINAL = re.compile(r"^\d{1,2}[.．、]\s*")
MAX_SENTENCES = 3
MAX_SENTENCES_LISTING = 6
MAX_PARAGRAPHS = 3


class TermWeights:
    """Inverse document frequencies of jieba tokens over all indexed units."""

    def __init__(self, paragraphs: list[Paragraph], df: dict[str, int] | None = None):
        self.n = max(len(paragraphs), 1)
        self.df: Counter[str] = Counter(df or {})
        if df is None:  # an index from before term_df.json was written: count now
            for p in paragraphs:
                self.df.update(set(tokenize(p.embed_text)))

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log((self.n - df + 0.5) / (df + 0.5) + 1.0)

    def query_terms(
        self, query: str, places: list[str], skip: set[str] | frozenset = frozenset()
    ) -> dict[str, float]:
        """Content terms of a question with their weights; place names, question words and ``skip``
        (colloquial variants already replaced by their canonical term) left out."""
        skip = set(_QUESTION_WORDS) | set(skip)
        for region in places:
            skip.update(place_aliases(region))
        terms: dict[str, float] = {}
        for token in tokenize(query):
            if token in skip or any(token in alias for alias in skip if len(token) > 1 and token in alias):
                continue
            if len(token) == 1 and not token.isdigit():
                continue
            terms[token] = self.idf(token)
        # jieba's search mode also yields the parts of a compound (最低工资标准 → 最低, 工资, 标准); those
        # parts count for less, so a sentence needs the whole term to score fully.
        for token in list(terms):
            if any(token != other and token in other for other in terms):
                terms[token] *= 0.3
        return terms


def coverage(text: str, terms: dict[str, float]) -> float:
    """Weighted share of the question's terms that occur in the text (0..1)."""
    total = sum(terms.values())
    if not total:
        return 0.0
    folded = fold(text)
    return sum(w for t, w in terms.items() if fold(t) in folded) / total


@dataclass
class Evidence:
    paragraph: Paragraph
    rank: int
    doc: dict  # document metadata
    named: bool = False  # the question named this unit's section (第五章, 专栏6, 基本原则…)


@dataclass
class ScoredSentence:
    evidence: Evidence
    index: int  # position within the paragraph
    text: str
    score: float
    coverage: float


@dataclass
class ExtractivePlan:
    """What the extractive answer will say, before it is rendered (also used to decide refusals)."""

    sentences: list[ScoredSentence] = field(default_factory=list)
    lead: str = ""
    lead_evidence: Evidence | None = None
    best_coverage: float = 0.0


def units_of(p: Paragraph) -> list[str]:
    if p.kind in ("table_row", "outline"):
        return [p.text]
    return [s for s in split_sentences(p.text) if s.strip()]


def score_sentences(
    evidence: list[Evidence], terms: dict[str, float], info: QueryInfo
) -> list[ScoredSentence]:
    scored = []
    for ev in evidence:
        path_cov = coverage(ev.paragraph.section, terms)
        for i, sentence in enumerate(units_of(ev.paragraph)):
            cov = coverage(sentence, terms)
            combined = max(cov, 0.75 * cov + 0.25 * path_cov)
            score = combined + 0.2 / (1 + ev.rank)
            if info.numeric and _DIGIT.search(_LEADING_ORDINAL.sub("", sentence)):
                score += 0.15
            if info.years and not any(y in sentence or y in ev.paragraph.section for y in info.years):
                score -= 0.3
            scored.append(ScoredSentence(ev, i, sentence, score, combined))
    return scored


def plan_answer(evidence: list[Evidence], terms: dict[str, float], info: QueryInfo) -> ExtractivePlan:
    """Choose the sentences (and the numeric lead) an extractive answer should quote."""
    plan = ExtractivePlan()
    if not evidence:
        return plan
    scored = score_sentences(evidence, terms, info)
    plan.best_coverage = max((s.coverage for s in scored), default=0.0)
    named = [ev for ev in evidence if ev.named]
    figure_wanted = info.numeric and not (info.section_refs or info.structure)
    if named and not figure_wanted:
        plan.sentences = _section_overview(named)
        plan.best_coverage = 1.0  # the question named this section: answering it is not a guess
        return plan
    limit = MAX_SENTENCES_LISTING if info.listing else MAX_SENTENCES
    # A figure question wants the figure, not everything near it; a listing question wants breadth.
    keep_ratio = 0.8 if info.numeric and not info.listing else 0.6
    ranked = sorted(scored, key=lambda s: s.score, reverse=True)
    best = ranked[0].score
    chosen: list[ScoredSentence] = []
    paragraphs: list[str] = []
    for s in ranked:
        if s.score < keep_ratio * best or len(chosen) >= limit:
            break
        pid = s.evidence.paragraph.id
        if pid not in paragraphs and len(paragraphs) >= MAX_PARAGRAPHS:
            continue
        chosen.append(s)
        if pid not in paragraphs:
            paragraphs.append(pid)
    if info.compare:
        chosen = _cover_each_document(chosen, ranked, evidence)
    plan.sentences = chosen
    if info.numeric and not info.compare:  # a comparison has one figure per document: no single lead
        plan.lead, plan.lead_evidence = _numeric_lead(chosen, terms, info)
    return plan


def _section_overview(named: list[Evidence]) -> list[ScoredSentence]:
    """What a named section says: an outline whole, otherwise the opening sentences of each unit."""
    chosen: list[ScoredSentence] = []
    per_unit = 2 if len(named) > 1 else 3
    for ev in named:
        for i, sentence in enumerate(units_of(ev.paragraph)[:per_unit]):
            chosen.append(ScoredSentence(ev, i, sentence, 1.0, 1.0))
        if len(chosen) >= MAX_SENTENCES_LISTING:
            break
    return chosen[:MAX_SENTENCES_LISTING]


def _cover_each_document(chosen, ranked, evidence):
    docs = list(dict.fromkeys(ev.paragraph.doc_id for ev in evidence))
    covered = {s.evidence.paragraph.doc_id for s in chosen}
    for doc_id in docs:
        if doc_id not in covered:
            best = next((s for s in ranked if s.evidence.paragraph.doc_id == doc_id), None)
            if best is not None:
                chosen.append(best)
    return chosen


def _numeric_lead(chosen: list[ScoredSentence], terms: dict[str, float], info: QueryInfo):
    """The clause or table cell holding the asked-for figure, to put first."""
    for s in chosen:
        p = s.evidence.paragraph
        if p.kind == "table_row" and p.table.get("cells"):
            lead = _table_lead(p, info)
            if lead:
                return lead, s.evidence
        elif _DIGIT.search(s.text):
            all_clauses = _CLAUSE.findall(s.text)
            clauses = [i for i, c in enumerate(all_clauses) if _DIGIT.search(c)]
            if not clauses:
                continue
            i = max(clauses, key=lambda i: (coverage(all_clauses[i], terms), -len(all_clauses[i])))
            best = all_clauses[i]
            if len(best) < 14 and i > 0:  # "市城区达1700元/月" reads better with the clause before it
                best = all_clauses[i - 1] + best
            best = best.rstrip("，,：:；;。")
            if best and best != s.text.rstrip("，,：:；;。"):
                return _LEADING_ORDINAL.sub("", best.removeprefix("——")), s.evidence
            return "", None
    return "", None


def _table_lead(p: Paragraph, info: QueryInfo) -> str:
    header, cells = p.table["header"], p.table["cells"]
    if len(cells) < 2:
        return ""
    unit_col = next((i for i, h in enumerate(header) if "单位" in h), None)
    unit = cells[unit_col] if unit_col is not None and unit_col < len(cells) else ""
    year_cols = [i for i, h in enumerate(header) if re.search(r"\d{4}", h) and i < len(cells) and cells[i]]
    wanted = [i for i in year_cols if any(y in header[i] for y in info.years)]
    if not wanted and re.search(r"目标|规划|预期|到20|将|十四五", info.text) and year_cols:
        wanted = [year_cols[-1]]
    if not wanted:
        return ""
    indicator = _LEADING_ORDINAL.sub("", cells[0])
    col = wanted[0]
    value = cells[col]
    if not _DIGIT.search(value):
        return ""
    lead = f"{indicator}（{header[col]}）：{value}{'' if value.endswith(unit) else unit}"
    if "[" in value and p.table.get("note"):
        lead += f"（{p.table['note'].removeprefix('注：').removeprefix('注:')}）"
    return lead


@dataclass
class RenderedAnswer:
    text: str
    cited: list[Evidence]  # in citation-number order
    highlights: dict[str, list[str]]  # paragraph id → quoted sentences


def render_answer(plan: ExtractivePlan, mode: str) -> RenderedAnswer:
    """Lay the chosen sentences out by document, numbering paragraphs in order of first use."""
    order: list[Evidence] = []
    for s in plan.sentences:
        if s.evidence not in order:
            order.append(s.evidence)
    if plan.lead_evidence is not None and plan.lead_evidence in order:
        order.remove(plan.lead_evidence)
        order.insert(0, plan.lead_evidence)
    number = {ev.paragraph.id: n for n, ev in enumerate(order, start=1)}
    highlights: dict[str, list[str]] = {}
    groups: dict[str, dict] = {}
    for ev in order:
        quoted = sorted((s for s in plan.sentences if s.evidence is ev), key=lambda s: s.index)
        text = protect_brackets("".join(s.text for s in quoted).strip())
        if ev.paragraph.kind == "table_row" and ev.paragraph.table.get("title"):
            text = f"{ev.paragraph.table['title'].strip()}：{text}"
        highlights[ev.paragraph.id] = [s.text for s in quoted]
        group = groups.setdefault(
            ev.paragraph.doc_id,
            {
                "title": ev.doc.get("title", ev.paragraph.doc_id),
                "source": kind_info(ev.doc.get("kind", "")).source_line(
                    ev.doc.get("title", ev.paragraph.doc_id)
                ),
                "doc_number": ev.doc.get("doc_number", ""),
                "date": ev.doc.get("date", ""),
                "lines": [],
            },
        )
        group["lines"].append(f"{text}[{number[ev.paragraph.id]}]")
    notes = sorted({ev.paragraph.table["note"] for ev in order if ev.paragraph.table.get("note")})
    lead = ""
    if plan.lead and plan.lead_evidence is not None:
        lead = f"{protect_brackets(plan.lead)}[{number[plan.lead_evidence.paragraph.id]}]"
    template = "extractive_reply" if mode == "reply" else "extractive_answer"
    caveat = "".join(dict.fromkeys(kind_info(ev.doc.get("kind", "")).caveat for ev in order))
    text = render(template, lead=lead, groups=list(groups.values()), notes=notes, caveat=caveat)
    return RenderedAnswer(text, order, highlights)
