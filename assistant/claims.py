"""Is one claim supported by the paragraphs it cites? The check grounding applies to every sentence,
scored as a classifier on labelled claims by evals/grounding_eval.py.

A claim is supported when (in this order) it cites something; every number in it occurs in the
cited text (or the documents' metadata); most of its character bigrams occur there; each figure
with a unit keeps its own context: the same magnitude and unit, a period or year that does not
contradict the one the source gives that figure (a 2020 actual is not a 2025 target), and an
indicator that fits that figure better than any other figure's in the cited text (15万 of 工伤保险
is not 15万 of 失业保险); the places and domain terms it names occur in the cited text; and no
clause negates what its source clause affirms (or the reverse).

Deliberately lexical and deterministic: no model, so the same answer always gets the same verdict.
It cannot tell a paraphrase that changes meaning without changing words or figures.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from policyqa.core.text import chinese_numbers_in, fold, numbers_in, split_sentences, strip_marks

SUPPORT_THRESHOLD = 0.5
_CONTENT_CHARS = re.compile(r"[\w\u3400-\u9fff]")
_TITLE = re.compile(r"《[^》]*》")
_SCALES = {"千": 1e3, "万": 1e4, "亿": 1e8}
_UNITS = "元/月|元/人|元/年|万元|元|人次|人|户|个百分点|个|家|所|项|次|%|岁|天|小时|平方米|亩|公里|倍|名|套|件|场|届|条|期|本|张|类"
# "[50]万人次": a bracketed 5-year total keeps its unit after the bracket.
_FIGURE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\]?\s*([千万亿])?\s*({_UNITS})?")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:[—–\-~至到]\s*((?:19|20)\d{2}))?\s*年")
_PLAN_PERIOD = re.compile(r"十([一二三四五六])五")
_PLAN_START = {"一": 2006, "二": 2011, "三": 2016, "四": 2021, "五": 2026, "六": 2031}
_NEGATION = re.compile(r"不(?!断|少|仅)|未|无|没有|非|禁止")
_CLAUSE_SPLIT = re.compile(r"[，,。；;：:！？!?、]")
_TABLE_ROW = re.compile(r"^[^；：]{1,12}：[^；]*；")
_INDICATOR_KEYS = ("指标", "项目", "名称", "内容")
_HEADING_LABEL = re.compile(
    r"第[一二三四五六七八九十百\d]+[章节部分篇]|专栏\d+|[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、"
)


@dataclass
class ClaimVerdict:
    supported: bool
    reason: str = ""  # empty | header | uncited | number | overlap | unit | period | indicator | place | term | negation
    bad_numbers: set[str] = field(default_factory=set)


@dataclass
class Figure:
    """A number with a unit or scale, where it stands, and what it is a figure of."""

    value: str
    magnitude: float
    unit: str
    start: int
    end: int
    context: str = ""  # the words naming what the figure measures
    periods: frozenset[str] = frozenset()  # years and plan periods it is stated for


def bigrams(text: str) -> set[str]:
    chars = [ch for ch in fold(text) if _CONTENT_CHARS.match(ch)]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} or set(chars)


def support(sentence: str, sources: list[str]) -> float:
    """Share of the sentence's character bigrams found in the sources (0..1)."""
    wanted = bigrams(strip_marks(sentence))
    if not wanted:
        return 1.0
    have = set().union(*(bigrams(s) for s in sources)) if sources else set()
    return len(wanted & have) / len(wanted)


def _numbers(text: str) -> set[str]:
    return numbers_in(text) | chinese_numbers_in(text)


# -- periods ---------------------------------------------------------------------------------------


def _expand_years(first: int, last: int) -> set[str]:
    out = set()
    for year in range(first, last + 1):
        out.add(str(year))
        for digit, start in _PLAN_START.items():
            if start <= year < start + 5:
                out.add(f"十{digit}五")
    return out


def _period_mentions(text: str) -> list[tuple[int, set[str]]]:
    """(position, years and plan periods) of each year, year range or 十X五 mention."""
    out = []
    for m in _YEAR.finditer(text):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        out.append((m.start(), _expand_years(first, max(first, last))))
    for m in _PLAN_PERIOD.finditer(text):
        start = _PLAN_START[m.group(1)]
        out.append((m.start(), _expand_years(start, start + 4)))
    return sorted(out, key=lambda x: x[0])


