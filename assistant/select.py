"""Answer selection over all retrieved evidence: which clause or table cell answers the question's slots.

Every retrieved paragraph is cut into candidates — clauses holding a figure, and the cells of table
rows — and each candidate is labelled with the period it belongs to (a plan's base-period result or its
target, from the table column, the sentence's own words, or the section it sits in) and the places it
names. A candidate may lead the answer only when it matches every asked slot: the topic (IDF-weighted
coverage of the question's terms in the clause and its subject), the period or year, the place
(a county named in the question must be named in the candidate), and the kind of value (an amount in
元, a rate in %, a count). When nothing matches, the answer says what the documents do not state and
shows the nearest candidates as labelled, related information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from policyqa.assistant.places import Place, covers, find_places, place_of, short_name
from policyqa.assistant.slots import QuestionWords, Slots, plan_name, plan_names_in, plan_years
from policyqa.core.text import ITEM_MARK, fold, protect_brackets, split_sentences

_CLAUSE = re.compile(r"[^，,；;。：:]+[，,；;。：:]?")
_FIGURE = re.compile(
    r"(?<![\d.])[<>≤≥＜＞]?\[?\d+(?:\.\d+)?\]?\s*(?:%|％|‰|[余多]?万元?|[余多]?亿元?|多?元|人|家|个|名|所|张|次|场|岁|倍|项|户|条|天|个月|小时|分钟|届|批|期|轮|座|支|类|部|门|台|套|级|位|例|件)"
    r"|[一二三四五六七八九十百]+分之[一二三四五六七八九十百]+|[一二三四五六七八九]成(?!为|立|果|效|本|功|熟|员)|翻一番"
)
_TITLE_YEARS = re.compile(r"(20\d{2})\s*[—\-–－~至到]\s*(20\d{2})")
_YEAR_IN = re.compile(r"(?<!\d)(20\d{2})(?=年)")
_BASE_SECTION = re.compile(r"发展基础|发展成就|面临形势|回顾|工作总结|取得的成效|主要成就")
_TARGET_SECTION = re.compile(r"发展目标|主要目标|目标任务|主要指标")
_PAST_WORDS = re.compile(r"累计|已经|已|实现了|先后|完成了|获评|荣获|成功|率先")
_TARGET_WORDS = re.compile(
    r"到20\d\d年|力争|确保|争取|预计|将|目标|期间.{0,8}(新增|达到|控制)|以上|以内|不低于|不少于|每年"
)
_KIND_UNITS = {
    "amount": re.compile(r"元"),
    "rate": re.compile(r"%|％|‰|率"),
    "count": re.compile(r"人|家|个|名|所|张|次|场|户|项|万(?!元)|亿(?!元)"),
}
LEAD_MIN_TOPIC = 0.5
RELATED_MIN_TOPIC = 0.34
TOPIC_MARGIN = 0.15  # a candidate this much less on the topic than the best speaks of something else
CLAUSE_SHARE = 0.85


@dataclass
class DocPeriod:
    """A plan's period (十四五: 2021–2025) and its base period (十三五: 2016–2020); empty for other kinds."""

    start: int = 0
    end: int = 0
    years: frozenset[int] = frozenset()  # a notice's own year(s) from its title (做好2026年…工作的通知)

    @property
    def is_plan(self) -> bool:
        return bool(self.start)

    def beyond(self, text: str) -> bool:
        """Does the text name a year after the plan period ("展望2035年" in a 2021–2025 plan)?"""
        return self.is_plan and any(int(y) > self.end for y in _YEAR_IN.findall(text))

    @property
    def name(self) -> str:
        return plan_name(self.start) if self.start else ""

    @property
    def base_name(self) -> str:
        return plan_name(self.start - 5) if self.start else ""

    @classmethod
    def of(cls, doc: dict) -> DocPeriod:
        title = doc.get("title", "")
        kind = doc.get("kind", "")
        if kind and not re.search(r"规划|计划", kind) and not re.search(r"规划|计划", title):
            return cls(years=frozenset(int(y) for y in _YEAR_IN.findall(title)))
        m = _TITLE_YEARS.search(title)
        if m:
            return cls(int(m.group(1)), int(m.group(2)))
        years = plan_years(title)
        return cls(*years) if years else cls()


