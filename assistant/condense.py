"""Follow-up questions resolved against the chat history.

Without an LLM a deterministic rewrite carries the place, year and topic forward: after
"长沙城区最低工资标准是多少？", "那湘潭呢？" becomes "湘潭城区最低工资标准是多少？" and "那到2025年呢？"
swaps the year; a question that leans on a pronoun ("它每年能带动多少人？") is asked together with the
previous question. With an LLM, prompts/condense.j2 asks the model for the standalone question.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from policyqa.assistant.places import short_name
from policyqa.assistant.query import analyse, place_aliases
from policyqa.assistant.slots import CONTEXT_OPEN, PLAN_NAME, QuestionWords, plan_names_in

log = logging.getLogger(__name__)

_FOLLOW_UP_START = re.compile(
    r"^(那么?|那个|还有|另外|再|而|那要是|如果是|换成|同样|相比之下|对于|至于|具体|详细|比如|例如)"
)
# Starters that only make a follow-up when what follows has no topic of its own: "对于退休人员呢？"
# leans on the last question, "再请问湘潭…农村劳动力转移就业有多少人？" does not.
_WEAK_START = re.compile(r"^(还有|另外|再|而|对于|至于)")
# Asking for details of the last answer ("具体有哪些？"), unless the question names its own place.
_DETAIL_START = re.compile(r"^(具体|详细|比如|例如)")
# A follow-up that points back at the documents: the current-year wording of the last turn no longer holds.
_BACK_TO_DOCUMENTS = re.compile(r"规划里|规划中|文件里|文件中|当初|原来|原先|计划的|定的")
_RELATIVE_YEAR = re.compile(r"今年|明年|去年|本年度|现在|目前|(?<!\d)20\d\d年?")
# What the last question asked for, carried into a topic shift: 湘潭社保卡发了多少张 + 电子社保卡呢 →
# 湘潭电子社保卡多少张.
_ASKING_TAIL = re.compile(
    r"(有多少|是多少|多少|几[个项家所名万次张场]|有哪些|哪些|有什么|什么|怎么|如何|目标|标准是).*$"
)
_ASKING_HEAD = re.compile(
    r"(有多少|是多少|多少|几[个项家所名万次张场]|有哪些|哪些|有什么|什么|怎么|如何|目标|标准是)"
    r"(新|具体)?(措施|举措|政策|办法|打算|安排|计划|支持|帮扶|扶持|待遇|要求|任务)?"
)
_FIGURE_END = re.compile(r"(是多少|有多少|多少|达到多少|要达到多少)$")
_PRONOUN = re.compile(
    r"它|其|这个|这项|该项|该|那个|这些|那些|上述|前面|这方面|此项|这一|他们|这块|那块|里面|里头"
)
_NE_END = re.compile(r"呢[？?。\s]*$")
# "失业率呢？控制在多少": a short "X呢" that opens the message, then how it asks about X (in at most two short
# clauses: "博士后工作站呢，数量上有没有个说法，多少个")
_NE_LEAD = re.compile(
    r"^([^？?，,。]{1,12})呢[？?，,。\s]+([^？?，,。]{1,12}?(?:[，,][^？?，,。]{1,8}?)?)[？?。\s]*$"
)
_ASKS = re.compile(r"多少|几|什么|怎么|如何|哪|吗|是否|有没有|能不能|能否|可以|可不可以|怎样|啥|咋|手续")
MAX_NE_TOPIC = 16  # characters of a topic said with 呢 alone ("农村劳动力转移就业呢")


def _ne_lead(question: str, info) -> re.Match | None:
    """ "失业率呢？控制在多少": a topic of its own before 呢, then a short clause that asks about it — not a
    period or place swap ("十五五呢？要新增多少": the old topic stays), not a new message ("怎么办呢？我被…")."""
    m = _NE_LEAD.match(question.strip())
    if not m or not _ASKS.search(m.group(2)) or not _CONTENT.search(m.group(2)):
        return None
    if PLAN_NAME.search(m.group(1)) or info.years or info.places or info.foreign_places:
        return None
    return m


_TRAILING = re.compile(r"[呢吗呀啊？?。！!\s]+$")
_CONTENT = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str


def normalise_history(history) -> list[Turn]:
    """Accept Turn objects, {"role","content"} dicts (Gradio messages) or (user, assistant) pairs."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict) and "role" in item:
            content = item.get("content")
            if isinstance(content, list):  # Gradio 6 may give a list of content parts
                content = "".join(
                    part.get("text", "") if isinstance(part, dict) else str(part) for part in content
                )
            turns.append(Turn(str(item["role"]), str(content or "")))
        elif isinstance(item, list | tuple) and len(item) == 2:
            user, bot = item
            if user:
                turns.append(Turn("user", str(user)))
            if bot:
                turns.append(Turn("assistant", str(bot)))
    return turns


