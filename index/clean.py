"""Undo the artifacts of PDF/web extraction while keeping the wording verbatim (citations quote it).

What it does, each step reported in ``CleanReport``:
- drops web-page furniture anywhere in the text, by general rules on whole short lines: buttons
  (打印, 关闭, 分享到, 扫一扫, 相关链接, 点击下载, 【字体：大 中 小】), breadcrumbs (首页 > …) and
  labelled page lines (来源, 编辑/责任编辑, 发布时间, 索引号…); the page's own metadata lines
  (发文字号, 成文日期, 发布日期, 发文机关, 主题分类, 索引号) are kept in ``page_metadata``;
- drops the 抄送/印发 block at the end;
- drops repeated content: a body pasted twice, a heading repeated right after itself, a paragraph
  that occurs again (tables excepted), so each passage is indexed once;
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

# Labelled page lines ("来源：人社部网站", "发布时间：2024-03-05 10:00"): the label, then a short value.
_PAGE_LABELS = (
    "索引号|主题分类|发文机关|发文字号|成文日期|发布日期|发布时间|发布机构|来源|文章来源|信息来源|"
    "责任编辑|编辑|审核|校对|作者|浏览次数|访问次数|阅读次数|点击数|访问量|字号"
)
_PAGE_LINE = re.compile(rf"^[【\[]?\s*(?:{_PAGE_LABELS})\s*[:：]")
_PAGE_FIELD = re.compile(rf"({_PAGE_LABELS})\s*[:：]\s*")
_METADATA_LABELS = {
    "发文字号": "doc_number",
    "成文日期": "written",
    "发布日期": "published",
    "发布时间": "published",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "主题分类": "topic",
    "索引号": "index_number",
}
_RELATED_LINKS = re.compile(r"^[【\[]?\s*相关(?:链接|文件|阅读|新闻)[:：]?\s*[】\]]?$")
_KEPT_LABELS = {"索引号", "主题分类", "发文机关", "发文字号", "成文日期", "发布日期", "发布机构"}
# Buttons and widgets: a line made only of these (and brackets, separators, spaces) is furniture.
_BUTTONS = re.compile(
    r"点击下载[^。]*|下载附件[^。]*|附件下载[^。]*|打印本页|打印此页|打印|关闭窗口|关闭本页|关闭|返回顶部|"
    r"收藏本页|收藏|分享到[:：]?[^。]*|扫一扫[^。]*|相关链接[:：]?|字体[:：]?\s*[大中小\s]+|[大中小](?=\s|】|$)|"
    r"微信|微博|QQ空间|QQ"
)
_BUTTON_LEFTOVER = re.compile(r"^[\s【】\[\]|｜/、·:：]*$")
_BREADCRUMB = re.compile(r"^(?:首页|当前位置|您的位置|你的位置|您现在的位置)[:：]?\s*.*(?:>|＞|»|›|→)")
_MAX_FURNITURE_CHARS = 100
_REPEAT_RUN = 3  # this many consecutive paragraphs seen before in the same order: a pasted copy
_MIN_REPEATED_CHARS = 15  # a single repeated paragraph shorter than this may be legitimate (合计, 是)
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
    repeated: int = 0  # paragraphs dropped as repeats
    page_metadata: dict[str, str] = field(default_factory=dict)  # doc_number, written, published, issuer…


def clean_text(raw: str) -> tuple[str, CleanReport]:
    """Cleaned text, one paragraph (or table row) per line, and what was changed."""
    report = CleanReport()
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    lines = [line.rstrip(" \u3000\u00a0") for line in lines]
    lines = _drop_copy_to_block(lines, report)
    lines = _drop_furniture(lines, report)
    lines = _drop_cover_noise(lines, report)
    paragraphs = _join_broken(lines, report)
    paragraphs = _drop_repeats(paragraphs, report)
    return "\n".join(_fix_spaces(p, report) for p in paragraphs), report


def is_furniture(line: str) -> bool:
    """A whole line of web-page furniture (never a line of body text: those are long or end a sentence)."""
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_FURNITURE_CHARS or stripped.endswith(("。", "；", "！", "？")):
        return False
    if _PAGE_LINE.match(stripped) or _BREADCRUMB.match(stripped):
        return True
    return _BUTTON_LEFTOVER.match(_BUTTONS.sub("", stripped)) is not None


def page_fields(line: str) -> dict[str, str]:
    """Metadata a page line prints: '发文字号：湘人社发〔2024〕5号  成文日期：2024年03月01日' → fields."""
    out: dict[str, str] = {}
    matches = list(_PAGE_FIELD.finditer(line))
    for m, nxt in zip(matches, [*matches[1:], None], strict=False):
        value = line[m.end() : nxt.start() if nxt else len(line)].strip(" \t\u3000【】[]")
        key = _METADATA_LABELS.get(m.group(1))
        if key and value and key not in out:
            out[key] = value
    return out


def _drop_furniture(lines: list[str], report: CleanReport) -> list[str]:
    """Furniture lines go; lines that only print the document's metadata (发文字号：…, 成文日期：…) are read
    into ``page_metadata`` and kept as text (fields separated by ；), since people ask about them. The
    titles listed under 相关链接 go with it."""
    kept = []
    in_links = False
    for line in lines:
        stripped = line.strip()
        if in_links and stripped and _is_link_title(stripped):
            report.removed_lines.append(("related link", stripped))
            continue
        in_links = bool(_RELATED_LINKS.match(stripped)) or (in_links and not stripped)
        if is_furniture(line):
            fields = page_fields(line)
            for key, value in fields.items():
                report.page_metadata.setdefault(key, value)
            labels = {m.group(1) for m in _PAGE_FIELD.finditer(line)}
            if labels and labels <= _KEPT_LABELS:
                kept.append(re.sub(r"[\t \u3000]+", "；", line.strip()))
                continue
            report.removed_lines.append(("page furniture", line.strip()))
            continue
        kept.append(line)
    return kept


def _leads(line: str, following: str) -> bool:
    """Is ``line`` a heading that ``following`` repeats at its start (a heading pasted twice)?"""
    heading = match_heading(following.strip())
    return match_heading(line.strip()) is not None or (heading is not None and heading.inline)


def _is_link_title(line: str) -> bool:
    return (
        len(line) <= 60
        and not line.endswith(("。", "；", "：", ":"))
        and not re.search(r"[，。；]", line)
        and match_heading(line) is None
    )


def _drop_repeats(paragraphs: list[str], report: CleanReport) -> list[str]:
    """Each passage once: a pasted second copy of a run of paragraphs, a heading repeated right after
    itself, or a long paragraph seen before. Table rows may legitimately repeat and are kept."""
    keys = [normalize_for_match(p) for p in paragraphs]
    first_at: dict[str, int] = {}
    kept: list[str] = []
    i = 0
    while i < len(paragraphs):
        key = keys[i]
        if i + 1 < len(keys) and keys[i + 1].startswith(key) and _leads(paragraphs[i], paragraphs[i + 1]):
            # "（二）鼓励企业吸纳就业。" on its own, then again leading its paragraph: one heading
            report.repeated += 1
            report.removed_lines.append(("repeated", paragraphs[i][:40]))
            i += 1
            continue
        j = first_at.get(key)
        if j is not None and not _is_table_line(paragraphs[i]):
            run = 0
            while i + run < len(keys) and j + run < i and keys[j + run] == keys[i + run]:
                run += 1
            if run >= _REPEAT_RUN or len(key) >= _MIN_REPEATED_CHARS or (kept and keys_last(kept) == key):
                dropped = max(run, 1) if run >= _REPEAT_RUN else 1
                report.repeated += dropped
                report.removed_lines += [("repeated", p[:40]) for p in paragraphs[i : i + dropped]]
                i += dropped
                continue
        first_at.setdefault(key, i)
        kept.append(paragraphs[i])
        i += 1
    return kept


def keys_last(kept: list[str]) -> str:
    return normalize_for_match(kept[-1])


def _drop_copy_to_block(lines: list[str], report: CleanReport) -> list[str]:
    """The 抄送/印发 block at the end of the document."""
    end = len(lines)
    for i in range(max(0, end - 20), end):
        if _COPY_TO.match(lines[i].strip()):
            report.removed_lines += [("抄送/印发 block", line) for line in lines[i:end] if line.strip()]
            return lines[:i]
    return lines


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
    return (
        _is_table_line(line)
        or match_heading(stripped) is not None
        or stripped.startswith(_BULLET_START)
        or _PAGE_LINE.match(stripped) is not None
    )


def _is_broken(line: str) -> bool:
    """A body-text line (it has sentence punctuation) that stops mid-sentence."""
    stripped = line.strip()
    return (
        not _is_table_line(line)
        and match_heading(stripped) is None
        and _PAGE_LINE.match(stripped) is None
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