@dataclass
class PeriodLabel:
    kind: str = ""  # past | target | "" (not a plan, or unknown)
    years: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    goal: bool = False  # a past period's planned figure (十三五规划数), not its result

    def text(self, period: DocPeriod) -> str:
        """How the answer names it: “十三五”时期 / “十四五”规划目标（到2025年）; a notice's figure by its
        year (2026年), never as a plan's target."""
        if not period.is_plan:
            return f"{next(iter(self.years))}年" if len(self.years) == 1 else ""
        if self.kind == "past":
            name = next(iter(self.names), period.base_name)
            return f"“{name}”时期" if name else ""
        if self.kind == "target":
            name = period.name or next(iter(self.names), "")
            return f"“{name}”规划目标" if name else "规划目标"
        return ""


@dataclass
class Candidate:
    evidence: object  # extractive.Evidence
    text: str  # the clause, or "indicator（column）：value" for a table cell
    sentence: str  # the sentence (or row) it comes from, verbatim
    period: PeriodLabel
    places: list[Place]
    topic: float  # coverage of the question's topic terms in the clause and its subject
    sentence_topic: float
    heads_held: bool  # every head term of the question (the indicator's name) is in the clause
    figure: bool
    value_kinds: set[str]
    region: str  # the document's region
    is_cell: bool = False
    pairs: list[tuple[str, str]] = field(default_factory=list)  # "A、B分别为X、Y": [(A, X), (B, Y)]
    per_unit: bool = False  # a figure for one person or firm (每人, 最高, 元/月), not a total
    coverage: bool = False  # a share of people covered (覆盖率): asked "多少人参加", it says how many
    summed: bool = False  # a total over several years (5年累计数, 累计新增)
    added: bool = False  # what is added (新增…), not a level reached

    def names_plans(self, names: list[str]) -> bool:
        """Do its words, its table's title or its section name the asked plans ("十三五…失业率": the row of
        专栏1 “十三五”…完成情况 before the 2020 column of the 十四五 table, only inferred to be 十三五)?"""
        if not names:
            return False
        p = self.evidence.paragraph
        said = plan_names_in(f"{self.sentence} {p.section} {(p.table or {}).get('title', '')}")
        return set(names) <= said

    def matches_period(self, slots: Slots, period: DocPeriod) -> bool:
        if slots.asked_plans and not all(self._in_plan(name, period) for name in slots.asked_plans):
            return False
        if slots.period == "now":  # what holds now: a result already reached, never a plan's target
            # An amount in force now (现在的最低工资, 目前的养老金) is set year by year outside a plan:
            # the level a plan says was reached is related information, not today's amount.
            if slots.value == "amount":
                return False
            return self.period.kind in ("past", "") and not self.period.goal
        if slots.period in ("", "plan"):
            return True
        if slots.period == "year":
            if len(set(slots.years)) == 1 and not slots.cumulative and self.summed:
                return False  # one year asked: a total over the plan's years (5年累计数) is not that year's
            if not period.is_plan and period.years:  # a notice sets its year's rules: 今年…给多少 is them
                own = self.period.years - period.years  # a year the sentence names (到2028年…) decides
                return all(y in (own or period.years) for y in slots.years)
            # 去年/今年新增多少: what happened, not the plan's goal for that year (明年 can only be a goal)
            if slots.relative_year and slots.actual_asked:
                actual = self.period.kind == "past" and not self.period.goal
                return actual and all(y in self.period.years for y in slots.years)
            return all(self._has_year(y, period) for y in slots.years)
        if slots.period == "past":
            return self.period.kind == "past" and not self.period.goal
        # a target: of the plan, or the goal a past plan had set (当初定的目标)
        return self.period.kind == "target" or (self.period.goal and bool(slots.plan_names))

    def _has_year(self, year: int, period: DocPeriod) -> bool:
        if year in self.period.years:
            return True
        if self.period.kind == "past" and period.start and year == period.start - 1:
            return not self.period.goal and "目标" not in self.text  # "控制在4.5%目标范围内" is no 2020 value
        return self.period.kind == "target" and year == period.end

    def _in_plan(self, name: str, period: DocPeriod) -> bool:
        if self.period.names:  # the candidate names its own period(s)
            return name in self.period.names
        if name == period.name:
            return self.period.kind == "target"
        if name == period.base_name:
            return self.period.kind == "past"
        return False

    def matches_places(self, slots: Slots) -> bool:
        """A county named in the question must be named by the candidate (its city's figure is not its own)."""
        wanted = slots.sub_places
        if not wanted:
            return not self._total_of_wider(slots.places)
        named = {p.name for p in self.places}
        return any(p.name in named for p in wanted)

    def _total_of_wider(self, places: list[Place]) -> bool:
        """A province's count (全省募集见习岗位3万个) is no city's or county's own; its standards (每人1500元)
        and rules apply there as they are."""
        if self.per_unit or "count" not in self.value_kinds or not self.region:
            return False
        if any(p.level == "province" for p in places):  # "株洲…全省/湖南今年一共多少": the total is asked
            return False
        region = place_of(self.region) or place_of(short_name(self.region))
        return (
            region is not None
            and region.level == "province"
            and any(p.level in ("city", "county") and covers(self.region, p) for p in places)
        )

    def matches_value(self, slots: Slots) -> bool:
        if slots.per_unit and not self.per_unit:  # 最多能贷多少: a total (累计发放7.28亿元) is not it
            return False
        if slots.level_asked and self.added:  # 要达到多少 (a level): 新增…2万人次 (what is added) is not it
            return False
        if slots.value == "count" and not slots.count_named and self.coverage:
            return True  # 多少人参加养老保险: the share of people covered (覆盖率96%以上) says how many
        if slots.counted and not _counts_alike(slots.counted, self.text):
            return False  # 培训多少人次: 认定50家…培训中心 counts something else
        return slots.value not in _KIND_UNITS or slots.value in self.value_kinds


