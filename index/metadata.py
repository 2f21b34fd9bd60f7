"""Document metadata: from a ``<stem>.meta.toml`` sidecar, else derived from the raw text.

Priority: sidecar, then the metadata a web page prints (发文字号, 成文日期, 发布日期, 发文机关, 主题分类,
索引号, read by clean.py), then derivation from the text. Derivation is best effort (title from
关于印发《…》的通知 or a title-like line, 文号 from a line of its own or the download link, date from
the signature or 印发 line, region from the title). The kind (规划, 通知, 意见, 办法, 条例, 解读) comes
from the title through ``kinds.toml``; the level (national, provincial, city, county) from the issuer,
文号 or region. Every field it could not find is listed in ``missing`` so ingest can say so.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

FIELDS = (
    "title",
    "issuer",
    "doc_number",
    "date",
    "region",
    "kind",
    "level",
    "published",
    "topic",
    "index_number",
)
REPORTED = ("title", "issuer", "doc_number", "date", "region")  # worth a note when missing
LEVELS = ("national", "provincial", "city", "county")
KINDS_FILE = Path(__file__).with_name("kinds.toml")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_LOOSE_DATE = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NOTICE_TITLE = re.compile(r"关于印发《?(?P<title>.+?)》?的通知")
_TITLE_WORDS = ("规划", "方案", "办法", "意见", "通知", "条例", "规定", "计划", "纲要", "细则", "决定")
_REGION = re.compile(r"^(?P<region>[\u4e00-\u9fff]{2,9}?(?:自治区|自治州|省|市|县|区|州|盟|旗))")
_ISSUER_END = r"(?:人民政府|办公厅|办公室|委员会|局|厅|部|国务院)"
_ISSUER = re.compile(rf"^(?P<issuer>[\u4e00-\u9fff]{{2,30}}{_ISSUER_END})(?:文件)?$")
_TITLE_ISSUER = re.compile(rf"^(?P<issuer>[\u4e00-\u9fff、]{{2,40}}?{_ISSUER_END})关于")


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
    level: str = ""  # national | provincial | city | county
    published: str = ""  # 发布日期, when the page prints one
    topic: str = ""  # 主题分类
    index_number: str = ""  # 索引号
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class SidecarError(Exception):
    """A sidecar that exists but cannot be used."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.toml")


def load_meta(path: Path, doc_id: str, raw_text: str, page: dict[str, str] | None = None) -> DocMeta:
    """Metadata for one document: sidecar values first, then what the web page printed (``page``,
    from ``CleanReport.page_metadata``), then values derived from the text."""
    meta = DocMeta(doc_id=doc_id, source_file=path.name)
    sidecar = sidecar_path(path)
    values: dict[str, str] = {}
    if sidecar.exists():
        try:
            data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SidecarError(f"{sidecar.name}: invalid TOML ({exc})") from exc
        values = {k: str(v).strip() for k, v in data.items() if k in FIELDS and str(v).strip()}
    printed = from_page(page or {})
    derived = derive_meta(raw_text)
    for name in FIELDS:
        setattr(meta, name, values.get(name) or printed.get(name) or derived.get(name, ""))
    if "kind" not in values:
        meta.kind = kind_of(meta.title)
    if "level" not in values or values["level"] not in LEVELS:
        meta.level = level_of(meta.issuer, meta.doc_number, meta.region, meta.title)
    meta.missing = [
        name
        for name in REPORTED
        if not getattr(meta, name) and not (name == "region" and meta.level == "national")
    ]
    return meta


def from_page(page: dict[str, str]) -> dict[str, str]:
    """The page's printed metadata as DocMeta fields (成文日期 is the document's date, else 发布日期)."""
    out = {
        k: page[k].replace(" ", "") for k in ("doc_number", "issuer", "topic", "index_number") if page.get(k)
    }
    for key, target in (("written", "date"), ("published", "published")):
        if m := _LOOSE_DATE.search(page.get(key, "")):
            out[target] = "{:04d}-{:02d}-{:02d}".format(*(int(g) for g in m.groups()))
    if "date" not in out and out.get("published"):
        out["date"] = out["published"]
    return out


