"""Offline answerer: a short, query-focused answer made only of sentences from the retrieved paragraphs.

Sentences are scored by how much of the question's (IDF-weighted) vocabulary they contain, with
a bonus for figures when the question asks for a number and a prior from the retrieval rank. For
numeric questions the clause (or table cell) holding the figure comes first. Every quoted
sentence carries the [n] of its paragraph; the only words that are not quoted are the fixed
frames in prompts/extractive_*.j2 (source line, plan-date caveat, reply courtesy).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from policyqa.assistant import select as selection
from policyqa.assistant.prompts import render
from policyqa.assistant.query import QueryInfo, place_aliases
from policyqa.assistant.reply import ReplyWording, reply_wording
from policyqa.assistant.slots import (
    PLAN_NAME,
    QuestionWords,
    Slots,
    afterword_of,
    asking_clause,
    situation_of,
    split_context,
    without_afterword,
)
from policyqa.core.text import CITATION_MARK, ITEM_MARK, fold, protect_brackets
from policyqa.index.chunk import Paragraph
from policyqa.index.metadata import kind_info
from policyqa.index.sparse import tokenize

_DIGIT = re.compile(r"\d")
_A_NOT_A = re.compile(r"(\w)[不没]\1")
_BOTH_PLACES = re.compile(r"两(?:个|座)?(?:城市|地方|市|地)")
# the asker's age or a span (四十多岁, 三个月), never a topic
_NUMBER_WORD = re.compile(
    r"[一二三四五六七八九十两几多半]+[岁个月年天周]*|[一二三四五六七八九十两几多半]*[岁个月天周]+"
)
_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|[年月]底|年内|年前|上半年|下半年|季度|每年|每\d+年")
_LEADING_ORDINAL = re.compile(r"^\d{1,2}[.．、]\s*")
ITEM_BODY_SENTENCES = 2
LIST_ON_TOPIC = 0.2  # a list question some sentence covers this well…
LIST_OFF_TOPIC = 0.15  # …quotes no sentence covering less than this share of the best one's coverage
MAX_SENTENCES = 3
MAX_SENTENCES_LISTING = 6
MAX_ITEM_TITLE = 24  # a numbered item's opening unit this short is its title (3.高技能人才“传帮带”计划。)
MAX_SENTENCES_FILLED = 10  # a list's quoted paragraphs may add their other on-topic sentences up to this
VERBATIM_BONUS = 0.3  # a figure saying more of the question's words around its indicator ranks higher
MAX_PARAGRAPHS = 3
MAX_REPLY_SUPPORT = 3  # a reply draft: the answer, then at most this many supporting sentences
REPLY_FIRST_SENTENCES = 2  # …and an answer quoted from a paragraph says at most this many of its sentences
MAX_SIBLINGS = 1  # a list may add one more paragraph of a section it quotes…
SIBLING_FLOOR = 0.3  # …whose best sentence scores at least this share of the best one (it missed the cut)
MAX_PARAGRAPHS_LISTING = 4  # measures spread over sections: a listing shows one more paragraph
MAX_SECTION_UNITS = 8  # a named section's units, one opening sentence each
WIDEN_SENTENCES = 3  # a measures answer also quotes this many sentences after its best match
MEASURE_FLOOR = 0.25
MEANING_CLIP = 2.0  # standard deviations  # …whose best forward-looking sentence leads if it scores this share of the best


class TermWeights:
    """Inverse document frequencies of jieba tokens over all indexed units."""

    def __init__(
        self,
        paragraphs: list[Paragraph],
        df: dict[str, int] | None = None,
        question_words: frozenset[str] = frozenset(),
    ):
        self.question_words = question_words  # the profile's question_words.txt: they ask, never name
        self.n = max(len(paragraphs), 1)
        self.df: Counter[str] = Counter(df or {})
        if df is None:  # an index from before term_df.json was written: count now
            for p in paragraphs:
                self.df.update(set(tokenize(p.embed_text)))

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log((self.n - df + 0.5) / (df + 0.5) + 1.0)

    def query_terms(
        self,
        query: str,
        places: list[str],
        skip: set[str] | frozenset = frozenset(),
        keep: set[str] | frozenset = frozenset(),
    ) -> dict[str, float]:
        """Content terms of a question with their weights; place names, question words and ``skip``
        (colloquial variants already replaced by their canonical term) left out, but never a word of
        ``keep`` (the canonical terms: 就业 stays though the variant 就业岗位 holds it)."""
        skip = set(self.question_words) | set(skip)
        for region in places:
            skip.update(place_aliases(region))
        # A place name followed by a word can be cut as one token (长沙人才总量 → 长沙人 / 才 / 总量): cut
        # the question at the place names first.
        for alias in sorted((a for r in places for a in place_aliases(r)), key=len, reverse=True):
            query = query.replace(alias, f" {alias} ")
        query = _A_NOT_A.sub(" ", query)  # 能不能, 管不管, 给没给: the asking form, not the topic
        query = _HOW_MUCH.sub(r" \g<0> ", query)  # 多大规模 cut as 多 / 大规模: 多大 asks, 规模 is the topic
        query = _BOTH_PLACES.sub(" ", query)  # 两个城市…谁多: which places, not what about them
        terms: dict[str, float] = {}
        for token in (self._known_part(t) for t in tokenize(query)):
            kept = any(token in term for term in keep)
            if not kept and (token in skip or any(len(token) > 1 and token in alias for alias in skip)):
                continue
            if len(token) == 1 and not token.isdigit():
                continue
            if _NUMBER_WORD.fullmatch(token) and not PLAN_NAME.fullmatch(token):  # 四十多岁, 三个月
                continue
            terms[token] = self.idf(token)
        # jieba's search mode also yields the parts of a compound (最低工资标准 → 最低, 工资, 标准); those
        # parts count for less, so a sentence needs the whole term to score fully.
        for token in list(terms):
            if any(token != other and token in other for other in terms):
                terms[token] *= 0.3
        return terms

    def _known_part(self, token: str) -> str:
        """A token the documents never use that ends or starts with a word they do (三个月工资 cut as
        三个 / 月工资): that word."""
        if len(token) < 3 or self.df.get(token, 0):
            return token
        for size in range(len(token) - 1, 1, -1):
            for part in (token[-size:], token[:size]):
                if self.df.get(part, 0):
                    return part
        return token


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
    past: bool = False  # reviews the last plan period (a measures question asks what this one will do)


@dataclass
class ExtractivePlan:
    """What the extractive answer will say, before it is rendered (also used to decide refusals)."""

    sentences: list[ScoredSentence] = field(default_factory=list)
    lead: str = ""
    indicator: str = ""  # what the question measures, in its own words (专业技术人才总量)
    lead_evidence: Evidence | None = None
    leads: list[tuple[str, Evidence]] = field(default_factory=list)  # one per document, for comparisons
    best_coverage: float = 0.0
    selection: selection.Selection | None = None  # the slot-matched figure, or why none matched
    caveats: list[str] = field(default_factory=list)  # e.g. a county asked, the city's measures given
    not_stated: list[str] = field(default_factory=list)  # compared places whose documents lack the figure
    summary: tuple[str, Evidence] | None = None  # a list's one-line answer: its best item, place and period
    asked_heads: list[str] = field(default_factory=list)  # head nouns of the asking clause (all terms)
    summary_parts: tuple[str, str] = ("", "")  # that line's head (长沙市“十四五”规划提出) and its body
    alternatives: dict[str, set[str]] = field(default_factory=dict)  # term → the question's words for it
    level: tuple[str, Evidence] | None = None  # "会不会涨": the latest level stated, after the summary


_HOW_MUCH = re.compile(r"(?<![很更许较诸众好太最])多(?:大|高|长|久)")  # not 更多高技能人才, 很多大学生


def _has_figure(sentence: str) -> bool:
    """A digit beyond the sentence's own list number ("3.…")."""
    return bool(_DIGIT.search(_LEADING_ORDINAL.sub("", sentence)))