# What a measure word counts: people (人, 人次, 名), households, bodies (家, 所), cards, events.
_COUNTS = {"人次": "people", "人": "people", "名": "people", "户": "households", "家": "bodies", "所": "bodies",
           "张": "cards", "场": "events", "届": "events"}  # fmt: skip
_COUNTED = re.compile(r"\d\]?\s*[余多]?[万亿]?[余多]?\s*(人次|人(?![力社均口民])|名|户|家|所|张|场|届)")


def _counts_alike(asked: str, text: str) -> bool:
    """Whether a text's counted figures count what the asked measure word does; a text whose figures
    carry none of these words (a bare number, 万) is not judged."""
    wanted = _COUNTS.get(asked)  # a measure word the profile asks but this list does not know: not judged
    counted = {_COUNTS[m.group(1)] for m in _COUNTED.finditer(fold(text))}
    return wanted is None or not counted or wanted in counted


def doc_period_covers(year: int, period: DocPeriod) -> bool:
    """Could a plan state anything for this year? (its base year through its end year)"""
    return period.is_plan and period.start - 1 <= year <= period.end


def label_period(sentence: str, section: str, period: DocPeriod) -> PeriodLabel:
    """The period a sentence speaks of, for a plan: its own words first, then the section it sits in."""
    if not period.is_plan:  # a notice's figures are for the year it is about, unless set as a goal
        label = PeriodLabel(years=set(period.years) | {int(y) for y in _YEAR_IN.findall(sentence)})
        if re.search(r"到\s*20\d\d\s*年", sentence) or _TARGET_WORDS.search(sentence):
            label.kind = "target"  # "到2028年…覆盖率达到90%以上"
        return label
    names = plan_names_in(sentence)
    years = {int(y) for y in _YEAR_IN.findall(sentence)}
    label = PeriodLabel(years=years, names=names)
    if period.name in names or period.end in years or re.search(rf"到{period.end}年", sentence):
        label.kind = "target"
    elif period.base_name in names or (period.start - 1) in years or _BASE_SECTION.search(section):
        label.kind = "past"
    elif _TARGET_SECTION.search(section) or _TARGET_WORDS.search(sentence):
        label.kind = "target"
    elif _PAST_WORDS.search(sentence):
        label.kind = "past"
    else:
        label.kind = "target"  # a plan's chapters after its review speak of what it will do
    if label.kind == "past" and not label.names and period.base_name:
        label.names.add(period.base_name)
    return label


