"""What a question asks for, slot by slot: the period, the kind of value, the places, and whether it is a
question the documents cannot answer by their nature (a procedure, a contact, one person's eligibility)
or a question about the document itself (文号, 印发日期, 发文机关).

The words that signal each slot are profile data (profiles/<name>/slots.toml); this module
only applies them. Five-year-plan names are read as calendar periods (十三五 = 2016–2020), so a plan of
any period is understood without code changes.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from policyqa.assistant.places import Place, find_places

log = logging.getLogger(__name__)

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|\b|$|[^\d])")
PLAN_NAME = re.compile(r"“?十([一二三四五六七八九])五”?")  # 十四五 (with its quotes)
_CN = "一二三四五六七八九"


@dataclass(frozen=True)
class QuestionWords:
    """Compiled question-word patterns of a profile."""

    period: dict[str, re.Pattern]
    value: dict[str, re.Pattern]
    near_miss: dict[str, re.Pattern]
    metadata: dict[str, re.Pattern]
    request_prefix: re.Pattern
    request_suffix: re.Pattern
    request_wrapper: re.Pattern | None  # words around a quoted message that only ask for a reply
    place_aliases: dict[str, list[str]]
    generic_places: frozenset[str]
    levels: re.Pattern | None  # levels below a place ("县里是多少": the same question, a level down)
    slot_terms: frozenset[
        str
    ]  # words that fill the period/value slot or the asker's situation, not the topic
    implied: dict[str, re.Pattern] = field(default_factory=dict)  # 人数 is said by "34万人"
    colloquial: dict[re.Pattern, str] = field(default_factory=dict)  # 咋 → 怎么: read as the standard word
    asker: dict[str, re.Pattern] = field(default_factory=dict)  # the asker's situation, greeting, purpose
    change: dict[str, re.Pattern] = field(default_factory=dict)  # "会不会涨": whether an amount will rise

    def standard(self, text: str) -> str:
        """The question with its colloquial asking words in standard form ("咋领" → "怎么领"), so one
        pattern reads both; the asker's own text is kept for display."""
        for word, plain in self.colloquial.items():
            text = word.sub(plain, text)
        return text

    def implied_words(self, text: str) -> str:
        """The value nouns a text's figures say without the word: "失业保险参保34万人" names a 人数."""
        return " ".join(word for word, pattern in self.implied.items() if pattern.search(text))


@lru_cache(maxsize=8)
def load_question_words(profile_folder: Path | None = None) -> QuestionWords:
    """The slot words of a profile (profiles/<name>/slots.toml)."""
    from policyqa.core.profile import DEFAULT_PROFILE, PROFILES_DIR

    path = (profile_folder or PROFILES_DIR / DEFAULT_PROFILE) / "slots.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if "asking" not in data.get("asker", {}):
        log.warning("%s has no [asker] asking pattern: asides around a question are read as asked", path)

    def compiled(group: str) -> dict[str, re.Pattern]:
        return {name: re.compile(pattern) for name, pattern in data.get(group, {}).items()}

    places = data.get("places", {})
    return QuestionWords(
        period=compiled("period"),
        value=compiled("value"),
        near_miss=compiled("near_miss"),
        metadata=compiled("metadata"),
        request_prefix=re.compile(data["request"]["prefix"]),
        request_suffix=re.compile(data["request"]["suffix"]),
        request_wrapper=re.compile(data["request"]["wrapper"]) if data["request"].get("wrapper") else None,
        place_aliases={k: list(v) for k, v in places.get("aliases", {}).items()},
        generic_places=frozenset(places.get("generic", [])),
        levels=re.compile(places["levels"]) if places.get("levels") else None,
        slot_terms=frozenset(data.get("slot_terms", {}).get("words", [])),
        implied=compiled("implied"),
        colloquial={re.compile(word): plain for word, plain in data.get("colloquial", {}).items()},
        asker=compiled("asker"),
        change=compiled("change"),
    )


MAX_TOPICLESS = 3  # characters left of a follow-up without its period, asking and slot words: no topic