@dataclass(frozen=True)
class Kind:
    """A kind of document and how an answer quoting it is framed (see kinds.toml)."""

    name: str
    caveat: str
    source: str
    words: tuple[str, ...] = ()

    def source_line(self, title: str) -> str:
        return self.source.format(title=title)


@lru_cache(maxsize=1)
def kinds() -> tuple[tuple[Kind, ...], Kind]:
    """(the kinds in matching order, the default kind) from kinds.toml."""
    data = tomllib.loads(KINDS_FILE.read_text(encoding="utf-8"))
    table = tuple(
        Kind(k["name"], k["caveat"], k["source"], tuple(k.get("words", ()))) for k in data.get("kind", [])
    )
    default = data["default"]
    return table, Kind(default["name"], default["caveat"], default["source"])


def kind_of(title: str) -> str:
    """The kind a title names: '…发展规划（2021—2025年）' → 规划, '关于…的指导意见' → 意见."""
    compact = title.replace(" ", "")
    for kind in kinds()[0]:
        for word in kind.words:
            if compact.endswith(word) or any(word + mark in compact for mark in "（(》"):
                return kind.name
    return ""


def kind_info(name: str) -> Kind:
    """A kind's caveat and source frame by name (the default frame for an unknown or empty kind)."""
    table, default = kinds()
    return next((k for k in table if k.name == name), default)


_NATIONAL = re.compile(
    r"^(国务院|中共中央|全国人民代表大会|全国人大|国家|中华人民共和国)|部$|部(?=办公厅)|总局$"
)
_NATIONAL_NUMBER = re.compile(r"^(国发|国办|国函|人社部|财[社政]|发改|教[发育]|民发|中发)")


def level_of(issuer: str, doc_number: str, region: str, title: str) -> str:
    """national (国务院, a 部), provincial (省, 厅, 自治区), city (市) or county (县, 区), or "" when unknown."""
    for name in re.split(r"[\s、,，]+", issuer):
        if name and _NATIONAL.search(name):
            return "national"
    if _NATIONAL_NUMBER.match(doc_number) or title.startswith(("国务院", "国家", "中共中央")):
        return "national"
    for text in (issuer, region, title[:12]):
        if re.search(r"省|自治区|(?<!办公)厅", text):
            return "provincial"
        if re.search(r"[^区]市|^.{0,4}市|州|盟", text):
            return "city"
        if re.search(r"县|区|旗", text):
            return "county"
    return ""


def derive_meta(raw_text: str) -> dict[str, str]:
    lines = [line.strip() for line in raw_text.replace("\r", "").split("\n") if line.strip()]
    head = lines[:40]
    out: dict[str, str] = {}
    title = _derive_title(head)
    if title:
        out["title"] = title
        if m := _REGION.match(title):
            out["region"] = m.group("region")
    if number := _derive_doc_number(lines):
        out["doc_number"] = number
    if date := _derive_date(lines):
        out["date"] = date
    for line in head:
        if m := _ISSUER.match(line.replace(" ", "")):
            out["issuer"] = m.group("issuer")
            break
    if "issuer" not in out and title and (m := _TITLE_ISSUER.match(title)):
        out["issuer"] = m.group("issuer")
    return {k: v for k, v in out.items() if v}


def _derive_title(head: list[str]) -> str:
    for line in head:
        if m := _NOTICE_TITLE.search(line.replace(" ", "")):
            return m.group("title")
    for line in head:  # a title line of its own: 国务院办公厅关于…的意见
        compact = line.replace(" ", "").replace("\u3000", "")
        if (
            len(compact) <= 80
            and "关于" in compact
            and not re.search(r"[，。；,;：:]", compact)
            and kind_of(compact)
            and not compact.startswith(("印发", "转发"))
            and "印发《" not in compact
        ):
            return re.sub(r"\s+", " ", line.strip())
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
