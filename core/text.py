"""Small Chinese text helpers shared by the answerers, the grounding check and the eval.

Sentences end at 。！？； (and their ASCII forms); numbers are compared after folding width,
thousands separators and Chinese numerals, so '１，７００' , '1700' and '一千七百' are one number.
"""

from __future__ import annotations

import re
import unicodedata

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*|[。！？；!?;]+")
_STRONG_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*|[。！？!?]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"万": 10_000, "亿": 100_000_000}
CITATION_MARK = re.compile(r"\[(\d{1,2})\]")
# A numbered item's mark at the start of a unit: "1." / "1、" or "（二）" / "(3)".
ITEM_MARK = re.compile(r"^(?:\d{1,2}[.．、]|[（(][一二三四五六七八九十\d]{1,3}[）)])\s*")


def normalize_for_match(text: str) -> str:
    """Fold width variants, case and whitespace so that '，' matches ',' and '１７００' matches '1700'
    (for matching only, never for display; the cleaner and the answerers share this definition)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


fold = normalize_for_match


def split_sentences(text: str, strong_only: bool = False) -> list[str]:
    """Sentences with their closing punctuation; citation markers stay attached to their sentence.

    By default ；also ends a sentence (finer units for quoting); ``strong_only`` splits at 。！？ only.
    """
    pattern = _STRONG_SENTENCE if strong_only else _SENTENCE
    pieces = [m.group(0) for m in pattern.finditer(text)]
    out: list[str] = []
    for piece in pieces:
        # A marker that follows the punctuation ("…。[1]") belongs to the sentence before it.
        lead = CITATION_MARK.match(piece.strip())
        while out and lead:
            out[-1] += lead.group(0)
            piece = piece.strip()[lead.end() :]
            lead = CITATION_MARK.match(piece)
        if piece.strip():
            out.append(piece)
    return out


def chinese_to_int(numeral: str) -> int | None:
    """'一千七百' → 1700, '十五' → 15, '二〇二五' → 2025 (digit-by-digit form). None when not a number."""
    if not numeral or any(ch not in _CN_DIGIT and ch not in _CN_UNIT and ch not in "万亿" for ch in numeral):
        return None
    if all(ch in _CN_DIGIT for ch in numeral) and len(numeral) > 1:
        return int("".join(str(_CN_DIGIT[ch]) for ch in numeral))
    total, section, digit = 0, 0, 0
    for ch in numeral:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            section += (digit or 1) * _CN_UNIT[ch]
            digit = 0
        else:  # 万 / 亿
            scale = 10_000 if ch == "万" else 100_000_000
            total += (section + digit) * scale
            section, digit = 0, 0
    return total + section + digit


def numbers_in(text: str) -> set[str]:
    """Canonical numbers in a text: '1,700' → '1700', '5.50' → '5.5', '二〇二五' → '2025'."""
    folded = unicodedata.normalize("NFKC", text)
    found = set()
    for m in _NUMBER.finditer(folded):
        raw = m.group(0)
        value = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw) else raw
        for part in value.split(","):
            found.add(_canonical(part))
        after = folded[m.end() : m.end() + 2]
        # "[50]万": a table's bracket (its note says what it marks) sits between the number and its scale
        scale = _SCALE.get(after[1:] if after[:1] == "]" else after[:1])
        if scale and "," not in value:  # "5万" also counts as 50000, so it matches "五万"
            found.add(_canonical(repr(round(float(value) * scale, 6)).removesuffix(".0")))
    return {n for n in found if n}


def chinese_numbers_in(text: str) -> set[str]:
    """Numbers written in Chinese numerals (两万 → 20000), for matching answers to sources."""
    out = set()
    for m in _CN_NUMERAL.finditer(text):
        value = chinese_to_int(m.group(0))
        if value is not None and value >= 10:
            out.add(str(value))
    return out


def _canonical(number: str) -> str:
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number.lstrip("0") or "0"


_SOURCE_BRACKET = re.compile(r"\[(\d+(?:\.\d+)?)\]")


def protect_brackets(text: str) -> str:
    """Show a source's own bracketed figures ("[75]", 5-year totals) as ［75］ so they are never read as
    citation markers. Only for display and prompts; stored text keeps the original characters."""
    return _SOURCE_BRACKET.sub(r"［\1］", text)


def strip_marks(text: str) -> str:
    return CITATION_MARK.sub("", text)