def is_follow_up(
    question: str,
    documents: dict,
    slot_terms: frozenset[str] = frozenset(),
    levels: re.Pattern | None = None,
    info=None,
) -> bool:
    info = info or analyse(question, documents)
    core = _strip_context_words(question, info)
    lead = _ne_lead(question, info)
    # "电子社保卡呢？", "农村劳动力转移就业呢": a topic and 呢 ask nothing of their own
    topic_ne = len(core) <= 8 or (len(core) <= MAX_NE_TOPIC and not _ASKS.search(core))
    short_ne = (topic_ne and bool(_NE_END.search(question))) or (
        lead is not None and len(_strip_context_words(lead.group(1), info)) <= 8
    )
    start = _FOLLOW_UP_START.search(question.strip())
    if start and _WEAK_START.match(start.group(0)) and len(core) > 10 and not _PRONOUN.search(question):
        return False  # a new, complete question that happens to start with 再/而/对于
    if start and _DETAIL_START.match(start.group(0)) and info.places:
        return False  # "具体长沙城镇新增就业目标是多少": it names its own place
    return bool(
        start
        or _PRONOUN.search(question)
        or len(core) <= 4
        or short_ne
        or _level_asked(question, info, levels)
        or not _own_topic(core, slot_terms)
    )


_LEVEL_REST = re.compile(r"的?(?:是多少|多少|是多少钱|多少钱|标准)?")


def _level_asked(question: str, info, levels: re.Pattern | None) -> str:
    """ "县里是多少", "那区里呢": a level below the context's place and nothing else (no place, year, plan or
    asking of its own), so the same question is asked there; "" otherwise. The levels are profile data."""
    if levels is None or info.places or info.foreign_places or info.years or PLAN_NAME.search(question):
        return ""
    core = _strip_context_words(question, info)
    m = levels.match(core)
    return m.group(0) if m and _LEVEL_REST.fullmatch(core[m.end() :]) else ""


def _own_words(core: str, slot_terms: frozenset[str]) -> list[str]:
    """The question's words beyond period and value words (当初定的目标是多少 has none)."""
    from policyqa.index.sparse import tokenize

    skip = set(slot_terms) | {
        "定",
        "写",
        "写的",
        "规定",
        "当初",
        "当时",
        "原来",
        "原先",
        "是",
        "的",
        "呢",
        "吗",
    }
    return [t for t in tokenize(core) if len(t) > 1 and t not in skip and not any(t in s for s in slot_terms)]


def _own_topic(core: str, slot_terms: frozenset[str]) -> bool:
    """Does the question name a topic of its own? A topic is named by a noun (人事考试, 失业保险);
    "涉及多少人次" names none."""
    from policyqa.index.sparse import pos_tags

    words = _own_words(core, slot_terms)
    return any(tags and tags[-1].startswith(("n", "vn")) for tags in (pos_tags(w) for w in words))


def _strip_context_words(question: str, info) -> str:
    core = _TRAILING.sub("", question.strip())
    core = _FOLLOW_UP_START.sub("", core)
    for region in info.places + info.foreign_places:
        for alias in place_aliases(region):
            core = core.replace(alias, "")
    for year in info.years:
        core = core.replace(f"到{year}年", "").replace(f"{year}年", "").replace(year, "")
    core = re.sub(rf"(?:{PLAN_NAME.pattern})(?:时期|期间)?", "", core)  # a period, like a year
    return "".join(_CONTENT.findall(core))