def score_sentences(
    evidence: list[Evidence],
    terms: dict[str, float],
    info: QueryInfo,
    measures: bool = False,
    alternatives: dict[str, set[str]] | None = None,
    meaning: dict[tuple[str, int], float] | None = None,
) -> list[ScoredSentence]:
    """``measures``: the question asks what a plan will do (a list, no past period or year asked).
    ``alternatives``: a term's other names (the everyday word the question used), each as good as it.
    ``meaning``: (paragraph id, unit index) → a score bonus for closeness in meaning to the question
    (see ``sentence_meaning``): it ranks "健全农民工工资支付预警制度" for "怎么治欠薪" though no word is shared."""
    meaning = meaning or {}
    scored = []
    for ev in evidence:
        path_cov = selection.coverage(ev.paragraph.section, terms, alternatives)
        for i, sentence in enumerate(ev.paragraph.units):
            cov = selection.coverage(sentence, terms, alternatives)
            combined = max(cov, 0.75 * cov + 0.25 * path_cov)
            score = combined + 0.2 / (1 + ev.rank) + meaning.get((ev.paragraph.id, i), 0.0)
            if info.numeric and _has_figure(sentence):
                score += 0.15
            if info.years and not any(y in sentence or y in ev.paragraph.section for y in info.years):
                score -= 0.3
            if ev.paragraph.kind == "outline" and not (info.structure or ev.named):
                score -= 0.2  # a chapter's list of section titles says what it covers, not what it does
            past = measures and _reviews_the_past(sentence, ev)
            if past:
                score -= 0.2  # "有哪些措施" asks what the plan will do, not what the last one achieved
            scored.append(ScoredSentence(ev, i, sentence, score, combined, past))
    return scored


def sentence_meaning(
    evidence: list[Evidence], vectors: dict | None, query_vector, weight: float
) -> dict[tuple[str, int], float]:
    """Each retrieved sentence's similarity to the question, standardised over these sentences (a
    small embedder's cosines crowd into 0.8–0.9; what matters is which stand out) and weighted."""
    if not vectors or query_vector is None or not weight:
        return {}
    keys, sims = [], []
    for ev in evidence:
        rows = vectors.get(ev.paragraph.id)
        if rows is None or rows.digest != ev.paragraph.units_digest:
            continue  # vectors from another cut of this unit: leave it to shared words
        keys.extend((ev.paragraph.id, i) for i in range(len(rows.vectors)))
        sims.extend((rows.vectors @ query_vector).tolist())
    if len(sims) < 2:
        return {}
    mean = sum(sims) / len(sims)
    spread = math.sqrt(sum((s - mean) ** 2 for s in sims) / len(sims)) or 1.0
    # clipped: closeness in meaning breaks ties between sentences, it does not override shared words
    return {
        key: weight * max(-MEANING_CLIP, min(MEANING_CLIP, (s - mean) / spread))
        for key, s in zip(keys, sims, strict=True)
    }


def plan_answer(
    evidence: list[Evidence],
    terms: dict[str, float],
    info: QueryInfo,
    slots: Slots | None = None,
    words: QuestionWords | None = None,
    periods: dict | None = None,
    df=None,
    thesaurus: dict[str, str] | None = None,
    pool: list[Evidence] | None = None,
    meaning: dict[tuple[str, int], float] | None = None,
) -> ExtractivePlan:
    """Choose the sentences (and the slot-matched lead) an extractive answer should quote.

    ``pool``: a wider set of retrieved paragraphs the asked figure may be found in (the top-k
    ``evidence`` plus the next ones); the lead's paragraph is then quoted and cited like any other."""
    alternatives = _alternatives(info, thesaurus or {})
    plan = _plan_sentences(evidence, terms, info, slots, alternatives, meaning)
    plan.alternatives = alternatives  # the refusal check judges the quoted sentences by them too
    if not evidence or slots is None or words is None:
        return plan
    periods = periods or {}
    first = _first_part(info.text, words)  # its head nouns, in its order
    asking = (
        asking_clause(first, words) or first
    )  # "失业金能领多少，我交了5年社保": the first clause names it
    # the head nouns of what is asked, not of the asker's situation or an aside (the pipeline's checks)
    plan.asked_heads = list(selection.head_terms(terms, asking, alternatives))
    # "那博士后工作站呢，要建几个": the question names it outside the asking clause; "当初定的目标呢": the
    # context names it
    texts = (asking, first, split_context(info.text)[1])
    plan.indicator = next(
        (p for t in texts if (p := _indicator_phrase(terms, t, slots, words, alternatives))), ""
    )
    heads_only = next(
        (p for t in texts if (p := _indicator_phrase(terms, t, slots, words, alternatives, modifiers=False))),
        "",
    )
    topic = _topic_terms(terms, df)
    # "我刚下岗，…新增多少工作岗位": the asker's situation names no indicator; "那电子社保卡发了多少（上文：
    # …社会保障卡发卡数…）": a follow-up that names its own topic is asked about that one
    own = {t: w for t, w in topic.items() if _said(t, first, alternatives)}
    if (
        situation_of(info.text, words)
        or afterword_of(_asked_part(info.text), words)
        or (split_context(info.text)[1] and selection.head_terms(own, first, alternatives))
    ):
        topic = own or topic
    cands = selection.candidates(pool or evidence, topic, words, alternatives, first)
    _prefer_verbatim(cands, heads_only, asking)
    if df is not None and _unknown_indicator(terms, df, alternatives, info.text, words):
        for c in cands:  # no figure can name an indicator the documents never mention
            c.heads_held = False
    # A figure is wanted when the question asks for one (an amount, rate, count…), or when it reads as
    # numeric and asks for nothing else (not a reason, a yes/no, a list).
    wants_figure = (
        (slots.figure or (info.numeric and not slots.value)) and not info.listing and not slots.metadata
    )
    if info.compare and wants_figure:
        leads, missing = _per_document_leads(cands, slots, periods, evidence, strict=info.verdict)
        asked = f"{plan.indicator}的{'目标' if slots.period == 'target' else ''}数值"
        if leads and missing and info.verdict:  # "哪个目标更高", one sets none: no verdict can be given
            plan.selection = selection.Selection(
                related=leads, mismatch="compare", not_stated=f"{'、'.join(missing)}{asked}，无法比较"
            )
            return plan
        plan.leads = [(selection.lead_text(c, periods), c.evidence) for c in leads]
        if plan.leads:  # "分别是多少", one of them gives none: said first, before the other's figure
            plan.not_stated = [f"经查询，所提供的文件未载明{region}{asked}。" for region in missing]
        if plan.leads or not info.verdict:
            return plan
        # a verdict asked and no document gives the figure: judged as one question (which slot fails)
    if wants_figure and not info.compare:
        parts = _indicator_parts(asking, topic, alternatives)
        if parts:
            leads = _part_leads(parts, pool or evidence, words, alternatives, slots, periods)
            if leads:
                plan.leads = [(selection.lead_text(c, periods), c.evidence) for c in leads]
                for c in reversed(leads):
                    _quote_first(plan, c)
                return plan
    plan.selection = selection.select(cands, slots, periods)
    if wants_figure and plan.selection.mismatch == "period" and _result_asked_too(info.text, slots, words):
        _reached_with_target_unstated(plan, cands, slots, periods)
        if plan.leads:
            return plan
    if wants_figure and plan.selection.lead is None and not plan.selection.mismatch:
        _qualifier_unmatched(plan, cands, topic, alternatives, evidence)
    says_when = any(_DATE.search(s.text) for s in plan.sentences)
    if slots.value == "date" and not slots.metadata and plan.sentences and not says_when:
        says_when = _when_in_section(plan, pool or evidence, topic)
    if slots.value == "date" and not slots.metadata and plan.sentences and not says_when:
        # "什么时候能涨": none of the matching sentences says when
        related = [_sentence_candidate(s, periods) for s in plan.sentences[:2]]
        plan.selection = selection.Selection(related=related, mismatch="date")
    if not _topic_terms(terms, df) and plan.selection.mismatch == "topic":
        plan.selection.mismatch = ""  # no topic words left to judge by ("多少项主要指标"): no verdict
    lead = plan.selection.lead
    if wants_figure and lead is not None:
        focus = selection.focus_pair(lead, slots, words)
        plan.lead = selection.lead_text(lead, periods, focus=focus)
        if not slots.period:  # no period asked: the row's target beside its latest result
            plan.lead += selection.target_beside(lead, cands)
        plan.lead_evidence = lead.evidence
        _quote_first(plan, lead)
    if not wants_figure and plan.lead == "" and not plan.leads and not info.compare and not info.structure:
        heads = selection.head_terms(topic, first, alternatives)
        listing = words.value.get("listing")  # "有哪些措施": 措施 says a list is asked, not what it is about
        heads = {h: w for h, w in heads.items() if not (listing and listing.fullmatch(h))} or heads
        plan.summary = _summary(
            plan,
            periods,
            lambda text: selection.holds_heads(text, heads, alternatives),
            slots.period != "past",
        )
    rise = words.change.get("rise")
    if plan.summary is not None and slots.value == "yesno" and rise and rise.search(first):
        _add_level(plan, cands, periods)
    if slots.sub_places and not wants_figure:
        names = "、".join(p.name for p in slots.sub_places)
        regions = "、".join(
            dict.fromkeys(
                s.evidence.doc.get("region", "") for s in plan.sentences if s.evidence.doc.get("region")
            )
        )
        if regions:
            plan.caveats.append(
                f"以下为{regions}的规划内容，适用于{names}；文件未单独载明{names}的具体安排。"
            )
    return plan


