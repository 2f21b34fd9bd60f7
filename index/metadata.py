"""Document metadata: from a ``<stem>.meta.toml`` sidecar, else derived from the raw text.

Derivation is best effort (title from 关于印发《…》的通知 or a title-like line, 文号 from a line of
its own or the download link, date from the signature or 印发 line, region from the title); every
field it could not find is listed in ``missing`` so ingest can say so.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

FIELDS = ("title", "issuer", "doc_number", "date", "region", "kind")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NOTICE_TITLE = re.compile(r"关于印发《?(?P<title>.+?)》?的通知")
_TITLE_WORDS = ("规划", "方案", "办法", "意见", "通知", "条例", "规定", "计划", "纲要", "细则", "决定")
_REGION = re.compile(r"^(?P<region>[\u4e00-\u9fff]{2,9}?(?:自治区|自治州|省|市|县|区|州|盟|旗))")
_ISSUER = re.compile(r"^(?P<issuer>[\u4e00-\u9fff]{2,30}(?:人民政府|办公厅|办公室|委员会|局|厅))(?:文件)?$")


@dataclass
class DocMeta:
    doc_id: str
    source_file: str
    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    region: str = ""
    kind: str = ""
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class SidecarError(Exception):
    """A sidecar that exists but cannot be used."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.toml")


def load_meta(path: Path, doc_id: str, raw_text: str) -> DocMeta:
    """Metadata for one document: sidecar values first, derived values for what the sidecar lacks."""
    meta = DocMeta(doc_id=doc_id, source_file=path.name)
    sidecar = sidecar_path(path)
    values: dict[str, str] = {}
    if sidecar.exists():
        try:
            data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SidecarError(f"{sidecar.name}: invalid TOML ({exc})") from exc
        values = {k: str(v).strip() for k, v in data.items() if k in FIELDS and str(v).strip()}
    derived = derive_meta(raw_text)
    for name in FIELDS:
        setattr(meta, name, values.get(name) or derived.get(name, ""))
    meta.missing = [name for name in FIELDS if not getattr(meta, name)]
    return meta


def derive_meta(raw_text: str) -> dict[str, str]:
    lines = [line.strip() for line in raw_text.replace("\r", "").split("\n") if line.strip()]
    head = lines[:40]
    out: dict[str, str] = {}
    title = _derive_title(head)
    if title:
        out["title"] = title
        if m := _REGION.match(title):
            out["region"] = m.group("region")
        out["kind"] = next(
            (w for w in _TITLE_WORDS if title.endswith(w) or w + "（" in title or w + "(" in title), ""
        )
    if number := _derive_doc_number(lines):
        out["doc_number"] = number
    if date := _derive_date(lines):
        out["date"] = date
    for line in head:
        if m := _ISSUER.match(line.replace(" ", "")):
            out["issuer"] = m.group("issuer")
            break
    return {k: v for k, v in out.items() if v}


def _derive_title(head: list[str]) -> str:
    for line in head:
        if m := _NOTICE_TITLE.search(line.replace(" ", "")):
            return m.group("title")
    for line in head:
        compact = line.replace(" ", "")
        if (
            len(compact) <= 60
            and not re.search(r"[，。；,;]", compact)
            and any(w in compact for w in _TITLE_WORDS)
        ):
            return compact.strip("《》")
    return head[0][:60] if head else ""


def _derive_doc_number(lines: list[str]) -> str:
    """The document's own 文号: a line by itself, or one in a download link; never a cited one in brackets."""
    for line in lines[:40]:
        if _DOC_NUMBER.fullmatch(line.replace(" ", "")):
            return line.replace(" ", "")
    for line in lines[-10:]:
        if line.startswith(("点击下载", "附件", "下载")) and (m := _DOC_NUMBER.search(line)):
            return m.group(0)
    return ""


def _derive_date(lines: list[str]) -> str:
    candidates = [line for line in lines if _DATE.fullmatch(line.replace(" ", "")) or line.endswith("印发")]
    for line in reversed(candidates):
        if m := _DATE.search(line):
            year, month, day = (int(g) for g in m.groups())
            return f"{year:04d}-{month:02d}-{day:02d}"
    return ""