def rewrite(
    question: str,
    history: list[Turn],
    documents: dict,
    slot_terms: frozenset[str] = frozenset(),
    words: QuestionWords | None = None,
) -> str:
    """Deterministic standalone version of a follow-up question (unchanged if it is not one); ``words``
    (the profile's question words) gives the levels below a place and how a target is asked."""
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous:
        return question
    # The previous question may itself have been a follow-up: resolve the chain from the start.
    context = previous[0]
    for earlier in previous[1:]:
        context = _merge(earlier, context, documents, slot_terms, words)
    return _merge(question, context, documents, slot_terms, words)


def _merge(
    question: str,
    context: str,
    documents: dict,
    slot_terms: frozenset[str] = frozenset(),
    words: QuestionWords | None = None,
) -> str:
    levels = words.levels if words else None
    cur = analyse(question, documents)  # read once: the follow-up test, the place and the merge use it
    if not is_follow_up(question, documents, slot_terms, levels, cur):
        return _in_context_place(question, cur, context, documents)
    if _BACK_TO_DOCUMENTS.search(question):
        context = _RELATIVE_YEAR.sub("", context)
    prev = analyse(context, documents)
    level = _level_asked(question, cur, levels)
    if level and len(prev.places) == 1:
        # "县里是多少" after "长沙最低工资标准是多少" → 长沙的县里最低工资标准是多少 (的: not 长沙县)
        at = max(m.end() for a in place_aliases(prev.places[0]) for m in re.finditer(re.escape(a), context))
        return _TRAILING.sub("", f"{context[:at]}的{level}{context[at:]}")
    merged = context
    # Places of the corpus and places jieba recognises alike ("那株洲呢？" is still a place swap).
    cur_places, prev_places = cur.places + cur.foreign_places, prev.places + prev.foreign_places
    if cur_places:
        if prev_places:
            for old in prev_places:
                for alias in place_aliases(old):
                    merged = merged.replace(alias, "\0")
            places = cur_places
            if _compared_with(question, cur_places):  # "比湘潭多多少": the context's place stays, beside it
                places = prev_places + [p for p in cur_places if p not in prev_places]
            merged = re.sub("\0+", "和".join(short_name(p) for p in places), merged)
        else:
            merged = "".join(short_name(p) for p in cur_places) + merged
    if cur.years:
        if prev.years:
            for old in prev.years:
                merged = merged.replace(old, "\0")
            merged = re.sub("\0+", cur.years[0], merged, count=1).replace("\0", "")
        else:
            merged = _TRAILING.sub("", merged) + f"（{cur.years[0]}年）"
    plans = sorted(plan_names_in(question))
    if plans and not cur.years:  # a plan period asked: the old question's years go with its period
        for old in prev.years:
            merged = re.sub(rf"到?{old}年?[底末]?", "", merged)
    if cur.years and not plans:  # a year asked: the old question's plan period goes
        merged = PLAN_NAME.sub("", merged)
    if len(plans) == 1:  # "十五五呢？": the new plan period takes the old one's place, like a year
        old = PLAN_NAME.search(merged)
        if old:
            merged = merged[: old.start()] + f"“{plans[0]}”" + merged[old.end() :]
        else:
            merged = _TRAILING.sub("", merged) + f"（“{plans[0]}”）"
    rest = _strip_context_words(question, cur)
    if rest and rest not in merged:
        asked = _TRAILING.sub("", question.strip())
        new_topic = bool(_own_words(rest, slot_terms))  # "博士后方面呢"; not "当时定的十四五目标呢"
        lead = _ne_lead(question, cur)
        ne = bool(_NE_END.search(question)) or lead is not None
        if ne and not _PRONOUN.search(question) and not cur_places and new_topic:
            # "博士后方面呢？": a new topic in the same setting: keep the place, not the old topic;
            # "失业率呢？控制在多少": the follow-up says how it asks.
            topic = _FOLLOW_UP_START.sub("", lead.group(1) if lead else asked)
            topic = re.sub(r"(?:方面|的)+$", "", topic)
            setting = "".join(short_name(p) for p in prev_places)
            tail = _TRAILING.sub("", lead.group(2)) if lead else _asking_tail(context, words)
            return setting + _periods(context) + topic + tail
        merged = f"{asked}{CONTEXT_OPEN}{_TRAILING.sub('', merged)}）"
    return merged