_AND = re.compile(r"和|与|及|以及|、|跟|还有")


def _indicator_parts(
    asking: str, topic: dict[str, float], alternatives: dict[str, set[str]]
) -> list[dict[str, float]]:
    """Two indicators asked at once ("养老保险和失业保险参保各多少人", "城镇新增就业和失业率的目标"): the topic
    terms said before the joining word, and those after it; [] when the question names one indicator."""
    folded = fold(asking)

    def at(term: str) -> int:
        found = [folded.find(fold(a)) for a in {term} | alternatives.get(term, set())]
        return min((i for i in found if i >= 0), default=-1)

    heads = selection.head_terms(topic, asking, alternatives)
    where = {t: i for t in topic if (i := at(t)) >= 0}
    for m in _AND.finditer(folded):
        before = {t: w for t, w in topic.items() if 0 <= where.get(t, -1) < m.start()}
        after = {t: w for t, w in topic.items() if where.get(t, -1) >= m.end()}
        if any(h in before for h in heads) and any(h in after for h in heads):
            last = max(where[h] + len(h) for h in heads if h in after)
            shared = {t: w for t, w in after.items() if where[t] >= last}  # 参保 after both: said of both
            return [before | shared, after]
    return []


def _part_leads(parts, evidence, words, alternatives, slots, periods) -> list:
    """Each asked indicator's own figure, when every one of them has one (else none: judged as one question)."""
    leads = []
    for part in parts:
        chosen = selection.select(selection.candidates(evidence, part, words, alternatives), slots, periods)
        if chosen.lead is None or any(chosen.lead.text == c.text for c in leads):
            return []
        leads.append(chosen.lead)
    return leads


def _prefer_verbatim(cands: list, indicator: str, clause: str) -> None:
    """ "能拿多少一次性创业补贴": of the figures naming the indicator (创业补贴), the ones that say more of
    the question's own words around it (一次性创业补贴, not 一次性求职创业补贴) rank higher."""
    if not indicator or indicator not in clause:
        return
    spans = {id(c): _verbatim_span(clause, indicator, c.text) for c in cands}
    longest = max(spans.values(), default=0)
    if longest <= len(indicator) + 1:  # one more character (是, 的) says nothing
        return
    for c in cands:  # a tie-break among the figures already on the topic, never a way onto it
        if spans[id(c)] == longest and c.topic >= selection.LEAD_MIN_TOPIC:
            c.topic += VERBATIM_BONUS


def _verbatim_span(clause: str, indicator: str, text: str) -> int:
    """How long a stretch of ``clause`` around ``indicator`` ``text`` says word for word (0: not even it)."""
    start = clause.find(indicator)
    end = start + len(indicator)
    if indicator not in text:
        return 0
    while start > 0 and clause[start - 1 : end] in text:
        start -= 1
    while end < len(clause) and clause[start : end + 1] in text:
        end += 1
    return end - start


def _indicator_phrase(
    terms: dict[str, float],
    question: str,
    slots: Slots,
    words: QuestionWords,
    alternatives: dict[str, set[str]] | None = None,
    modifiers: bool = True,
) -> str:
    """The stretch of the question from its first to its last head noun (or the everyday word it was
    said in), without the place it opens with: "长沙专业技术人才总量有多少" → 专业技术人才总量 (for
    "文件未载明…的数据"); with ``modifiers``, the terms right before it too (就业见习补贴, not 补贴)."""
    named = {t: w for t, w in terms.items() if not re.fullmatch(r"\d+", t) and t not in words.slot_terms}
    heads = selection.head_terms(named, question, alternatives)
    said = [w for t in heads for w in {t} | (alternatives or {}).get(t, set())]
    spans = [(question.find(w), question.find(w) + len(w)) for w in said]
    spans = [(a, b) for a, b in spans if a >= 0]
    if not spans:
        return ""
    start = min(a for a, _ in spans)
    while modifiers and (
        modifier := next((t for t in named if _modifier(t) and question[:start].endswith(t)), "")
    ):
        start -= len(modifier)  # 就业见习补贴: the words right before the head noun name it too
    phrase = question[start : max(b for _, b in spans)]
    # "政府能给多少创业贷款" → 创业贷款: the asking words are not part of the indicator's name
    parts = [part for part in re.split(_ASKING_WORDS, phrase) if any(w in part for w in said)]
    phrase = "的".join(p.strip("的") for p in parts) if parts else phrase
    # "技能人才，到最后总数", "社保卡到2025年要做到多少人持卡": its head nouns, in the question's order
    if re.search(r"[，,；;。、]|20\d\d|十[一二三四五]五", phrase):
        phrase = (
            "".join(
                next((w for w in (t, *(alternatives or {}).get(t, ())) if w in phrase), "") for t in heads
            )
            or phrase
        )
    for place in slots.places:
        for name in sorted({place.name, place.name.rstrip("市县区")}, key=len, reverse=True):
            phrase = phrase.removeprefix(name)
    return phrase.strip("的，, ") if 2 <= len(phrase) <= 24 else ""


def _modifier(term: str) -> bool:
    """A term that can name part of an indicator (就业, 见习): no asking word, number or measure word (几所)."""
    return len(term) >= 2 and not _ASKING_WORDS.search(term) and not re.search(r"[\d几多少]", term)


def _qualifier_unmatched(
    plan, cands, topic: dict[str, float], alternatives, evidence: list[Evidence]
) -> None:
    """The figures that name the asked indicator all lack a noun the question narrows it with, a noun
    the documents do use elsewhere ("城乡居民基本养老保险参保人数" against "全市基本养老保险参保190万人"):
    the narrower figure is not stated; those figures are related information."""
    held = [c for c in cands if c.heads_held and c.topic >= selection.RELATED_MIN_TOPIC]
    if not held:
        return
    texts = [fold(c.sentence) for c in held]
    used = fold(" ".join(ev.paragraph.text for ev in evidence))

    def said(term: str, text: str) -> bool:
        return any(fold(a) in text for a in {term} | alternatives.get(term, set()))

    narrowing = [
        t
        for t in topic
        if len(t) >= 2
        and selection.is_noun(t)
        and said(t, used)
        and not any(said(t, text) for text in texts)
        and not any(t != o and t in o for o in topic)
    ]
    if narrowing:
        plan.selection = selection.Selection(related=held[:2], mismatch="topic")


SUMMARY_CHARS = 120  # a summary line longer than this is cut at a clause boundary


def _summary(
    plan: ExtractivePlan, periods: dict, names_topic, ahead: bool = True
) -> tuple[str, Evidence] | None:
    """A list's or a yes/no question's first line: its best-matching sentence with the place and period
    it belongs to (长沙市“十四五”规划目标：…), so the first line answers before the quotes. None for a
    named section's overview (its outline is the summary), when only table rows matched, or when the best
    sentence does not name what was asked about (吸引人才 answered by 吸引…机构入驻园区)."""
    if any(s.evidence.named and s.evidence.paragraph.kind == "outline" for s in plan.sentences):
        return None  # a named chapter's outline is its summary
    prose = [
        s
        for s in plan.sentences
        if s.evidence.paragraph.kind not in ("table_row", "outline") and not _is_item_title(s)
    ]  # a numbered item's bare title ("1.和谐劳动关系公共服务能力提升计划。") answers nothing
    # what the plan will do answers before a review of the last period (unless the past is asked)
    best = next((s for s in prose if not s.past or not ahead), prose[0] if prose else None)
    if best is None or not names_topic(best.text):
        return None
    ev = best.evidence
    period = periods.get(ev.paragraph.doc_id) or selection.DocPeriod.of(ev.doc)
    label = selection.label_period(best.text, ev.paragraph.section, period).text(period)
    label = selection.measure_label(label)  # a measure, not a goal
    if period.beyond(best.text):
        label = "规划提出"  # "展望2035年，…": a vision beyond the plan period is no “十四五” measure
    text = _LEADING_ORDINAL.sub("", best.text).strip()
    if label and not period.is_plan and re.match(rf"(?:到|截至|截止)?{label}", text):
        label = ""  # "到2028年，…" says its year: no "2028年：" before it
    region = ev.doc.get("region", "")
    head = ("" if region and best.text.startswith(region) else region) + label
    untitled = _RUN_IN_TITLE.sub("", text)
    text = untitled if len(untitled) > 10 else text  # "2035年远景目标：展望…": the head says what it is
    if len(text) > SUMMARY_CHARS:
        cut = max(text.rfind(mark, 40, SUMMARY_CHARS) for mark in "，；,;")
        text = text[: cut if cut > 0 else SUMMARY_CHARS].rstrip("，；,;") + "……"
    elif not _has_figure(best.text):  # a line already cut short takes no more
        text = _with_figure(text, best, plan.sentences, period)
    plan.summary_parts = (head, text)
    return (f"{head}：{text}" if head else text), ev