def _is_year(text: str, m: re.Match) -> bool:
    return bool(_YEAR.match(text, m.start())) or bool(
        re.match(r"(?:19|20)\d{2}\s*[—–\-~至到]", text[m.start() :])
    )


# -- figures ---------------------------------------------------------------------------------------


def _raw_figures(text: str) -> list[Figure]:
    figures = []
    for m in _FIGURE.finditer(text):
        value, scale, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        if not (scale or unit) or _is_year(text, m):
            continue
        before = text[max(0, m.start() - 2) : m.start()]
        if before.endswith(("第", "专栏", "〔")) or text[m.end(1) : m.end(1) + 1] == ".":
            continue  # ordinals, 文号, list numbers
        if unit == "万元":
            scale, unit = "万", "元"
        magnitude = float(value) * _SCALES.get(scale, 1.0)
        figures.append(Figure(value, magnitude, unit, m.start(), m.end()))
    return figures


def _context_words(text: str) -> str:
    text = _YEAR.sub("", text)
    text = _PLAN_PERIOD.sub("", text)
    return "".join(ch for ch in text if _CONTENT_CHARS.match(ch) and not ch.isdigit())


def prose_figures(text: str) -> list[Figure]:
    """Figures of running text, each with the words since the previous figure as its context
    (enumerations such as "分别为1700元/月、1540元/月" share the context before the first) and the
    nearest year or plan period before it in its sentence (else the first after it)."""
    text = unicodedata.normalize("NFKC", _TITLE.sub("", text))
    out: list[Figure] = []
    offset = 0
    for sentence in split_sentences(text):
        mentions = _period_mentions(sentence)
        previous_end, previous_context = 0, ""
        figures = _raw_figures(sentence)
        for i, figure in enumerate(figures):
            words = _context_words(sentence[previous_end : figure.start])
            if len(words) < 2:
                words = previous_context or _context_words(
                    sentence[figure.start : figures[i + 1].start if i + 1 < len(figures) else len(sentence)]
                )
            figure.context = words
            before = [p for pos, p in mentions if pos < figure.start]
            after = [p for pos, p in mentions if pos > figure.start]
            figure.periods = frozenset(before[-1] if before else after[0] if after else set())
            previous_end, previous_context = figure.end, words
            figure.start += offset
            figure.end += offset
            out.append(figure)
        offset += len(sentence)
    return out


def table_figures(text: str) -> list[Figure]:
    """Figures of an indicator-table row ("指标：…；单位：万人；2020年：182.8；2025年：212.7"): each has the
    row's indicator as context, the period of its column, and the row's unit when it has none."""
    fields = []
    for part in unicodedata.normalize("NFKC", text).split(";"):
        key, sep, value = part.partition(":")
        if sep:
            fields.append((key.strip(), value.strip()))
    indicator = next((v for k, v in fields if k in _INDICATOR_KEYS), fields[0][1] if fields else "")
    indicator = re.sub(r"^\d+[.、]", "", indicator)
    unit_field = next((v for k, v in fields if k == "单位"), "")
    default = _raw_figures(f"1{unit_field}")
    out = []
    for key, value in fields:
        if key in _INDICATOR_KEYS or key in ("单位", "属性"):
            continue
        mentions = _period_mentions(key)
        for figure in _raw_figures(value) or _raw_figures(
            f"{value}{unit_field}" if re.fullmatch(r"[\d.\[\]]+", value) else ""
        ):
            if default and not figure.unit and figure.magnitude == float(figure.value):
                figure.unit = default[0].unit
                figure.magnitude *= default[0].magnitude
            figure.context = _context_words(indicator + key)
            figure.periods = frozenset(set().union(*(p for _, p in mentions)) if mentions else set())
            out.append(figure)
    return out


def source_figures(text: str) -> list[Figure]:
    text = unicodedata.normalize("NFKC", text)
    if _TABLE_ROW.match(text) and text.count(":") >= 3:
        row, _, note = text.partition("(注")
        return table_figures(row) + prose_figures(note)  # the table's 注 ("[]内为5年累计数") is prose
    return prose_figures(text)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _units_agree(a: str, b: str) -> bool:
    return not a or not b or a == b or a.startswith(b) or b.startswith(a)