def names_topic(text: str, words: QuestionWords) -> bool:
    """Does a follow-up name a topic of its own, beyond its period, asking and slot words?
    "那十三五的时候做到多少了" names none; "…农村劳动力转移就业做到多少了" does."""
    rest = PLAN_NAME.sub("", _YEAR.sub("", text))
    for pattern in [*words.period.values(), *words.value.values()]:
        rest = pattern.sub("", rest)
    for word in sorted(words.slot_terms, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(re.findall(r"[\u4e00-\u9fff]", rest)) > MAX_TOPICLESS


def plan_names_in(text: str) -> set[str]:
    """The five-year plans a text names: {"十三五", "十四五"}."""
    return {f"十{m.group(1)}五" for m in PLAN_NAME.finditer(text)}


def plan_years(name: str) -> tuple[int, int] | None:
    """十三五 → (2016, 2020); 十四五 → (2021, 2025)."""
    m = PLAN_NAME.search(name)
    if not m:
        return None
    start = 2006 + 5 * _CN.index(m.group(1))  # 十一五 = 2006–2010 (the plans since have run back to back)
    return start, start + 4


_TARGET_YEAR = re.compile(r"(?:到|至|截至|截止)\s*(?:19|20)\d{2}")  # a year asked as one: 到2025年
_YEAR_SPAN = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:到|至|—|–|-|~|～)\s*((?:19|20)\d{2})\s*年?")


def plan_spans(text: str) -> str:
    """A span of years that is a five-year plan's ("2021到2025年", "2016—2020") named as that plan."""

    def named(m: re.Match) -> str:
        start, end = int(m.group(1)), int(m.group(2))
        plan = plan_name(start) if end - start == 4 else ""
        return f"{plan}期间" if plan else m.group(0)

    return _YEAR_SPAN.sub(named, text)


def plan_name(start: int) -> str:
    """2021 → 十四五 (the five-year plan starting that year), '' when not a plan start year."""
    index, rest = divmod(start - 2006, 5)
    return f"十{_CN[index]}五" if not rest and 0 <= index < len(_CN) else ""


_KINDS = ("rate", "amount", "count")  # the kinds of figure a context can say the follow-up still asks


@dataclass
class Slots:
    period: str = ""  # past | target | now | year (a calendar year asked) | "" (none)
    years: list[int] = field(default_factory=list)  # calendar years asked (今年 → this year)
    plan_names: list[str] = field(default_factory=list)  # 十三五, 十四五 … (context included)
    asked_plans: list[str] = field(default_factory=list)  # those the figure must belong to
    relative_year: str = ""  # 今年 / 明年 / 去年 as written (its year is the last of ``years``)
    cumulative: bool = False  # a total over several years is asked (累计, 一共, 这几年)
    level_asked: bool = False  # a level reached is asked (达到多少, 总量), no increase (新增, 培养)
    relative_offset: int = 0  # 0 this year, 1 next year, -1 last year
    target_asked: bool = False  # the question's words ask for a goal (目标, 计划, 要达到…)
    actual_asked: bool = False  # …or for what actually happened (实际, 完成了, 去年新增多少)
    value: str = ""  # amount | rate | count | yesno | listing | date | ""
    per_unit: bool = False  # the amount one person or firm gets (最多能贷多少), not a total
    count_named: bool = False  # the indicator names a count (参保人数), not just the question word (多少人)
    counted: str = ""  # the measure word a count is asked in (多少人次 → 人次), "" when none
    near_miss: str = ""  # procedure | contact | eligibility | legality | ""
    metadata: str = ""  # doc_number | date | issuer | title | published | period | ""
    places: list[Place] = field(default_factory=list)
    request_text: str = ""  # the question without reply-draft wrapping (市民留言：“…”请起草回复)

    @property
    def sub_places(self) -> list[Place]:
        return [p for p in self.places if p.level == "county"]

    @property
    def figure(self) -> bool:
        return self.value in ("amount", "rate", "count", "figure")

    def said_as(self, year: int) -> str:
        """How the question said a year: "（去年）" for the year a relative word stands for, else ""."""
        return f"（{self.relative_year}）" if self.relative_year and year == self.years[-1] else ""

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("period", self.period), ("value", self.value)) if v]
        if self.years:
            parts.append("years=" + ",".join(map(str, self.years)))
        if self.places:
            parts.append("places=" + ",".join(p.name for p in self.places))
        if self.per_unit:
            parts.append("per_unit")
        if self.near_miss:
            parts.append(f"near_miss={self.near_miss}")
        return " ".join(parts)