def _cell_label(header: str, period: DocPeriod) -> PeriodLabel:
    years = {int(y) for y in re.findall(r"20\d{2}", header)}
    names = plan_names_in(header)
    label = PeriodLabel(years=years, names=names)
    if period.end in years or period.name in names:
        label.kind = "target"
    elif years or names:
        label.kind = "past"
        label.goal = bool(re.search(r"规划|目标|预期|计划", header))
        if not names and period.base_name and (period.start - 1) in years:
            label.names.add(period.base_name)
    return label


def coverage(text: str, terms: dict[str, float], alternatives: dict[str, set[str]] | None = None) -> float:
    """Weighted share of the topic terms in the text; a compound whose parts are split by other words
    (城镇新增就业 in 城镇累计新增就业) earns partial credit by the share of its character bigrams present."""
    total = sum(terms.values())
    if not total:
        return 0.0
    folded = fold(text)
    got = 0.0
    for term, weight in terms.items():
        t = fold(term)
        if t in folded or any(fold(a) in folded for a in (alternatives or {}).get(term, ())):
            got += weight
        elif len(t) >= 3 and re.search(".{0,2}".join(map(re.escape, t)), folded):
            got += 0.8 * weight  # a word between its characters: 社保费 in 社保缴费
        elif len(t) >= 4:
            pairs = [t[i : i + 2] for i in range(len(t) - 1)]
            share = sum(1 for pair in pairs if pair in folded) / len(pairs)
            if share >= 0.6:
                got += 0.8 * share * weight
    return got / total


def head_terms(
    terms: dict[str, float], question: str = "", alternatives: dict[str, set[str]] | None = None
) -> dict[str, float]:
    """The nouns that name the indicator: the question's maximal terms (not parts of a longer term)
    whose last word jieba tags as a noun (参保人数, 失业保险; not 参加, 引进), in the order the question
    says them; with a question, only those it (or the everyday word a term stands for) says."""
    maximal = {t: w for t, w in terms.items() if not any(t != o and t in o for o in terms)}
    heads = {t: w for t, w in maximal.items() if is_noun(t)}
    folded = fold(question)

    def end(term: str) -> int:
        found = [(folded.rfind(fold(a)), a) for a in {term} | (alternatives or {}).get(term, set())]
        return max((i + len(a) for i, a in found if i >= 0), default=-1) if folded else 0

    ends = {t: end(t) for t in heads}
    if folded and any(e >= 0 for e in ends.values()):  # the context of a follow-up names no heads
        heads = {t: w for t, w in heads.items() if ends[t] >= 0}
    return dict(sorted(heads.items(), key=lambda item: ends[item[0]]))


@lru_cache(maxsize=4096)
def is_noun(term: str) -> bool:
    from policyqa.index.sparse import pos_tags

    tags = pos_tags(term)
    return bool(tags) and tags[-1].startswith(("n", "vn"))


def holds_heads(text: str, heads: dict[str, float], alternatives: dict[str, set[str]] | None = None) -> bool:
    """The text names the indicator: the heaviest head noun and most (60% by weight) of the others are
    in it — verbatim, as the colloquial word a term was expanded from (社保 for 社会保险), with a word
    between its characters (社保费 in 社保缴费), or mostly (7 in 10 bigrams)."""
    if not heads:
        return True
    folded = fold(text)
    held = {
        t for t in heads if any(_holds(fold(a), folded) for a in {t} | (alternatives or {}).get(t, set()))
    }
    heaviest = max(heads, key=heads.get)
    if heaviest in held and sum(heads[t] for t in held) >= 0.6 * sum(heads.values()):
        return True
    # Chinese names its indicator last (户籍人口基本养老保险参保率: the 养老保险 is what is measured, 户籍人口
    # whose): the last head noun and half of the others also name it, when the rare ones are modifiers.
    last = list(heads)[-1]  # head_terms orders them as the question says them
    return last in held and len(held) >= max(2, 0.5 * len(heads))