def _figure_reason(figure: Figure, sources: list[Figure]) -> str:
    """'' when some source figure is this one in its own context; else unit | period | indicator."""
    own = [s for s in sources if _same(s.magnitude, figure.magnitude) and _units_agree(s.unit, figure.unit)]
    if not own:
        return "unit"
    if figure.periods:
        own = [s for s in own if not s.periods or s.periods & figure.periods]
        if not own:
            return "period"
    others = [s for s in sources if not _same(s.magnitude, figure.magnitude)]
    wanted = bigrams(figure.context) if figure.context else set()
    if not wanted or not others:
        return ""
    for mine in own:
        mine_bigrams = bigrams(mine.context)
        beaten = False
        for other in others:
            other_bigrams = bigrams(other.context)
            only_other = len(wanted & (other_bigrams - mine_bigrams))
            only_mine = len(wanted & (mine_bigrams - other_bigrams))
            if only_other >= 2 and only_mine == 0:
                beaten = True
                break
        if not beaten:
            return ""
    return "indicator"


# -- places, terms, negation -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _domain_terms() -> tuple[str, ...]:
    """The profile's dictionary terms (the bundled default profile's: the check has no settings)."""
    from policyqa.core.profile import DEFAULT_PROFILE, load_profile

    userdict = load_profile(DEFAULT_PROFILE).userdict
    if userdict is None:
        return ()
    terms = []
    for line in userdict.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not line.startswith("#") and len(parts[0]) >= 3 and (len(parts) < 3 or parts[2] != "a"):
            terms.append(parts[0])
    return tuple(terms)


def _missing_place(claim: str, source_text: str) -> str:
    from policyqa.assistant.query import place_aliases
    from policyqa.index.sparse import place_names

    for place in place_names(_TITLE.sub("", claim)):
        if not any(fold(alias) in source_text for alias in place_aliases(place)):
            return place
    return ""


def _period_contradiction(claim: str, paragraphs: list[str]) -> bool:
    """The claim names a year or plan period that the cited paragraphs contradict: they name periods,
    none of them this one (a 十三五 result told as 十四五, a 2020 event as 2025)."""
    stated = [p for _, p in _period_mentions(unicodedata.normalize("NFKC", _TITLE.sub("", claim)))]
    if not stated:
        return False
    given = set().union(
        *(p for text in paragraphs for _, p in _period_mentions(unicodedata.normalize("NFKC", text)))
    )
    return bool(given) and any(not (period & given) for period in stated)


def _title_mismatch(claim: str, source_text: str) -> str:
    """A document named in the claim (《…》) but not quoted exactly must not name another place or period."""
    from policyqa.index.sparse import place_names

    for m in _TITLE.finditer(claim):
        title = fold(m.group(0))
        if title in source_text:
            continue
        for period in _PLAN_PERIOD.findall(title):
            if f"十{period}五" not in source_text:
                return "period"
        if any(place not in source_text for place in place_names(title)):
            return "place"
    return ""


def _missing_term(claim: str, source_text: str) -> str:
    """A domain term of the claim the cited text lacks. Plan periods (十三五) are not terms here: whether a
    figure's period is right is _period_contradiction's question (a 发展基础 paragraph names none)."""
    folded = fold(_TITLE.sub("", claim))
    for term in _domain_terms():
        if term in folded and not _PLAN_PERIOD.search(term) and not _spelled_out(term, source_text):
            return term
    return ""


def _spelled_out(term: str, text: str) -> bool:
    """The term is in the text, perhaps with a word between its characters (城镇新增就业 in 城镇累计新增就业)."""
    return term in text or re.search(".{0,2}".join(map(re.escape, term)), text) is not None


def negation_flip(sentence: str, sources: list[str]) -> bool:
    """Some clause of the sentence negates where the source clause it clearly comes from does not
    (or the reverse). Clause against clause, so a 不 elsewhere in a long sentence is not a flip."""
    source_clauses = [c for s in sources for c in _CLAUSE_SPLIT.split(s) if len(c) >= 4]
    folded_sources = [fold(s) for s in sources]
    for clause in (c for c in _CLAUSE_SPLIT.split(strip_marks(sentence)) if len(c) >= 4):
        if any(fold(clause) in s for s in folded_sources):
            continue  # quoted verbatim: nothing was flipped
        scored = [(support(clause, [c]), c) for c in source_clauses]
        score, best = max(scored, default=(0.0, ""))
        if score >= 0.6 and len(_NEGATION.findall(clause)) != len(_NEGATION.findall(best)):
            return True
    return False


# -- the check -------------------------------------------------------------------------------------


_HEADING_ORDINAL = re.compile(
    r"^(?:第[一二三四五六七八九十百\d]+[章节条部分]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.．、])\s*"
)