def _with_figure(text: str, best: ScoredSentence, quoted: list[ScoredSentence], period) -> str:
    """The summary's paragraph commits to a number as well ("每年开展高校毕业生专场招聘会15场以上"):
    it is said on the first line too, after the best sentence — only a sentence on the topic, of the
    same period as the best one (the line's label is the best sentence's), within the plan period."""
    same = [
        s
        for s in quoted
        if s.evidence.paragraph.id == best.evidence.paragraph.id
        and s is not best
        and _has_figure(s.text)
        and s.coverage > 0
        and s.past == best.past
        and not period.beyond(s.text)
    ]
    if not same:
        return text
    extra = _LEADING_ORDINAL.sub("", max(same, key=lambda s: s.score).text).rstrip("。；;")
    figure = extra
    if len(extra) > SUMMARY_CHARS // 2:  # a long sentence: from its first clause with a figure to its last
        spans = [m.span() for m in re.finditer(r"[^，,；;]+", extra) if _DIGIT.search(m.group())]
        figure = extra[spans[0][0] : spans[-1][1]]
    return text.rstrip("。；;…") + "；" + figure + "。"


def not_mentioned(plan: ExtractivePlan, phrase: str, periods: dict) -> None:
    """The documents say nothing of what ``phrase`` names: the plan's best sentences become related information."""
    related = [_sentence_candidate(s, periods) for s in plan.sentences[:2]]
    plan.selection = selection.Selection(related=related, mismatch="group", not_stated=phrase)


def _sentence_candidate(s: ScoredSentence, periods: dict) -> selection.Candidate:
    """A quoted sentence as related information for a 未载明 answer (labelled with its place and period)."""
    ev = s.evidence
    period = periods.get(ev.paragraph.doc_id, selection.DocPeriod.of(ev.doc))
    label = selection.label_period(s.text, ev.paragraph.section, period)
    text = _LEADING_ORDINAL.sub("", s.text).rstrip("。；;")
    region = ev.doc.get("region", "")
    return selection.Candidate(
        ev, text, s.text, label, [], s.coverage, s.coverage, False, False, set(), region
    )


_ASKING_WORDS = re.compile(
    r"(?:现在|目前|如今)?(?:能|可以|可|要|打算)?(?:给|拿|领|贷|减|补|发|有|是|达到|达)?了?(?:多少|几)"
    r"|(?:现在|目前|如今)?是?(?:按照?|根据)?(?:什么|啥)"  # "失业金现在是按什么标准" → 失业金, 标准
    r"|现在|目前|如今"  # "失业金现在标准是多少" → 失业金, 标准
)


def _first_part(question: str, words: QuestionWords) -> str:
    """The first question of a message, without a follow-up's context ("…多少钱？什么时候报？" → "…多少钱")
    and without the asker's own situation before it ("我刚下岗，…新增多少工作岗位" → "…新增多少工作岗位")."""
    asked = _asked_part(question)
    first = next((q for q in re.split(r"[？?]", asked) if q.strip()), asked)
    return _without_asides(first, words)


def _without_asides(question: str, words: QuestionWords) -> str:
    """The question without the asker's situation before it and the afterwords after it."""
    return without_afterword(question[len(situation_of(question, words)) :], words)


def _said(term: str, text: str, alternatives: dict[str, set[str]]) -> bool:
    """The text says the term, or the everyday word of a term it is part of (失业 ← 失业人员 ← 下岗)."""
    folded = fold(text)
    if fold(term) in folded:
        return True
    return any(
        term in official and any(fold(a) in folded for a in said) for official, said in alternatives.items()
    )


def _asked_part(question: str) -> str:
    """A rewritten follow-up without its context: "那…覆盖率要达到多少（上文：…）" → "那…覆盖率要达到多少"."""
    return split_context(question)[0]


def _unknown_indicator(
    terms: dict[str, float], df, alternatives: dict[str, set[str]], question: str, words: QuestionWords
) -> bool:
    """The question's last noun, the name of what it measures (网上可办率 in 政务服务事项网上可办率), is a
    word no document uses, and no thesaurus entry stands for it. Value nouns (比例, 人数) name the kind
    of value, not the indicator, and are passed over."""
    spoken = set().union(*alternatives.values()) if alternatives else set()
    named = {t: w for t, w in terms.items() if not re.fullmatch(r"\d+", t) and t not in words.implied}
    question = _without_asides(_asked_part(question), words)  # 我印象是七十几万: no indicator named
    parts = [q for q in re.split(r"[？?]", question) if q.strip()] or [question]
    for part in parts:  # "…多少钱？什么时候报？": every part's indicator must be unknown
        heads = {t: w for t, w in selection.head_terms(named, part, alternatives).items() if t in part}
        if not heads:
            return False
        last = list(heads)[-1]
        if df.get(last, 0) > 0 or last in spoken or last in alternatives:
            return False
    return True


def _alternatives(info: QueryInfo, thesaurus: dict[str, str]) -> dict[str, set[str]]:
    """Official term → the everyday words of the question it stands for (社会保险 → {社保})."""
    out: dict[str, set[str]] = {}
    for variant in info.synonym_variants:
        out.setdefault(thesaurus.get(variant, variant), set()).add(variant)
    for term, others in info.related.items():  # 高技能人才 ~ 高级工以上: the row that names it otherwise
        out.setdefault(term, set()).update(others)
    return out


def _topic_terms(terms: dict[str, float], df=None) -> dict[str, float]:
    """The question's topic: its terms that occur in the corpus (an absent word cannot be matched by any
    candidate, it only makes every one look worse; absent terms are a refusal signal instead)."""
    from policyqa.index.sparse import pos_tags

    kept = {
        t: w for t, w in terms.items() if not re.fullmatch(r"\d+", t) and (df is None or df.get(t, 0) > 0)
    }
    return {t: w * (0.5 if _is_verb(pos_tags(t)) else 1.0) for t, w in kept.items()}


def _is_verb(tags: list[str]) -> bool:
    """Verbs (涉及, 帮助, 引进) say what happens; nouns (人次, 人事考试) name what is counted: verbs count half."""
    return bool(tags) and tags[-1].startswith("v") and tags[-1] != "vn"


def _per_document_leads(cands, slots, periods, evidence, strict: bool = False) -> tuple[list, list[str]]:
    """Each compared document's figure for the asked slots (its candidate), and the regions of asked
    places whose documents give none (``strict``, for a verdict: whatever the reason none was chosen)."""
    leads, missing = [], []
    asked = {p.name for p in slots.places}
    for doc_id in dict.fromkeys(ev.paragraph.doc_id for ev in evidence):
        chosen = selection.select([c for c in cands if c.evidence.paragraph.doc_id == doc_id], slots, periods)
        if chosen.lead is not None:
            leads.append(chosen.lead)
        elif strict or (chosen.mismatch and chosen.mismatch != "topic"):  # a verdict, not "none found"
            region = next((ev.doc.get("region", "") for ev in evidence if ev.paragraph.doc_id == doc_id), "")
            if region and (region in asked or not asked):  # 两个市…一样吗: every compared place is asked
                missing.append(region)
    return leads, missing