def _in_context_place(question: str, cur, context: str, documents: dict) -> str:
    """A new question that names no place, asked in a conversation about one place, is asked about that
    place: after "湘潭对农民工有哪些措施", "十三五农村劳动力转移就业新增了多少" still means 湘潭's. A question
    that names a place or compares, a quoted message (a reply request), or a context about several
    places is left as it is."""
    quoted = re.search(r"[“\"]", PLAN_NAME.sub("", question))  # “十四五” is no quoted message
    if cur.places or cur.foreign_places or cur.compare or quoted:
        return question
    places = analyse(context, documents).places
    if len(places) != 1:
        return question
    # said after the question, not before it: "湘潭" + "大学毕业生…" would read as 湘潭大学; before its
    # asking particle, so "…有补贴吗" still asks yes or no
    body = _TRAILING.sub("", question)
    particle = re.match(r"[呢吗呀啊]*", question[len(body) :].lstrip()).group(0)
    return f"{body}（{short_name(places[0])}）{particle}"


_SETTING_YEAR = re.compile(r"到?(?<!\d)20\d\d年?[底末]?")


def _periods(text: str) -> str:
    """The plan period or year a question is set in (十四五, 到2025年), to carry into a new topic; none
    when it names several (which one the new topic is asked for is not known)."""
    found = [m.group(0) for m in PLAN_NAME.finditer(text)] + _SETTING_YEAR.findall(text)
    return found[0] if len(found) == 1 else ""


_COMPARED_WITH = re.compile(r"(?:比|较)$")  # 比湘潭多多少: compared with the context's place


def _compared_with(question: str, places: list[str]) -> bool:
    """The follow-up compares its place with the context's ("比湘潭多多少", "比湘潭高吗")."""
    for place in places:
        for alias in place_aliases(place):
            at = question.find(alias)
            if at > 0 and _COMPARED_WITH.search(question[:at]):
                return True
    return False


def _asking_tail(context: str, words: QuestionWords | None = None) -> str:
    """How the last question asked, without its topic: "…有哪些措施帮高校毕业生就业" → 有哪些措施,
    "…参保目标是多少" → 目标是多少, "…参保率要达到多少" → 要达到多少 (a new topic takes the old one's place,
    not a place beside it; the words that asked for a target stay)."""
    context = _TRAILING.sub("", context)
    tail = _ASKING_TAIL.search(context)
    if not tail:
        return ""
    kept = _trimmed(tail.group(0))
    target = words.period.get("target") if words else None
    if target and kept.startswith(("多少", "是多少")):
        # the profile's target words just before the asking one: 要达到, 要控制在
        aims = [m for m in target.finditer(context) if m.start() < tail.start() <= m.end() + 2]
        if aims:
            return context[aims[-1].start() : tail.start()] + kept
    return kept


def _trimmed(text: str) -> str:
    """The asking words of a tail without the topic after them (有哪些措施帮高校毕业生就业 → 有哪些措施)."""
    head = _ASKING_HEAD.match(text)
    if not head or head.group(1) in ("什么", "怎么", "如何"):
        return text  # "怎么申请…", "什么时候…": the verb that follows is how it asks
    kept = head.group(0)
    end = _FIGURE_END.search(text)
    if end and not kept.endswith(end.group(0)):
        tail_words = end.group(0)
        overlap = next((n for n in range(len(tail_words), 0, -1) if kept.endswith(tail_words[:n])), 0)
        kept += tail_words[overlap:]  # 标准是 + 是多少 → 标准是多少
    return kept


def condense_with_llm(llm, question: str, history: list[Turn], render) -> str:
    """Ask the LLM for a standalone question; the caller falls back to ``rewrite`` on failure."""
    prompt = render("condense", history=history[-8:], question=question)
    text = llm.complete(prompt).text.strip().splitlines()
    return text[0].strip() if text and text[0].strip() else question