def _holds(t: str, folded: str) -> bool:
    if t in folded:
        return True
    if re.search(".{0,2}".join(map(re.escape, t)), folded):
        return True
    pairs = [t[i : i + 2] for i in range(len(t) - 1)]
    return len(t) >= 4 and sum(1 for pair in pairs if pair in folded) / len(pairs) >= 0.6


def figures_of(text: str) -> list[str]:
    """The figures of a text as numbers with their units, brackets dropped ("[15]万人" → "15万人")."""
    return [re.sub(r"[\[\]\s]", "", m.group(0)) for m in _FIGURE.finditer(fold(text))]


def value_kinds(text: str) -> set[str]:
    figures = " ".join(m.group(0) for m in _FIGURE.finditer(text))
    return {kind for kind, unit in _KIND_UNITS.items() if unit.search(figures)}


def candidates(
    evidence: list,
    terms: dict[str, float],
    words: QuestionWords,
    alternatives: dict[str, set[str]] | None = None,
    question: str = "",
) -> list[Candidate]:
    """Clauses with figures and table cells of every retrieved paragraph, labelled and scored.
    ``alternatives``: canonical term → the colloquial words of the question it was expanded from."""
    out: list[Candidate] = []
    heads = head_terms(terms, question, alternatives)
    for ev in evidence:
        p = ev.paragraph
        period = DocPeriod.of(ev.doc)
        region = ev.doc.get("region", "")
        if p.kind == "table_row" and p.table.get("cells"):
            out += _cells(ev, p, terms, heads, period, region, words, alternatives)
        elif p.kind in ("paragraph", "note"):
            out += _clauses(ev, p, terms, heads, period, region, words, alternatives)
    per_unit, coverage = words.value.get("per_unit_figure"), words.value.get("coverage")
    summed, added = words.period.get("summed"), words.period.get("added")
    for c in out:
        c.per_unit = bool(per_unit and per_unit.search(c.text))
        c.coverage = bool(coverage and coverage.search(c.text))
        c.summed = bool(summed and summed.search(c.text))
        c.added = bool(added and added.search(c.text))
    return out


def _cells(ev, p, terms, heads, period, region, words, alternatives) -> list[Candidate]:
    header, cells = p.table["header"], p.table["cells"]
    unit_col = next((i for i, h in enumerate(header) if "单位" in h), None)
    unit = cells[unit_col] if unit_col is not None and unit_col < len(cells) else ""
    indicator = re.sub(r"^(?:\d{1,2}[.．、])?\s*(?:其中[:：])?\s*", "", cells[0])  # 11.其中：a sub-row
    context = f"{indicator} {p.table.get('title', '')} {p.table.get('group', '')}"
    topic = coverage(context, terms, alternatives)
    heads_held = holds_heads(f"{indicator} {words.implied_words('1' + unit)}", heads, alternatives)
    out = []
    for col, value in enumerate(cells):
        if col in (0, unit_col) or col >= len(header) or not re.search(r"\d", value):
            continue
        shown = _bracketed(value, p.table.get("note", "")) or value
        shown = shown if shown.endswith(unit) or not unit else f"{shown}{unit}"
        shown = re.sub(r"^(.+?)(（[^（）]+）)(.+)$", r"\1\3\2", shown)  # 75（5年累计数）万人 → 75万人（…）
        label = _cell_label(header[col], period)
        column = header[col].replace(" ", "")
        if label.kind == "target" and not re.search(r"目标|规划|预期", column):
            column += "目标"
        text = f"{indicator}（{column}）：{shown}"
        kinds = value_kinds(f"{value}{unit}") | ({"rate"} if "%" in unit or "率" in indicator else set())
        out.append(
            Candidate(
                ev,
                text,
                p.text,
                label,
                [],
                topic,
                topic,
                heads_held,
                True,
                kinds,
                region,
                True,
            )
        )
    return out


_CONDITION = re.compile(r"^(?:对|凡)")  # after the item's mark (ITEM_MARK)
_GRANT = re.compile(r"^(?:可)?(?:给予|按|发放|补贴|奖励)")