def _add_level(plan: ExtractivePlan, cands: list, periods: dict) -> None:
    """ "城乡居民养老金以后会不会涨": beside the plan's commitment (稳步提高…水平), the latest amount the
    documents state for it, labelled with its period (“十三五”时期：…从75元/月增加到113元/月)."""
    if _has_figure(plan.summary[0]):
        return
    levels = [
        c
        for c in sorted(cands, key=selection.rank_key, reverse=True)
        if (c.heads_held or c.topic >= selection.LEAD_MIN_TOPIC)  # the line names its own indicator
        and c.topic >= selection.RELATED_MIN_TOPIC
        and "amount" in c.value_kinds
        and c.period.kind == "past"
        and not c.period.goal
    ]
    if levels and _insert_quote(plan, levels[0], position=1, score=0.0, fallback=False):
        plan.level = (selection.lead_text(levels[0], periods), levels[0].evidence)


def _quote_first(plan: ExtractivePlan, lead) -> None:
    """The lead's own sentence is quoted first among the supporting sentences."""
    _insert_quote(plan, lead, position=0, score=9.0, fallback=True)


def _insert_quote(plan: ExtractivePlan, cand, position: int, score: float, fallback: bool) -> bool:
    """Quote a candidate figure's own sentence at ``position`` among the quoted sentences (moved there if
    already quoted), within the paragraph limit. Without ``fallback`` a sentence not found among its
    paragraph's units is not quoted (False); with it the paragraph's first unit stands for it."""
    units = cand.evidence.paragraph.units
    index = next((i for i, u in enumerate(units) if cand.sentence in u or u in cand.sentence), None)
    if index is None and not fallback:
        return False
    index = index or 0
    same = cand.evidence.paragraph.id
    plan.sentences = [s for s in plan.sentences if not (s.evidence.paragraph.id == same and s.index == index)]
    text = units[index] if units else cand.sentence
    plan.sentences.insert(position, ScoredSentence(cand.evidence, index, text, score, cand.topic))
    paragraphs = list(dict.fromkeys(s.evidence.paragraph.id for s in plan.sentences))[:MAX_PARAGRAPHS]
    plan.sentences = [s for s in plan.sentences if s.evidence.paragraph.id in paragraphs]
    return cand.evidence.paragraph.id in paragraphs


# a deadline (于5月31日前, 年底前), not just a year a sentence speaks of
_DEADLINE = re.compile(r"\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*(?:前|之前|以前|底)|[年月]底前|年内")
_NUMBERED_ITEM = re.compile(r"\d{1,2}[.．、]")  # a numbered item's heading (1.补贴对象和标准)


def item_section(p: Paragraph) -> tuple:
    """The section a paragraph belongs to, a numbered item's being the one above it (1.补贴对象和标准 and
    2.申报和发放 are one section's items)."""
    path = p.section_path
    if len(path) >= 2 and _NUMBERED_ITEM.match(path[-1]):
        path = path[:-1]
    return (p.doc_id, tuple(path))


def _when_in_section(plan: ExtractivePlan, evidence: list[Evidence], topic: dict[str, float]) -> bool:
    """ "求职创业补贴什么时候发": the best sentence names the thing (1.补贴对象和标准…), another paragraph of
    its section sets the deadline (2.申报和发放。…于5月31日前审核发放到位): that one is quoted first."""
    section = item_section(plan.sentences[0].evidence.paragraph)
    quoted = {s.evidence.paragraph.id for s in plan.sentences}
    for ev in evidence:
        if item_section(ev.paragraph) != section or ev.paragraph.id in quoted:
            continue
        for i, unit in enumerate(ev.paragraph.units):
            if _DEADLINE.search(unit) and selection.coverage(unit, topic) > 0:  # about the asked thing
                plan.sentences.insert(0, ScoredSentence(ev, i, unit, plan.sentences[0].score, 0.0))
                return True
    return False


def _reviews_the_past(sentence: str, ev: Evidence) -> bool:
    period = selection.DocPeriod.of(ev.doc)
    return period.is_plan and selection.label_period(sentence, ev.paragraph.section, period).kind == "past"


def _result_asked_too(text: str, slots: Slots, words: QuestionWords) -> bool:
    """Two periods asked ("社保卡持卡人数有好多了？目标多少"): one clause the target, another what is reached."""
    figure, target = words.value.get("figure"), words.period.get("target")
    if slots.period != "target" or figure is None or target is None:
        return False
    reached = [words.period[k] for k in ("past", "now", "reached") if k in words.period]
    asked = words.standard(split_context(text)[0])
    clauses = [c for c in re.split(r"[，,；;。？?！!]", asked) if figure.search(c)]
    return any(target.search(c) for c in clauses) and any(
        not target.search(c) and any(r.search(c) for r in reached) for c in clauses
    )


def _reached_with_target_unstated(plan: ExtractivePlan, cands: list, slots: Slots, periods: dict) -> None:
    """The figure reached answers its clause; the target no document sets is said not stated, first."""
    past = dataclasses.replace(slots, period="past")
    chosen = selection.select(cands, past, periods)
    fitting = [  # a loose match (the indicator worded otherwise) of the asked kind, place and period
        c
        for c in chosen.related
        if c.heads_held
        and c.matches_value(past)
        and c.matches_places(past)
        and c.matches_period(past, periods.get(c.evidence.paragraph.doc_id, selection.DocPeriod()))
    ]
    reached = chosen.lead or (fitting[0] if fitting and not chosen.mismatch else None)
    if reached is None:
        return
    plan.selection = selection.Selection()  # answered in part: no refusal
    place = reached.region or ""
    plan.not_stated = [f"经查询，所提供的文件未载明{place}{plan.indicator}的目标数值。"]
    plan.leads = [(selection.lead_text(reached, periods), reached.evidence)]
    _quote_first(plan, reached)


def _review_leads_own_plan(scored: list[ScoredSentence], info: QueryInfo, slots: Slots | None) -> bool:
    """A list asked of a plan by its own period ("长沙十四五有哪些创业扶持措施") and best matched by the
    review of 十三五 (健全“1+X”创业扶持政策): what the plan will do is asked; the review is context after it."""
    if not info.listing or info.compare or slots is None or slots.period != "plan" or not scored:
        return False
    top = max(scored, key=lambda s: s.score)
    own = selection.DocPeriod.of(top.evidence.doc).name
    return set(slots.asked_plans) == {own} and _reviews_the_past(top.text, top.evidence)


def _plan_sentences(
    evidence: list[Evidence],
    terms: dict[str, float],
    info: QueryInfo,
    slots: Slots | None = None,
    alternatives: dict[str, set[str]] | None = None,
    meaning: dict[tuple[str, int], float] | None = None,
) -> ExtractivePlan:
    plan = ExtractivePlan()
    if not evidence:
        return plan
    measures = (  # what a plan will do; a comparison shows each document's best match whatever its period
        info.listing
        and not info.compare
        and slots is not None
        and slots.period in ("", "target")
        and not slots.years
    )
    scored = score_sentences(evidence, terms, info, measures, alternatives, meaning)
    if not measures and _review_leads_own_plan(scored, info, slots):
        measures = True
        scored = score_sentences(evidence, terms, info, measures, alternatives, meaning)
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
    # a list's items say the asked topic: a sentence that hardly does ("十四五期间，支持建立…博士后…30家"
    # for 创业扶持措施) is not one, however high its paragraph ranked, once others clearly do
    top_coverage = max((s.coverage for s in scored), default=0.0)
    topical = top_coverage >= LIST_ON_TOPIC
    for s in ranked:
        if s.score < keep_ratio * best or len(chosen) >= limit:
            break
        if info.listing and topical and s.coverage < LIST_OFF_TOPIC * top_coverage:
            continue
        pid = s.evidence.paragraph.id
        if pid not in paragraphs and len(paragraphs) >= (
            MAX_PARAGRAPHS_LISTING if info.listing else MAX_PARAGRAPHS
        ):
            continue
        chosen.append(s)
        if pid not in paragraphs:
            paragraphs.append(pid)
    if info.compare:
        chosen = _cover_each_document(chosen, ranked, evidence)
    if info.numeric and not info.listing:  # a figure question: a sentence with a figure comes first
        chosen = sorted(chosen, key=lambda s: not _has_figure(s.text))
    if measures:
        chosen = _widen_measures(chosen, scored, limit)
    if not info.listing:
        chosen = _with_item_bodies(chosen, scored)
    else:
        siblings = _siblings(
            chosen, scored, SIBLING_FLOOR * best
        )  # their sentences fill beyond the quoted paragraphs' room
        chosen = _fill_paragraphs(chosen + siblings, scored, terms, MAX_SENTENCES_FILLED + len(siblings))
    plan.sentences = chosen
    return plan


