"""Questions about a document itself (文号, 印发日期, 发文机关, 标题, 规划期), answered from its metadata.

The citation points at the document's head: a unit with id ``<doc>:meta`` whose text lists the
metadata fields, so the answer is checkable like any other.
"""

from __future__ import annotations

import re

from policyqa.assistant.answer import Citation

FIELD_NAMES = {
    "title": "标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "date": "印发日期",
    "published": "发布日期",  # a web copy's date of publication online (not the document's own date)
    "period": "规划期",
}


def metadata_unit_id(doc_id: str) -> str:
    return f"{doc_id}:meta"


def chinese_date(iso: str) -> str:
    """2021-12-31 → 2021年12月31日 (as the documents write dates)."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", iso or "")
    return f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日" if m else iso


def fields(meta: dict, period) -> dict[str, str]:
    """The metadata a document has, in answer wording; missing fields are left out."""
    out = {
        "title": meta.get("title", ""),
        "doc_number": meta.get("doc_number", ""),
        "issuer": meta.get("issuer", ""),
        "date": chinese_date(meta.get("date", "")),
        "published": chinese_date(meta.get("published", "")),
        "period": f"{period.start}—{period.end}年（“{period.name}”时期）"
        if period.is_plan and period.name
        else "",
    }
    return {k: v for k, v in out.items() if v}


def answer(asked: str, metas: list[tuple[str, dict]], periods: dict, mode: str) -> tuple[str, list[Citation]]:
    """The asked field first, then the document's other metadata, each document cited to its head."""
    lines, citations = [], []
    for n, (doc_id, meta) in enumerate(metas, start=1):
        have = fields(meta, periods[doc_id])
        if asked == "published" and "published" not in have:
            asked = "date"  # "哪天发布的" of a document with no web copy's date: its own date
        text = "；".join(f"{FIELD_NAMES[k]}：{v}" for k, v in have.items())
        citations.append(
            Citation(
                n=n,
                id=metadata_unit_id(doc_id),
                doc_id=doc_id,
                doc_title=meta.get("title", ""),
                doc_number=meta.get("doc_number", ""),
                doc_date=meta.get("date", ""),
                section="文件信息",
                text=text,
                kind="metadata",
                highlight=[text],
            )
        )
        title = f"《{have.get('title', doc_id)}》"
        if asked in have and asked != "title":
            first = f"{title}的{FIELD_NAMES[asked]}为{have[asked]}[{n}]"
        elif asked == "title":
            first = f"文件全称为{title}[{n}]"
        else:  # what it does say is cited; that the asked field is missing is said on its own
            others = [f"{FIELD_NAMES[k]}为{v}" for k, v in have.items() if k != "title"]
            said = f"{title}的{'，'.join(others)}[{n}]。" if others else f"文件全称为{title}[{n}]。"
            lines.append(f"{said}文件未载明{FIELD_NAMES.get(asked, '该信息')}。")
            continue
        others = [f"{FIELD_NAMES[k]}：{v}" for k, v in have.items() if k not in (asked, "title")]
        lines.append(first + (f"（{'；'.join(others)}）[{n}]。" if others else "。"))
    if mode == "reply":
        lines = ["您好！经查询，" + lines[0]] + lines[1:]
    return "\n".join(lines), citations