def is_header_echo(content: str, headers: list[str]) -> bool:
    """A sentence that only repeats source headers (《title》, section path, 文号, date): not a claim."""
    pieces = {fold(p) for h in headers for p in re.split(r"\s*>\s*|\n", h) if len(fold(p)) >= 2}
    pieces |= {
        t for t in (_HEADING_ORDINAL.sub("", p) for p in pieces) if len(t) >= 2
    }  # 二、社会保障 → 社会保障
    folded = fold(strip_marks(content))
    text = _TITLE.sub("", folded)
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, "")
    text = _HEADING_LABEL.sub("", text)  # "第二章 > 第三节": heading numbers without their titles
    left = [ch for ch in text if _CONTENT_CHARS.match(ch)]
    found = [p for p in pieces if len(p) >= 4 and p in folded]
    found = [p for p in found if not any(p != q and p in q for q in found)]  # 社会保障 within 二、社会保障
    had_header = "《" in folded or ">" in folded or len(found) >= 2
    return had_header and len(left) <= 3


# The extractive answer's first line starts with where and when a figure belongs, derived from the cited
# paragraph's document and section ("长沙市“十三五”时期：…", "长沙市：…（2025年目标）"): a label, not a claim.
_ANSWER_LABEL = re.compile(
    r"^[\u4e00-\u9fff]{2,12}?(?:省|市|州|县|区|盟)?(?:“十[一二三四五六七八九]五”(?:时期|规划目标))?："
)


def _bare_figure(content: str) -> bool:
    """A figure with (almost) nothing around it to say what it counts: "180万人。", "长沙：212.7万。"."""
    rest = _FIGURE_TEXT.sub("", unicodedata.normalize("NFKC", content))
    return bool(_FIGURE_TEXT.search(unicodedata.normalize("NFKC", content))) and (
        len(_CONTENT_CHARS.findall(rest)) <= 3
    )


_FIGURE_TEXT = re.compile(
    r"[<>≤≥]?\[?\d+(?:\.\d+)?\]?\s*(?:%|万|亿)?\s*(?:元/月|元|人次|人|家|个|名|所|张|次|场|项|户)?"
)


def check_claim(
    claim: str,
    sources: list[tuple[str, str]],
    allowed: set[str] | frozenset = frozenset(),
    strip_label: bool = False,
    question: str = "",
) -> ClaimVerdict:
    """Verdict on one claim given the (header, paragraph text) of each paragraph it cites.

    ``allowed`` are numbers from the cited documents' metadata (文号, dates), never figures.
    ``question``: a bare figure ("180万人。") answers it, so its indicator and period are the question's."""
    content = strip_marks(claim).strip()
    if strip_label:
        content = _ANSWER_LABEL.sub("", content)
    numbers = _numbers(content)
    if not _CONTENT_CHARS.search(content):
        return ClaimVerdict(False, "empty")  # bare markers and separators: "[1]、[2]、[3]"
    if len(_CONTENT_CHARS.findall(content)) <= 4 and not numbers:
        return ClaimVerdict(False, "empty")  # a stray label ("、社会保障"): nothing stated
    if is_header_echo(content, [header for header, _ in sources]):
        return ClaimVerdict(False, "header")  # an echoed source header says nothing
    if not sources:
        return ClaimVerdict(False, "uncited", numbers - set(allowed))
    texts = [f"{header}{text}" for header, text in sources]
    bad = numbers - set().union(*(_numbers(t) for t in texts)) - set(allowed)
    if bad:
        return ClaimVerdict(False, "number", bad)
    if support(content, texts) < SUPPORT_THRESHOLD:
        return ClaimVerdict(False, "overlap")
    cited_figures = [f for _, text in sources for f in source_figures(text)]
    stated = f"{question.rstrip('？?')}：{content}" if question and _bare_figure(content) else content
    for figure in prose_figures(stated):
        reason = _figure_reason(figure, cited_figures)
        if reason:
            return ClaimVerdict(False, reason, {figure.value})
    if _period_contradiction(content, [text for _, text in sources]):
        return ClaimVerdict(False, "period")
    source_text = fold("".join(texts))
    title_reason = _title_mismatch(content, source_text)
    if title_reason:
        return ClaimVerdict(False, title_reason)
    if _missing_place(content, source_text):
        return ClaimVerdict(False, "place")
    if _missing_term(content, source_text):
        return ClaimVerdict(False, "term")
    if negation_flip(content, texts):
        return ClaimVerdict(False, "negation")
    return ClaimVerdict(True)