def strip_request(question: str, words: QuestionWords) -> str:
    """The citizen's words inside a reply request: 市民留言：“我…？”请起草回复。 → 我…？"""
    text = words.request_prefix.sub("", question.strip())  # before the suffix: it may look for 答复
    text = words.request_suffix.sub("", text).strip()
    quoted = re.search(r"[“\"](.+?)[”\"]", text)
    if quoted and len(quoted.group(1)) >= 6:
        before, outside = text[: quoted.start()], text.replace(quoted.group(0), "")
        # 帮我给市民回复一下。市民来电说：“…”: the words before the message introduce it, and nothing
        # around it asks a question of its own
        wrapper = words.request_wrapper is not None and bool(words.request_wrapper.search(before))
        if len(quoted.group(1)) >= len(text) - 12 or (wrapper and not re.search(r"[？?]", outside)):
            text = quoted.group(1)
    return text or question


def read_slots(
    question: str, words: QuestionWords, today: date | None = None, near: frozenset[str] = frozenset()
) -> Slots:
    """Read the period, value kind, places, near-miss and metadata slots from a question.

    ``near``: the regions of the indexed documents; a county may be named by its short name (宁乡)
    only there, elsewhere by its full name (资源县, not 人力资源)."""
    today = today or date.today()
    typed = strip_request(question, words)
    slots = Slots(request_text=typed)
    text = plan_spans(typed)  # "2016到2020年" is the 十三五, not two separate years
    slots.places = find_places(text, words.place_aliases, words.generic_places, near)
    at = question.find(typed)
    # "“…”帮我拟个回复，说说湘潭规划里的安排": the request after the message names the place asked about
    # (not "广州的网友留言：“…”", who asks), and may say what to tell (说说规划里有什么举措)
    after = question[at + len(typed) :] if typed != question and at >= 0 else ""
    if not slots.places and after:
        slots.places = find_places(after, words.place_aliases, words.generic_places, near)
    slots.plan_names = [f"十{m.group(1)}五" for m in PLAN_NAME.finditer(text)]  # in order, repeats kept
    # a rewritten follow-up's own words decide over its context's ("十四五目标（上文：十三五…）")
    own_text, context = split_context(text)
    asked_text = without_afterword(own_text, words)  # not the plan of "…多少？想跟十三五比一比"
    own = [f"十{m.group(1)}五" for m in PLAN_NAME.finditer(asked_text)]
    slots.asked_plans = own or slots.plan_names
    if context and not own and _period(own_text, Slots(), words) == "past":
        slots.asked_plans = []  # "上一个五年完成得怎么样（上文：…十四五目标…）": a result, of no plan the context names
    slots.years = [int(y) for y in _YEAR.findall(text)]
    # "我今年刚毕业，…十四五…打算新增多少": a 今年 of the asker's own situation, when the question names
    # the period it asks, is no period asked
    situation = situation_of(text, words)
    asked = text[len(situation) :]  # a plan, or a year asked as one ("到2025年"), not "2008年开始交的"
    asked_period = PLAN_NAME.search(asked) or _TARGET_YEAR.search(asked)
    for name, offset in (("this_year", 0), ("next_year", 1), ("last_year", -1)):
        pattern = words.period.get(name)
        m = pattern.search(text, len(situation) if asked_period else 0) if pattern else None
        if m:
            slots.relative_year, slots.relative_offset = m.group(0), offset
            slots.years.append(today.year + offset)
    slots.period = _period(text, slots, words)
    cumulative = words.period.get("cumulative")  # the follow-up's own words, not its context's
    slots.cumulative = bool(cumulative and cumulative.search(own_text))
    level, increase = words.period.get("level"), words.period.get("increase")
    slots.level_asked = bool(level and level.search(own_text)) and not (increase and increase.search(text))
    asking = asking_clause(own_text, words) or own_text  # "去年新增多少，完成目标了吗": the figure's clause
    asking_period = _period(asking, Slots(plan_names=slots.plan_names), words)
    slots.target_asked = asking_period == "target"
    # what actually happened: the asking clause says so (实际, 完成了), or 去年/今年 without a goal word
    slots.actual_asked = asking_period == "past" or (
        bool(slots.relative_year) and slots.relative_offset <= 0 and not slots.target_asked
    )
    values = {name: p for name, p in words.value.items() if name not in _SCOPE}
    # a rewritten follow-up's own words decide the kind asked ("那规划里怎么调（上文：…是多少）")
    # "能不能告诉我雨湖区分到多少": a polite frame that asks to be told is no yes/no question
    frame = words.value.get("tell_me")
    told = frame.sub("", own_text) if frame else own_text
    slots.value = next((name for name, p in values.items() if p.search(told)), "") or next(
        (name for name, p in values.items() if context and p.search(context)), ""
    )
    listing = words.value.get("listing")
    if not slots.value and after and listing and listing.search(after):
        slots.value = "listing"  # the message asks nothing of a kind; the request asks for the measures
    if slots.value == "figure" and context and not names_topic(own_text, words):
        # "那十三五的时候做到多少了（上文：…参保率…）": no topic of its own, so still a rate
        slots.value = next((n for n in _KINDS if n in values and values[n].search(context)), "figure")
    if (
        slots.value == "yesno" and asking != own_text
    ):  # "任务是多少？区里有没有单独的数": the figure's clause asks
        slots.value = next((name for name, p in values.items() if p.search(asking)), "yesno")
    figure = words.value.get("figure")
    noun_only = slots.value in _KINDS and figure and not figure.search(own_text)
    if noun_only and listing and listing.search(own_text):
        slots.value = "listing"  # only a noun names the kind (持卡人数…有啥目标): it asks what, not how much
    per_unit = words.value.get("per_unit")
    # an amount for one person or firm; a rate or a count "最高能达到多少" is no such thing
    slots.per_unit = slots.value in ("amount", "figure") and bool(per_unit and per_unit.search(own_text))
    count_named = words.value.get("count_named")
    slots.count_named = slots.value == "count" and bool(count_named and count_named.search(own_text))
    counted = words.value.get("counted")
    measure = counted.search(own_text) if counted and slots.value == "count" else None
    slots.counted = measure.group(1) if measure else ""
    slots.near_miss = near_miss_of(text, words)
    slots.metadata = next((name for name, p in words.metadata.items() if p.search(text)), "")
    return slots