def _clauses(ev, p, terms, heads, period, region, words, alternatives) -> list[Candidate]:
    out = []
    for sentence in split_sentences(p.text):
        if not _FIGURE.search(sentence):
            continue
        label = label_period(sentence, p.section, period)
        near = frozenset({region})
        places = find_places(sentence, words.place_aliases, words.generic_places, near)
        sentence_topic = coverage(sentence, terms, alternatives)
        clauses = _CLAUSE.findall(sentence)
        # A sentence with one figure is all about it: its other clauses are that figure's context.
        single = sum(1 for c in clauses if _FIGURE.search(c)) == 1
        for i, clause in enumerate(clauses):
            if not _FIGURE.search(clause):
                continue
            # "…总量达120万，其中高技能人才占比30%": a part of the whole said before it
            part = clause.startswith("其中")
            # a short clause's subject is shown with it, unless it states a figure of its own
            subject = clauses[i - 1] if i and (len(clause) < 16 or part) else ""
            # "对毕业5年内的…从事个体经营，正常经营6个月以上的，给予5000元一次性创业补贴": the conditions
            # (their spans and ages are no figures of their own) are what the granted figure is for
            granted = bool(_CONDITION.match(ITEM_MARK.sub("", sentence)) and _GRANT.match(clause))
            context = sentence if single or granted else subject + clause
            if _FIGURE.search(subject) and not part:
                subject = ""
            # a clause shares most of its sentence's topic ("…吸引机构入驻园区,争取入驻…达到500家以上")
            own = coverage(context, terms, alternatives)
            topic = max(own, CLAUSE_SHARE * sentence_topic) if own >= 0.6 * sentence_topic else own
            text = (subject + clause).rstrip("，,；;。：:")
            text = re.sub(r"^——|^\d{1,2}[.．、]\s*", "", text)
            clause_places = (
                find_places(subject + clause, words.place_aliases, words.generic_places, near) or places
            )
            out.append(
                Candidate(
                    ev,
                    text,
                    sentence,
                    label,
                    clause_places,
                    topic,
                    sentence_topic,
                    holds_heads(f"{context} {words.implied_words(clause)}", heads, alternatives),
                    True,
                    value_kinds(clause),
                    region,
                    pairs=_respectively(text),
                )
            )
    return out


_BRACKET_NOTE = re.compile(r"[\[［]\s*[\]］]内(?:为|是|数字为)?([^。；;]+)")


def _bracketed(value: str, note: str) -> str:
    """A cell the table marks with brackets, its note saying what they mean ("注：[]内为5年累计数"):
    the value with the note's words, "75（5年累计数）", instead of the bare "[75]" a reader cannot
    interpret. "" when the cell has no brackets or the note does not explain them."""
    parts = _bracket_parts(value, note)
    return f"{parts[0]}（{parts[2]}）{parts[1]}" if parts else ""


def total_in_words(value: str, note: str) -> str:
    """A bracketed cell said as a sentence would: "［50］万人次" → "50万人次（5年累计数）"; "" as _bracketed."""
    parts = _bracket_parts(value, note)
    return protect_brackets(f"{parts[0]}{parts[1]}（{parts[2]}）") if parts else ""


def _bracket_parts(value: str, note: str) -> tuple[str, str, str] | None:
    """A bracketed cell's number, the rest after the bracket and what the note says brackets mean."""
    m = re.fullmatch(r"[\[［]\s*([^\]］]+?)\s*[\]］](.*)", value.strip())
    meaning = _BRACKET_NOTE.search(note)
    if not m or not meaning:
        return None
    return m.group(1), m.group(2), meaning.group(1).strip()


def _respectively(text: str) -> list[tuple[str, str]]:
    """ "城区、长浏宁三县（市）最低工资标准分别提高到1700元/月、1540元/月" → [(城区, 1700元/月), (长浏宁三县（市）…, 1540元/月)]."""
    if "分别" not in text:
        return []
    before, _, after = text.partition("分别")
    items = [i for i in re.split(r"[、和及与]", before) if i]
    figures = [m.group(0) + _unit_tail(after, m.end()) for m in _FIGURE.finditer(after)]
    return list(zip(items, figures, strict=True)) if len(items) == len(figures) >= 2 else []


def _unit_tail(text: str, end: int) -> str:
    """The rest of a compound unit after the matched one: 元 + /月."""
    m = re.match(r"/[月年日人]", text[end:])
    return m.group(0) if m else ""


