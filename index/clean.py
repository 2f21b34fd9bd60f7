"""Undo the artifacts of PDF/web extraction while keeping the wording verbatim (citations quote it).

What it does, each step reported in ``CleanReport``:
- drops trailing page furniture (点击下载…, 来源：…, 编辑：…) and the 抄送/印发 block at the end;
- drops cover-page noise: file index numbers such as ``000292—2021—01063``;
- re-joins paragraphs broken mid-sentence across page breaks (``深入`` / blank / ``实施就业优先战略…``);
- removes stray spaces between CJK characters and digits (``170 余亿元`` → ``170余亿元``).
What it deliberately leaves alone: punctuation width (``,`` vs ``，``) stays as written; use
``normalize_for_match`` when comparing text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policyqa.core.text import normalize_for_match  # noqa: F401 (re-exported for callers of clean)
from policyqa.index.headings import match_heading

_FURNITURE = re.compile(
    r"^(点击下载|下载附件|附件下载|来源[:：]|编辑[:：]|责任编辑|审核[:：]|【?字体[:：]?|打印本页|关闭窗口|分享到|扫一扫)"
)
_FILE_INDEX_NUMBER = re.compile(r"^[0-9A-Z]{3,}[—\-–－][0-9]{4}[—\-–－][0-9]{3,}$")
_COPY_TO = re.compile(r"^抄\s*送[:：]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_STRAY_SPACE = re.compile(rf"(?<=[{_CJK}0-9%％])[ \u00a0\u3000]+(?=[{_CJK}0-9])")
_DIGIT_SPACE_DIGIT = re.compile(r"(?<=[0-9])[ \u00a0]+(?=[0-9])")
# Lines ending with these are complete; anything else followed by more body text was broken.
_COMPLETE_END = tuple("。！？；：…”’」』）)】]!?;:")
_BODY_PUNCT = re.compile(r"[，。；、,;]")
_BULLET_START = ("——", "注：", "注:", "●", "•", "■", "◆")


@dataclass
class CleanReport:
    removed_lines: list[tuple[str, str]] = field(default_factory=list)  # (reason, line)
    joined: list[tuple[str, str]] = field(default_factory=list)  # (end of first part, start of second)
    spaces_removed: int = 0


def clean_text(raw: str) -> tuple[str, CleanReport]:
    """Cleaned text, one paragraph (or table row) per line, and what was changed."""
    report = CleanReport()
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    lines = [line.rstrip(" \u3000\u00a0") for line in lines]
    lines = _drop_trailing_furniture(lines, report)
    lines = _drop_cover_noise(lines, report)
    paragraphs = _join_broken(lines, report)
    return "\n".join(_fix_spaces(p, report) for p in paragraphs), report


def _drop_trailing_furniture(lines: list[str], report: CleanReport) -> list[str]:
    end = len(lines)
    tail_start = max(0, end - 20)
    for i in range(tail_start, end):
        if _COPY_TO.match(lines[i].strip()):
            report.removed_lines += [("抄送/印发 block", line) for line in lines[i:end] if line.strip()]
            end = i
            break
    while end > 0:
        stripped = lines[end - 1].strip()
        if not stripped:
            end -= 1
            continue
        if _FURNITURE.match(stripped):
            report.removed_lines.append(("page furniture", stripped))
            end -= 1
            continue
        break
    return lines[:end]


def _drop_cover_noise(lines: list[str], report: CleanReport) -> list[str]:
    kept = []
    for i, line in enumerate(lines):
        if i < 15 and _FILE_INDEX_NUMBER.match(line.strip()):
            report.removed_lines.append(("file index number", line.strip()))
            continue
        kept.append(line)
    return kept


def _is_table_line(line: str) -> bool:
    return "\t" in line.strip(" ")


def _starts_block(line: str) -> bool:
    """True when a line cannot be the continuation of a broken paragraph."""
    stripped = line.strip()
    return _is_table_line(line) or match_heading(stripped) is not None or stripped.startswith(_BULLET_START)


def _is_broken(line: str) -> bool:
    """A body-text line (it has sentence punctuation) that stops mid-sentence."""
    stripped = line.strip()
    return (
        not _is_table_line(line)
        and match_heading(stripped) is None
        and not stripped.endswith(_COMPLETE_END)
        and _BODY_PUNCT.search(stripped) is not None
    )


def _join_broken(lines: list[str], report: CleanReport) -> list[str]:
    paragraphs: list[str] = []
    pending_join = False
    for line in lines:
        if not line.strip():
            continue
        if pending_join and not _starts_block(line):
            report.joined.append((paragraphs[-1][-8:], line.strip()[:8]))
            paragraphs[-1] += line.strip()
        else:
            paragraphs.append(line if _is_table_line(line) else line.strip())
        pending_join = _is_broken(paragraphs[-1])
    return paragraphs


def _fix_spaces(paragraph: str, report: CleanReport) -> str:
    if _is_table_line(paragraph):
        cells = paragraph.split("\t")
        return "\t".join(_fix_spaces(cell, report) for cell in cells)
    heading = match_heading(paragraph)
    if heading is not None and not heading.inline:
        return paragraph  # the space after 第一章 / 专栏1 is layout, not an artifact
    fixed, n1 = _STRAY_SPACE.subn("", paragraph)
    fixed, n2 = _DIGIT_SPACE_DIGIT.subn("", fixed)
    report.spaces_removed += n1 + n2
    return fixed