def _fill_paragraphs(
    chosen: list[ScoredSentence],
    scored: list[ScoredSentence],
    terms: dict[str, float] | None = None,
    limit: int = MAX_SENTENCES_FILLED,
) -> list[ScoredSentence]:
    """A list's measures sit side by side in one paragraph (建立…；健全…；推行…): a quoted paragraph's
    other sentences on the asked topic belong to the answer too, up to ``MAX_SENTENCES_FILLED``. Under a
    title that names the topic ("2035年远景目标：…", "（三）构建和谐劳动关系") every sentence is on it."""
    have = {(id(s.evidence), s.index) for s in chosen}
    quoted = {id(s.evidence) for s in chosen}
    heavy = _heavy_terms(terms or {})
    titled = {id(s.evidence) for s in chosen if _titled(s.evidence, heavy)}
    extra = [
        s
        for s in scored
        if id(s.evidence) in quoted
        and (id(s.evidence), s.index) not in have
        and (s.coverage > 0 or id(s.evidence) in titled)
        and not s.past
    ]
    room = limit - len(chosen)
    return chosen + sorted(extra, key=lambda s: -s.score)[: max(room, 0)]


def _siblings(
    chosen: list[ScoredSentence], scored: list[ScoredSentence], floor: float = 0.0
) -> list[ScoredSentence]:
    """A section sets out its measures paragraph after paragraph ("深入贯彻实施…人才新政22条…" before
    "…探索揭榜引才模式"): another retrieved paragraph of a quoted section adds its best sentence on the
    topic, one more paragraph at most (beyond the list's own paragraphs), scoring at least ``floor``."""
    sections = {s.evidence.paragraph.section_id for s in chosen if s.evidence.paragraph.kind == "paragraph"}
    quoted = {id(s.evidence) for s in chosen}
    best: dict[int, ScoredSentence] = {}
    for s in scored:
        ev = s.evidence
        if id(ev) in quoted or ev.paragraph.section_id not in sections or s.coverage <= 0 or s.past:
            continue
        if (
            ev.paragraph.kind not in ("paragraph", "outline") or s.score < floor
        ):  # an outline: the section's parts
            continue
        if id(ev) not in best or s.score > best[id(ev)].score:
            best[id(ev)] = s
    return sorted(best.values(), key=lambda s: -s.score)[:MAX_SIBLINGS]


_RUN_IN_TITLE = re.compile(r"^(?:\d{1,2}[.．、]\s*)?([^，,。；;：:]{2,16})[：:]")


def _heavy_terms(terms: dict[str, float]) -> list[str]:
    """The question's main topic words: its terms weighing at least half the heaviest."""
    top = max(terms.values(), default=0.0)
    return [t for t, w in terms.items() if w >= 0.5 * top and len(t) > 1]


def _titled(ev: Evidence, heavy: list[str]) -> bool:
    """Does the paragraph's own title (its section's, or a run-in "…：" heading) say one of the
    question's main topic words?"""
    run_in = _RUN_IN_TITLE.match(ev.paragraph.text)
    titles = [
        ev.paragraph.section_path[-1] if ev.paragraph.section_path else "",
        run_in.group(1) if run_in else "",
    ]
    return any(t in title for t in heavy for title in titles if title)


def _widen_measures(chosen: list[ScoredSentence], scored: list[ScoredSentence], limit: int) -> list:
    """A plan lists its measures sentence after sentence: the ones after the best match belong to the
    answer too (落实…、健全…、建立…黑名单), ahead of weaker matches elsewhere. What the plan will do
    comes first; a review of the last period stays only as context after it."""
    chosen = [s for s in chosen if not s.past] + [s for s in chosen if s.past]
    if not chosen:
        return chosen
    if chosen[0].past:  # only the last plan's review scored high: its best forward-looking match leads
        ahead = max((s for s in scored if not s.past), key=lambda s: s.score, default=None)
        if ahead is not None and ahead.coverage > 0 and ahead.score >= MEASURE_FLOOR * chosen[0].score:
            chosen = [ahead, *chosen]
    top = chosen[0]
    following = [
        s for s in scored if s.evidence is top.evidence and top.index < s.index <= top.index + WIDEN_SENTENCES
    ]
    have = {(id(s.evidence), s.index) for s in chosen}
    extra = [s for s in following if (id(s.evidence), s.index) not in have]
    if not extra:
        return chosen
    keep = chosen[: max(1, limit - len(extra))]
    return keep + extra[: limit - len(keep)]


def _section_overview(named: list[Evidence]) -> list[ScoredSentence]:
    """What a named section says: an outline whole, otherwise the opening sentences of each unit (one
    each after an outline: the outline is the summary line, each section's opening an item)."""
    chosen: list[ScoredSentence] = []
    outlined = any(ev.paragraph.kind == "outline" for ev in named) and len(named) > 2
    # many units (six 基本原则, each "——坚持…。"): each one's opening sentence, all of them
    per_unit = 1 if outlined or len(named) > 3 else 2 if len(named) > 1 else 3
    limit = MAX_SECTION_UNITS if per_unit == 1 else MAX_SENTENCES_LISTING
    for ev in named:
        for i, sentence in enumerate(ev.paragraph.units[:per_unit]):
            chosen.append(ScoredSentence(ev, i, sentence, 1.0, 1.0))
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def _cover_each_document(chosen, ranked, evidence):
    docs = list(dict.fromkeys(ev.paragraph.doc_id for ev in evidence))
    covered = {s.evidence.paragraph.doc_id for s in chosen}
    for doc_id in docs:
        if doc_id not in covered:
            best = next((s for s in ranked if s.evidence.paragraph.doc_id == doc_id), None)
            if best is not None:
                chosen.append(best)
    return chosen


@dataclass
class RenderedAnswer:
    text: str
    cited: list[Evidence]  # in citation-number order
    highlights: dict[str, list[str]]  # paragraph id → quoted sentences
    draft: str = ""  # reply mode: the draft as a citizen receives it (no markers, no table syntax)


def kind_caveat(docs: list[dict]) -> str:
    """What the quoted text is, by the kind of the (first) document it comes from (index/kinds.toml)."""
    kinds = [d.get("kind", "") for d in docs]
    return kind_info(kinds[0] if kinds else "").caveat


def _numbering(plan: ExtractivePlan) -> list[Evidence]:
    order: list[Evidence] = []
    for _, ev in plan.leads:
        if ev not in order:
            order.append(ev)
    if plan.lead_evidence is not None:
        order.append(plan.lead_evidence)
    for s in plan.sentences:
        if s.evidence not in order:
            order.append(s.evidence)
    return order


def _quoted_text(ev: Evidence, quoted: list[ScoredSentence]) -> str:
    text = protect_brackets("".join(s.text for s in quoted).strip())
    if ev.paragraph.kind == "table_row" and ev.paragraph.table.get("title"):
        text = f"{ev.paragraph.table['title'].strip()}：{text}"
    return text


def render_answer(plan: ExtractivePlan, mode: str, wording: ReplyWording | None = None) -> RenderedAnswer:
    """Lay the chosen sentences out by document, numbering paragraphs in order of first use."""
    order = _numbering(plan)
    number = {ev.paragraph.id: n for n, ev in enumerate(order, start=1)}
    highlights: dict[str, list[str]] = {}
    groups: dict[str, dict] = {}
    for ev in order:
        quoted = sorted((s for s in plan.sentences if s.evidence is ev), key=lambda s: s.index)
        highlights[ev.paragraph.id] = [s.text for s in quoted]
        group = groups.setdefault(ev.paragraph.doc_id, _group(ev))
        if quoted:
            group["lines"].append(f"{_quoted_text(ev, quoted)}[{number[ev.paragraph.id]}]")
            group["plain"].append(_plain(ev, quoted))
    notes = sorted({ev.paragraph.table["note"] for ev in order if ev.paragraph.table.get("note")})
    leads = [(text, ev) for text, ev in plan.leads]
    if plan.lead and plan.lead_evidence is not None:
        leads = [(plan.lead, plan.lead_evidence)]
    lead_lines = plan.not_stated + [
        f"{protect_brackets(cell_in_words(text, keep_sign=True))}[{number[ev.paragraph.id]}]"
        for text, ev in leads
    ]
    caveats = plan.caveats
    if not leads and plan.summary is not None and plan.summary[1].paragraph.id in number:
        text, ev = plan.summary  # after what the documents do not single out (a county, a group)
        lead_lines += caveats + [f"{protect_brackets(text)}[{number[ev.paragraph.id]}]"]
        if plan.level is not None and plan.level[1].paragraph.id in number:
            text, ev = plan.level
            lead_lines.append(f"{protect_brackets(text)}[{number[ev.paragraph.id]}]")
        caveats = []
    caveat = kind_caveat([ev.doc for ev in order])
    if mode == "reply":
        return _render_reply(plan, order, number, highlights, leads, groups, wording or reply_wording())
    text = render(
        "extractive_answer",
        lead="\n".join(lead_lines),
        caveats=caveats,
        groups=[g for g in groups.values() if g["lines"]],
        notes=[n for n in notes if _note_applies(n, plan)],
        caveat=caveat,
    )
    return RenderedAnswer(text, order, highlights)


