"""Heading families of Chinese government documents, and the tests that tell a heading from a paragraph.

The families are general (not keyed to any one file): 第X部分/第X章/第X节, 一、, （一）/(一), 1./1、/1．,
（1）/(1), and 专栏N boxes. Which family sits above which is decided per document by the order in
which they appear (see parse.py), the way Markdown renderers infer levels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"
_NUM = rf"[{CN_NUM}\d]+"

# (kind, pattern). The pattern's group "title" is the text after the marker.
HEADING_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(rf"^第{_NUM}部分[\s　]*(?P<title>.*)$")),
    ("chapter", re.compile(rf"^第{_NUM}章[\s　]*(?P<title>.*)$")),
    ("section", re.compile(rf"^第{_NUM}节[\s　]*(?P<title>.*)$")),
    ("box", re.compile(r"^专栏[\s　]*\d+[\s　]*(?P<title>.*)$")),
    ("cn_item", re.compile(rf"^[{CN_NUM}]+、[\s　]*(?P<title>.*)$")),
    ("cn_paren", re.compile(rf"^[（(][{CN_NUM}]+[）)][\s　]*(?P<title>.*)$")),
    ("num_item", re.compile(r"^\d{1,2}[.．、](?!\d)[\s　]*(?P<title>.*)$")),
    ("num_paren", re.compile(r"^[（(]\d{1,2}[）)][\s　]*(?P<title>.*)$")),
]

# A heading line alone is short and carries no sentence punctuation.
MAX_HEADING_CHARS = 40
# An inline heading ("1.落实就业优先政策。严格落实……") has a short title before the first 。
MAX_INLINE_TITLE_CHARS = 30
SENTENCE_END = "。！？；!?;"


@dataclass(frozen=True)
class Heading:
    kind: str
    title: str  # marker and title as written, e.g. "第一节 发展基础" or "1.落实就业优先政策"
    inline: bool  # True when the line goes on with body text after the title


def match_heading(line: str) -> Heading | None:
    """The heading a line starts with, or None when the line is an ordinary paragraph."""
    text = line.strip().rstrip("\t")
    if not text or "\t" in text:
        return None
    for kind, pattern in HEADING_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        if not any(ch in text for ch in SENTENCE_END) and len(text) <= MAX_HEADING_CHARS:
            return Heading(kind, text, inline=False)
        cut = _first_sentence_end(text)
        if cut is not None and cut <= MAX_INLINE_TITLE_CHARS and cut < len(text) - 1:
            return Heading(kind, text[:cut].rstrip(), inline=True)
        if kind == "box":  # a box title is a heading even when long
            return Heading(kind, text, inline=False)
        return None
    return None


def _first_sentence_end(text: str) -> int | None:
    positions = [text.find(ch) for ch in "。：:" if ch in text]
    return min(positions) if positions else None