def rank_key(c: Candidate) -> float:
    return c.topic + 0.3 * c.sentence_topic + 0.15 / (1 + c.evidence.rank)


def focus_pair(c: Candidate, slots: Slots, words: QuestionWords) -> tuple[str, str] | None:
    """Which item of a "分别" list the question asks about: the one naming its county, or the one whose
    opening words the question uses (城区 in 长沙城区最低工资); None when that is not clear."""
    if not c.pairs:
        return None
    wanted = {p.name for p in slots.sub_places}
    if wanted:
        named = [
            (item, figure)
            for item, figure in c.pairs
            if wanted
            & {p.name for p in find_places(item, words.place_aliases, words.generic_places, {c.region})}
        ]
    else:
        question = fold(slots.request_text)
        named = [(item, figure) for item, figure in c.pairs if len(item) >= 2 and fold(item[:2]) in question]
        level = words.levels.search(question) if words.levels and not named else None
        if level:  # "长沙的县里…": the item of that level (长浏宁三县（市）)
            key = re.sub(r"^下面的?|(?:里|上|一级)$", "", level.group(0))
            named = [(item, figure) for item, figure in c.pairs if key and key in item]
    return named[0] if len(named) == 1 else None


@dataclass
class Selection:
    lead: Candidate | None = None
    focus: tuple[str, str] | None = None  # the asked item of a 分别 list and its figure
    related: list[Candidate] = field(default_factory=list)  # nearest figures, for a 未载明 answer
    not_stated: str = ""  # what the documents do not state, when the slot's own wording won't say it
    mismatch: str = ""  # which slot failed: period | place | value | topic | near_miss | year | compare


def select(cands: list[Candidate], slots: Slots, periods: dict[str, DocPeriod]) -> Selection:
    """The candidate that answers every asked slot, or why none does and what is nearest."""
    ranked = sorted(cands, key=rank_key, reverse=True)
    on_topic = [c for c in ranked if c.topic >= LEAD_MIN_TOPIC and c.heads_held]
    if on_topic and slots.period != "target":
        # Unless a target is asked for, a figure already reached comes first, the latest result first
        # (2020年完成数 before 十二五基数 and 十三五规划数).
        best = on_topic[0].topic
        on_topic.sort(
            key=lambda c: (
                c.topic < best - TOPIC_MARGIN,
                c.period.kind != "past",
                c.period.goal,
                -max(c.period.years, default=0) if c.is_cell else 0,
                not c.names_plans(slots.asked_plans),
            )
        )
    if slots.years:  # a figure that names the asked year before one only inferred to be of it
        on_topic.sort(key=lambda c: not set(slots.years) & c.period.years)
    related = [c for c in ranked if c.topic >= RELATED_MIN_TOPIC][:2]
    other_kind = [  # of the asked period and place, but another kind of value
        c
        for c in on_topic
        if _other_kind(c, slots)
        and c.matches_places(slots)
        and c.matches_period(slots, periods.get(c.evidence.paragraph.doc_id, DocPeriod()))
    ]
    most_on_topic = max((c.topic for c in other_kind), default=0.0)
    for c in on_topic:
        period = periods.get(c.evidence.paragraph.doc_id, DocPeriod())
        if c.matches_period(slots, period) and c.matches_places(slots) and c.matches_value(slots):
            if most_on_topic >= c.topic + TOPIC_MARGIN:
                # "就业见习补贴每月多少元": 按最低工资标准的70%发放见习补贴 names it; 1000元求职创业补贴, which
                # only shares 补贴, is another thing's amount
                return Selection(related=other_kind[:2], mismatch="value")
            return Selection(lead=c, related=related)
    if not on_topic:
        # Figures near the topic that may still be the asked one (the indicator worded differently):
        # no lead line, but no refusal either. None at all: the documents give no such figure.
        near = [c for c in ranked if c.topic >= LEAD_MIN_TOPIC]
        if not near:
            # Not even a loosely related figure: the documents give no such number. A figure that
            # shares some of the question's words may still be it, worded otherwise: no verdict then.
            loose = [c for c in ranked if c.topic >= RELATED_MIN_TOPIC]
            if not loose:
                return Selection(related=related, mismatch="topic")
            # Even loosely: a county named in the question that no such figure names is not stated.
            if slots.sub_places and not any(c.matches_places(slots) for c in loose):
                return Selection(related=related, mismatch="place")
            held = [c for c in loose if c.heads_held]
            if not held:  # none of them names the asked indicator either
                return Selection(related=related, mismatch="topic")
            # A period was asked and none of them is of it ("创业带动就业的目标是多少" near 十三五 results):
            # whatever they are, they do not answer it.
            if slots.period in ("target", "past", "year") and not any(
                c.matches_period(slots, periods.get(c.evidence.paragraph.doc_id, DocPeriod())) for c in held
            ):
                return Selection(related=related, mismatch="period")
            return Selection(related=related)
        # A county or a year was asked and none of the near figures names it: not stated either way.
        if slots.sub_places and not any(c.matches_places(slots) for c in near):
            return Selection(related=_of_period_first(near, slots, periods)[:2], mismatch="place")
        if slots.period == "year" and not any(
            c.matches_period(slots, periods.get(c.evidence.paragraph.doc_id, DocPeriod())) for c in near
        ):
            return Selection(related=near[:2], mismatch="period")
        return Selection(related=near[:2], mismatch="topic")
    if other_kind:  # the asked period and place, another kind of value (覆盖率 for 参保人数): said as such
        return Selection(related=other_kind[:2], mismatch="value")
    c = on_topic[0]
    period = periods.get(c.evidence.paragraph.doc_id, DocPeriod())
    if not c.matches_places(slots):  # the city's figure for the asked period is the nearest
        return Selection(related=_of_period_first(on_topic, slots, periods)[:2], mismatch="place")
    if not c.matches_period(slots, period):
        return Selection(related=on_topic[:2], mismatch="period")
    return Selection(related=on_topic[:2], mismatch="value")