def _group(ev: Evidence) -> dict:
    title = ev.doc.get("title", ev.paragraph.doc_id)
    return {
        "title": title,
        "source": kind_info(ev.doc.get("kind", "")).source_line(title),
        "doc_number": ev.doc.get("doc_number", ""),
        "date": ev.doc.get("date", ""),
        "lines": [],
        "plain": [],
    }


def _note_applies(note: str, plan: ExtractivePlan) -> bool:
    """A table's 注 only when what is shown uses what it explains (its [] totals)."""
    if "[]" not in note and "［］" not in note:
        return True
    shown = plan.lead + "".join(t for t, _ in plan.leads) + "".join(s.text for s in plan.sentences)
    return "[" in shown or "［" in shown


def _plain(ev: Evidence, quoted: list[ScoredSentence]) -> str:
    """A quoted unit in plain words for a citizen: table rows as sentences, no ordinals."""
    p = ev.paragraph
    if p.kind == "table_row" and p.table.get("cells"):
        return table_row_sentence(p)
    units = sorted(quoted, key=lambda s: s.index)
    if len(units) > 1 and _is_item_title(units[0]):  # "3.高技能人才“传帮带”计划。" names, the rest says
        units = units[1:]
    text = "".join(s.text for s in units).strip()
    return _LEADING_ORDINAL.sub("", text.removeprefix("——"))


def _is_item_title(s: ScoredSentence) -> bool:
    short = len(s.text) <= MAX_ITEM_TITLE and not _has_figure(s.text)  # "1.城镇新增就业75万人。" says
    return s.index == 0 and bool(ITEM_MARK.match(s.text)) and short