_SCOPE = (
    "per_unit",
    "per_unit_figure",
    "count_named",
    "counted",
    "coverage",
    "tell_me",
)  # [value] patterns that scope a value rather than name its kind
CONTEXT_OPEN = "（上文："  # a rewritten follow-up: "当初定的目标是多少（上文：…完成了多少）"


def near_miss_of(text: str, words: QuestionWords) -> str:
    """Which near miss the text asks (procedure, contact, eligibility…), by the profile's patterns; "" if none."""
    return next((name for name, p in words.near_miss.items() if p.search(text)), "")


def split_context(text: str) -> tuple[str, str]:
    """A rewritten follow-up's own question and the context condense appended to it ("" when none)."""
    asked, _, context = text.partition(CONTEXT_OPEN)
    return asked or text, context.removesuffix("）")


def without_afterword(question: str, words: QuestionWords) -> str:
    """The question up to its afterword ("…多少？网上说法不一样。" → "…多少？")."""
    return question[: len(question) - len(afterword_of(question, words))]


def afterword_of(question: str, words: QuestionWords) -> str:
    """The clauses after the asking one that say why the asker asks ("…计划培训多少人次，看看市场有多大",
    "…完成了多少万人？领导要的材料里要写这个数") or are statements of their own after the question ("…多少？
    网上说法不一样。"): they ask nothing and name no topic."""
    if "asking" not in words.asker:
        return ""
    clauses = [c for c in re.split(r"(?<=[，,；;。？?！!])", question) if c.strip()]
    asks = [i for i, c in enumerate(clauses) if _asks(c, words)]
    if not asks:
        return ""
    tail = clauses[asks[0] + 1 :]
    separate = clauses[asks[0]].rstrip().endswith(_SENTENCE_END)  # the question ends its sentence
    n = len(tail)
    while n and _is_aside(tail, n - 1, separate, words):
        n -= 1
    return "".join(tail[n:])


def _is_aside(tail: list[str], i: int, separate: bool, words: QuestionWords) -> bool:
    """Clause ``i`` after the question adds nothing to what it asks."""
    clause, asker = tail[i].strip(), words.asker
    if _opens_with(asker.get("confirm"), clause):  # 对不对: a tag on the asker's guess
        return True
    if _asks(clause, words):
        return False
    if _opens_with(asker.get("afterword"), clause) or _holds(asker.get("purpose"), clause):
        return True  # 看看市场有多大, 我印象是七十几万, 想跟十三五比一比
    # a statement in its own sentence ("网上说法不一样。"), unless it narrows or adds to the ask ("还有十四五的",
    # "我在长沙县上班")
    return (
        separate
        and not _opens_with(asker.get("narrowing"), _sentence_start(tail, i))
        and not (PLAN_NAME.search(clause) or _YEAR.search(clause))
        and not find_places(clause, words.place_aliases, words.generic_places, frozenset())
    )