def _other_kind(c: Candidate, slots: Slots) -> bool:
    """A figure of another kind than the asked one (a rate where an amount is asked)."""
    return slots.value in _KIND_UNITS and bool(c.value_kinds) and slots.value not in c.value_kinds


def _of_period_first(cands: list[Candidate], slots: Slots, periods: dict[str, DocPeriod]) -> list[Candidate]:
    """Candidates of the asked period first (stable otherwise)."""
    return sorted(
        cands,
        key=lambda c: not c.matches_period(slots, periods.get(c.evidence.paragraph.doc_id, DocPeriod())),
    )


def lead_text(
    c: Candidate,
    periods: dict[str, DocPeriod],
    name_place: bool = True,
    focus: tuple[str, str] | None = None,
    measure: bool = False,
) -> str:
    """The first line: place, period and the value in the document's words (and, for a 分别 list, which
    item the question asked about)."""
    period = periods.get(c.evidence.paragraph.doc_id, DocPeriod())
    label = measure_label(c.period.text(period)) if measure else c.period.text(period)
    place = c.region if name_place else ""
    if c.is_cell:
        return f"{place}{'：' if place else ''}{c.text}"
    head = f"{place}{label}".strip()
    text = f"{c.text}（其中{focus[0]}为{focus[1]}）" if focus else c.text
    return f"{head}：{text}" if head else text


def target_beside(lead: Candidate, cands: list[Candidate]) -> str:
    """For a table cell of an achieved figure, the same row's target cell ("；2025年目标：96%"), so a
    question that names no period is answered with both the result and what the plan sets; else ""."""
    if not lead.is_cell or lead.period.kind != "past":
        return ""
    row = lead.evidence.paragraph.id
    targets = [c for c in cands if c.is_cell and c.evidence.paragraph.id == row and c.period.kind == "target"]
    if not targets:
        return ""
    indicator = lead.text.split("（", 1)[0]
    rest = targets[-1].text.removeprefix(indicator).lstrip("（").replace("）：", "：", 1)
    return f"；{rest}"


def related_line(c: Candidate, periods: dict[str, DocPeriod]) -> str:
    return lead_text(c, periods, measure=not c.figure)


def measure_label(label: str) -> str:
    """A period label for a measure the plan sets out, not a goal figure: “十四五”规划目标 → “十四五”规划提出."""
    return label.removesuffix("规划目标") + "规划提出" if label.endswith("规划目标") else label