def _with_item_bodies(chosen: list[ScoredSentence], scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """A numbered item's title quoted alone ("（二）提高仲裁办案效率。") names what its next sentences say:
    they follow it (up to ``ITEM_BODY_SENTENCES``)."""
    have = {(id(s.evidence), s.index) for s in chosen}
    out = []
    for s in chosen:
        out.append(s)
        if not _is_item_title(s):
            continue
        body = [
            t
            for t in scored
            if t.evidence is s.evidence
            and s.index < t.index <= s.index + ITEM_BODY_SENTENCES
            and (id(t.evidence), t.index) not in have
        ]
        out += sorted(body, key=lambda t: t.index)
        have |= {(id(t.evidence), t.index) for t in body}
    return out


def table_row_sentence(p: Paragraph) -> str:
    """指标：7.失业保险参保人数；单位：万人；2020年：182.8万人；2025年：212.7万人 →
    失业保险参保人数2020年为182.8万人、2025年为212.7万人."""
    header, cells = p.table["header"], p.table["cells"]
    unit_col = next((i for i, h in enumerate(header) if "单位" in h), None)
    unit = cells[unit_col] if unit_col is not None and unit_col < len(cells) else ""
    indicator = _LEADING_ORDINAL.sub("", cells[0])
    parts = []
    for col, value in enumerate(cells):
        if col in (0, unit_col) or col >= len(header) or not _DIGIT.search(value):
            continue
        shown = value if value.endswith(unit) or not unit else f"{value}{unit}"
        shown = selection.total_in_words(shown, p.table.get("note", "")) or protect_brackets(shown)
        parts.append(f"{header[col].replace(' ', '')}为{shown}")
    return f"{indicator}{'、'.join(parts)}" if parts else indicator


def _cite_source(source: str, plain: str) -> str:
    """根据《…》， before a quote, unless the quote itself opens with 根据 (then 《…》提出：)."""
    if plain.startswith("根据") and source.startswith("根据"):
        return f"{source.removeprefix('根据')}提出："
    return f"{source}，"


def _render_reply(plan, order, number, highlights, leads, groups, wording: ReplyWording) -> RenderedAnswer:
    """A draft a hotline operator can send: the answer in one plain sentence with its source, at most
    two supporting sentences, where to handle the business. Markers stay in the answer view only."""
    first_doc = order[0].doc if order else {}
    source = f"根据《{first_doc.get('title', '')}》" if first_doc.get("title") else "根据相关文件"
    lines: list[str] = []
    said: set[int] = set()  # sentences the first line already says
    if leads:
        text, ev = leads[0]
        greeting = wording.greeting
        for line in plan.not_stated:  # its own uncited sentence: it states what no document says
            lines.append(f"{greeting}{line}")
            greeting = ""
        lines.append(f"{greeting}{source}，{_lead_plain(text)}。[{number[ev.paragraph.id]}]")
        for text2, ev2 in leads[1:]:  # each compared place's or asked indicator's own figure, said once
            lines.append(f"{_lead_plain(text2)}。[{number[ev2.paragraph.id]}]")
        used = {ev2.paragraph.id for _, ev2 in leads}
        said_figures = {f for line in lines for f in _figures(CITATION_MARK.sub("", line))}
        rest = [ev2 for ev2 in order[1:] if ev2.paragraph.id not in used and ev2.paragraph.kind != "outline"]
        echoes = [
            ev2
            for ev2 in rest
            if _repeats(ev2.paragraph.text, said_figures)
            and _cite_also(lines, ev2.paragraph.text, number[ev2.paragraph.id])  # the same figure, said once
        ][:MAX_ECHOES]
        support = [ev2 for ev2 in rest if ev2 not in echoes][:2]
    else:
        support = order[:3]
        summary = plan.summary if plan.summary is not None and plan.summary[1] in order else None
        caveats = "".join(plan.caveats)  # what no document singles out (a county, a group) is said first
        if summary is not None:  # a list's best item answers first, as in the answer view
            first = summary[1]
            support = [first] + [ev for ev in order if ev is not first][:2]
            head, body = plan.summary_parts
            said = {id(s) for s in plan.sentences if s.evidence is first and _opens(body, s.text)}
            plain = _summary_plain(head, body)
        elif support:  # no summary line: the first paragraph's best sentences answer, its others support
            first = support[0]
            mine = [s for s in plan.sentences if s.evidence is first]
            said = {
                id(s) for s in sorted(mine, key=lambda s: (-s.coverage, -s.score))[:REPLY_FIRST_SENTENCES]
            }
            plain = _plain(first, [s for s in mine if id(s) in said])
        if support:
            title = first.doc.get("title", "")
            source = f"根据《{title}》" if title else source  # the document the first line quotes
            lines.append(
                f"{wording.greeting}{caveats}{_cite_source(source, plain)}{plain.rstrip('。；;，,')}。"
                f"[{number[first.paragraph.id]}]"
            )
            if summary is not None and plan.level is not None and plan.level[1].paragraph.id in number:
                text, ev = plan.level  # the latest level, said once: its paragraph supports no more
                lines.append(f"{_lead_plain(text)}。[{number[ev.paragraph.id]}]")
                support = [e for e in support if e.paragraph.id != ev.paragraph.id]
        support = [ev for ev in support if any(id(s) not in said for s in plan.sentences if s.evidence is ev)]
    pool = [s for ev in support[:2] for s in plan.sentences if s.evidence is ev and id(s) not in said]
    kept = {id(s) for s in sorted(pool, key=lambda s: (-s.coverage, -s.score))[:MAX_REPLY_SUPPORT]}
    for ev in support[:2]:
        plain = _plain(ev, [s for s in pool if s.evidence is ev and id(s) in kept])
        said_figures = {f for line in lines for f in _figures(CITATION_MARK.sub("", line))}
        if plain and _repeats(plain, said_figures) and _cite_also(lines, plain, number[ev.paragraph.id]):
            continue  # its figures were said: it is cited there
        if plain and not ev.paragraph.section.endswith(plain.rstrip("。")):  # a bare heading says nothing
            lines.append(f"{_labelled(plain, ev).rstrip('。；;，,')}。[{number[ev.paragraph.id]}]")
    if leads and any(selection.DocPeriod.of(ev.doc).is_plan for ev in order):
        lines.append(
            "以上为规划文件中的内容，规划中的数字是编制时的情况或规划期目标，具体标准以现行政策为准。"
        )
    lines.append(f"{wording.closing}{wording.thanks}")
    text = "\n".join(lines)
    cited_numbers = {int(m.group(1)) for m in CITATION_MARK.finditer(text)}
    cited = [ev for ev in order if number[ev.paragraph.id] in cited_numbers]
    renumber = {number[ev.paragraph.id]: n for n, ev in enumerate(cited, start=1)}
    text = CITATION_MARK.sub(lambda m: f"[{renumber.get(int(m.group(1)), m.group(1))}]", text)
    return RenderedAnswer(
        text, cited, {ev.paragraph.id: highlights.get(ev.paragraph.id, []) for ev in cited}, draft_of(text)
    )


MAX_ECHOES = 2  # paragraphs that state a reply's figure again are cited beside it, at most this many


# A figure with its whole unit: 50万人次 and 50万户 differ (select.figures_of stops at 万).
_COUNTED_FIGURE = re.compile(
    r"\d+(?:\.\d+)?\s*[余多]?(?:[万亿][余多]?(?:人次|元|人|户|家|张|个|项|所|名|次|场|届)?"
    r"|人次|元/月|元|人|户|家|张|%|个|项|所|名|次|场|届)"
)


def _figures(text: str) -> set[str]:
    """The figures of a text with their whole unit, brackets dropped ("［50］万人次" → 50万人次)."""
    plain = re.sub(r"[\[\]\s]", "", fold(text))
    return {m.group(0) for m in _COUNTED_FIGURE.finditer(plain)}


def _repeats(text: str, said_figures: set[str]) -> bool:
    """A row or sentence whose every figure a reply already said (开展…培训50万人次 beside its table row):
    saying it again adds nothing, citing it where the figure is said does."""
    figures = _figures(text)
    return bool(figures) and figures <= said_figures


def _cite_also(lines: list[str], text: str, n: int) -> bool:
    """Cite paragraph ``n`` on the first line that says one of the figures of ``text`` (already cited
    there or anywhere: nothing to do); False when no line says one."""
    if any(f"[{n}]" in line for line in lines):
        return True
    figures = _figures(text)
    for i, line in enumerate(lines):
        if figures & _figures(CITATION_MARK.sub("", line)):
            lines[i] = f"{line}[{n}]"
            return True
    return False


def _opens(body: str, sentence: str) -> bool:
    """Does the summary line's body say this sentence (its text, maybe cut short with ……)?"""
    text = _LEADING_ORDINAL.sub("", sentence).rstrip("。；;")
    return body.startswith(text[:20]) or (len(text) > 6 and text in body)


def _summary_plain(head: str, body: str) -> str:
    """The summary line as a reply's sentence: "长沙市“十四五”规划提出：持续落实…" → "持续落实…" (the
    source names the plan); a past period's label is kept ("长沙市“十三五”时期，…")."""
    return body if not head or head.endswith("提出") else f"{head}，{body}"


def _labelled(plain: str, ev: Evidence) -> str:
    """A supporting sentence with a figure, with its place and period when it does not say them
    ("全市城镇累计新增就业28万人" → 湘潭市“十三五”时期，全市…): a citizen reads no section titles."""
    if not _DIGIT.search(plain) or ev.paragraph.kind == "table_row":
        return plain
    period = selection.DocPeriod.of(ev.doc)
    label = selection.label_period(plain, ev.paragraph.section, period).text(period)
    region = ev.doc.get("region", "")
    head = ("" if region and region in plain else region) + ("" if label and label in plain else label)
    return f"{head}，{plain}" if head else plain


# A table cell's comparison sign read as the documents' prose says it: a cell ">96" is "96%以上" in the same
# plan's text, "<5.5" is "控制在5.5%以内".
_CELL_COMPARISON = re.compile(r"：\s*([<>≥≤＜＞])\s*(\d+(?:\.\d+)?\s*[^\d\s（(，,；;。]{0,3})$")
_COMPARISON_WORD = {">": "以上", "＞": "以上", "≥": "以上", "<": "以内", "＜": "以内", "≤": "以内"}


def cell_in_words(lead: str, keep_sign: bool) -> str:
    """ "…（2025年目标）：>96%" → "…：96%以上（>96%）" (the sign kept for the answer view) or "…：96%以上"."""
    m = _CELL_COMPARISON.search(lead)
    if not m:
        return lead
    sign, value = m.group(1), m.group(2).strip()
    words = f"{value}{_COMPARISON_WORD[sign]}" + (f"（{sign}{value}）" if keep_sign else "")
    return f"{lead[: m.start()]}：{words}"


def _lead_plain(lead: str) -> str:
    """长沙市“十三五”时期：全市累计… → 长沙市“十三五”时期全市累计…; table cells read as sentences."""
    lead = cell_in_words(lead, keep_sign=False)
    m = re.match(r"^(.*?)：(.+?)（(.+?)）：(.+)$", lead)
    if m:  # 长沙市：失业保险参保人数（2025年）：212.7万人
        return f"{m.group(1)}{m.group(2)}{m.group(3).replace(' ', '')}为{protect_brackets(m.group(4))}"
    m = re.match(r"^(.+?)（(.+?)）：(.+)$", lead)
    if m:
        return f"{m.group(1)}{m.group(2).replace(' ', '')}为{protect_brackets(m.group(3))}"
    return protect_brackets(lead.replace("：", "，", 1).rstrip("。"))


def draft_of(text: str) -> str:
    """The reply as sent: markers removed, one paragraph."""
    plain = CITATION_MARK.sub("", text)
    return "".join(line.strip() for line in plain.split("\n") if line.strip())


def _distinct_figures(related: list) -> list:
    """Related figures, each said once: the table row and the sentence that both give 15万人 are one."""
    kept: list = []
    for c in related:
        figures = set(selection.figures_of(c.text))
        if not any(figures <= set(selection.figures_of(k.text)) for k in kept):
            kept.append(c)
    return kept


def render_not_stated(
    phrase: str, related: list, periods: dict, mode: str, wording: ReplyWording | None = None
) -> RenderedAnswer:
    """文件未载明…, then the nearest figures as clearly labelled related information, each cited."""
    related = _distinct_figures(related)
    order: list[Evidence] = []
    for c in related:
        if c.evidence not in order:
            order.append(c.evidence)
    number = {ev.paragraph.id: n for n, ev in enumerate(order, start=1)}
    lines = [
        f"{protect_brackets(selection.related_line(c, periods))}[{number[c.evidence.paragraph.id]}]"
        for c in related
    ]
    lines = list(dict.fromkeys(lines))
    highlights = {ev.paragraph.id: [c.sentence for c in related if c.evidence is ev] for ev in order}
    if mode == "reply":
        wording = wording or reply_wording()
        parts = [f"{wording.greeting}经查询，现有政策文件中未载明{phrase}。"]
        if lines:
            parts.append(
                "文件中与此相关的内容是："
                + "；".join(
                    _lead_plain(CITATION_MARK.sub("", line)) + CITATION_MARK.search(line).group(0)
                    for line in lines
                )
                + "。"
            )
        parts.append(f"{wording.not_stated_closing}{wording.thanks}")
        text = "\n".join(parts)
        return RenderedAnswer(text, order, highlights, draft_of(text))
    docs = [ev.doc for ev in order]
    groups: dict[str, dict] = {}  # one source line per document, each saying which lines it gave
    for ev in order:
        group = groups.setdefault(ev.paragraph.doc_id, _group(ev))
        group["marks"] = group.get("marks", "") + f"[{number[ev.paragraph.id]}]"
    if len(groups) == 1:
        next(iter(groups.values()))["marks"] = ""
    text = render(
        "not_stated",
        phrase=phrase,
        related=lines,
        groups=list(groups.values()),
        caveat=kind_caveat(docs) if docs else "",
    )
    return RenderedAnswer(text, order, highlights)