def _asks(clause: str, words: QuestionWords) -> bool:
    """The clause holds an asking word (几 of 这几年 asks nothing)."""
    quiet = words.asker.get("not_asking")
    return _holds(words.asker.get("asking"), quiet.sub("", clause) if quiet else clause)


_SENTENCE_END = ("？", "?", "。", "！", "!")


def _sentence_start(tail: list[str], i: int) -> str:
    """The first clause of the sentence that clause ``i`` of ``tail`` is in."""
    while i and not tail[i - 1].rstrip().endswith(_SENTENCE_END):
        i -= 1
    return tail[i].strip()


def _opens_with(pattern: re.Pattern | None, text: str) -> bool:
    return bool(pattern and pattern.match(text))


def _holds(pattern: re.Pattern | None, text: str) -> bool:
    return bool(pattern and pattern.search(text))


def situation_of(question: str, words: QuestionWords) -> str:
    """The leading clauses in which the asker tells their own situation (我刚下岗，) or why they ask
    (写年终材料要用一个数：; 在写一篇…的稿子，想核一下：), when a later clause asks."""
    if "asking" not in words.asker:
        return ""
    own, purpose = words.asker.get("situation"), words.asker.get("purpose")
    clauses = [c for c in re.split(r"(?<=[，,；;。：:])", question) if c.strip()]
    situation = []
    greeting = words.asker.get("greeting")
    opening = greeting.match(clauses[0]) if clauses and greeting else None
    if opening:  # "你好，我在写…", "您好！湘潭…": the greeting says nothing either
        situation.append(opening.group(0))
        clauses[0] = clauses[0][opening.end() :]
        if not clauses[0].strip():
            clauses.pop(0)
    while (
        len(clauses) > 1
        and not _asks(clauses[0], words)
        and (
            _opens_with(own, clauses[0])
            or (clauses[0].endswith(("：", ":")) and _holds(purpose, clauses[0]))  # 写年终材料要用一个数：
        )
    ):
        situation.append(clauses.pop(0))
    # "在写一篇…的稿子，想核一下：…多少": clauses up to a colon that ask nothing, the last saying why one asks
    colon = next((i for i, c in enumerate(clauses) if c.endswith(("：", ":"))), -1)
    lead_in = clauses[: colon + 1]
    if (
        0 < colon < len(clauses) - 1
        and _holds(purpose, clauses[colon])
        and not any(_asks(c, words) for c in lead_in)
    ):
        situation += lead_in
    return "".join(situation)


def asking_clause(text: str, words: QuestionWords) -> str:
    """The one clause of a question that asks for a figure ("" when none or several do)."""
    figure = words.value.get("figure")
    clauses = [c for c in re.split(r"[，,；;。？?！!]", text) if c.strip()]
    asking = [c for c in clauses if figure and figure.search(c)]
    return asking[0] if len(asking) == 1 else ""


def _period(text: str, slots: Slots, words: QuestionWords) -> str:
    """The asked period; in a rewritten follow-up ("当初定的目标是多少（上文：…完成了多少）") the
    words of the new question decide before those of the context."""
    asked, context = split_context(text)
    if context:  # the follow-up's own years and plan names, not those of its context
        years = [y for y in slots.years if str(y) in asked]
        own = _period(asked, Slots(years=years, plan_names=plan_names_in(asked)), words)
        if own:
            return own
    if slots.years:
        return "year"
    past = "past" in words.period and words.period["past"].search(text)
    target = "target" in words.period and words.period["target"].search(text)
    if past and target:
        asking = asking_clause(text, words)
        if asking and asking != text:  # "当初定的目标是多少，超额完成了没有": the clause that asks the figure
            return _period(asking, Slots(years=slots.years, plan_names=slots.plan_names), words)
        # "这几年打算新增多少": the intent word decides, whichever comes later
        return "target" if target.start() > past.start() else "past"
    if past:
        return "past"
    if target:
        return "target"
    if slots.plan_names:
        return "plan"  # a plan named without saying target or result: either is fine
    if "now" in words.period and words.period["now"].search(text):
        return "now"
    return ""
