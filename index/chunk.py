"""Section tree → citable units (``Paragraph``): one per paragraph, table row, note and section outline.

Ids are deterministic from document id + section path + ordinal within the section, so they do not
move when another document (or another section of the same document) changes. The embedded and
BM25-indexed text is the section path plus the unit's text, so section questions can reach it.
Paragraphs over the token budget (tiktoken cl100k_base) are split at sentence ends.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from policyqa.core.text import split_sentences
from policyqa.index.parse import Block, DocumentTree, RawRow, Section, Table
from policyqa.index.table import TableRow, render_row  # noqa: F401 (render_row re-exported)

PATH_SEP = " > "
_SENTENCE = re.compile(r"[^。；！？!?;]*[。；！？!?;]?")


@dataclass
class Paragraph:
    id: str
    doc_id: str
    kind: str  # paragraph | table_row | note | outline
    text: str
    section_id: str
    section_path: list[str]
    ordinal: int
    start: int
    end: int
    part: int = 0
    table: dict = field(default_factory=dict)  # TableRow.to_dict() (table rows only)

    @property
    def section(self) -> str:
        return PATH_SEP.join(self.section_path)

    @property
    def row(self) -> TableRow | None:
        """The table row this unit is (header, unit and year columns, note), or None for other kinds."""
        return TableRow.from_dict(self.table) if self.kind == "table_row" and self.table else None

    @property
    def embed_text(self) -> str:
        """What the embedder and BM25 see: where the unit sits, then the unit (and a table's note)."""
        parts = [self.section, self.text]
        if self.table.get("note"):
            parts.append(self.table["note"])
        return "\n".join(p for p in parts if p)

    @property
    def units(self) -> list[str]:
        """What an answer quotes from this unit: its sentences, or a table row or outline whole."""
        if self.kind in ("table_row", "outline"):
            return [self.text]
        return [s for s in split_sentences(self.text) if s.strip()]

    @property
    def units_digest(self) -> str:
        """A short fingerprint of how this unit is cut into quotable units (stored with their vectors)."""
        return hashlib.sha256("\u241e".join(self.units).encode("utf-8")).hexdigest()[:12]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Paragraph:
        return cls(**data)


@dataclass
class SectionRecord:
    """A section as stored beside the index, so answers can show a paragraph's surrounding text."""

    id: str
    doc_id: str
    kind: str
    title: str
    path: list[str]
    start: int
    end: int
    text: str
    children: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def section_id(doc_id: str, path: tuple[str, ...] | list[str]) -> str:
    digest = hashlib.sha1(PATH_SEP.join(path).encode("utf-8")).hexdigest()[:8]
    return f"{doc_id}:{digest}"


def token_counter():
    """cl100k_base token counter, loaded offline from the cache bundled in llama-index-core."""
    from llama_index.core.utils import get_tokenizer

    encode = get_tokenizer("gpt-3.5-turbo")  # gpt-3.5-turbo uses cl100k_base
    return lambda text: len(encode(text))


def section_ids(tree: DocumentTree) -> dict[int, str]:
    """Section → id (keyed by ``id(section)``). Two sections with the same path (a heading that occurs
    twice, e.g. two 第一节 under different parts) get ``~2``, ``~3``… in document order, so ids stay
    unique and stable."""
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for section in tree.root.walk():
        sid = section_id(tree.doc_id, section.path)
        seen[sid] = seen.get(sid, 0) + 1
        out[id(section)] = sid if seen[sid] == 1 else f"{sid}~{seen[sid]}"
    return out


def chunk_document(tree: DocumentTree, max_tokens: int) -> tuple[list[Paragraph], list[SectionRecord]]:
    """All units and section records of one parsed document (unit ids unique within it)."""
    count_tokens = token_counter()
    paragraphs: list[Paragraph] = []
    records: list[SectionRecord] = []
    ids = section_ids(tree)
    for section in tree.root.walk():
        sid = ids[id(section)]
        if section.kind != "document":
            records.append(
                SectionRecord(
                    id=sid,
                    doc_id=tree.doc_id,
                    kind=section.kind,
                    title=section.title,
                    path=list(section.path),
                    start=section.start,
                    end=section.end,
                    text=tree.text[section.start : section.end].strip(),
                    children=[ids[id(c)] for c in section.children],
                )
            )
        if section.children:
            paragraphs.append(_outline(tree.doc_id, sid, section))
        ordinal = 0
        for block in section.blocks:
            if block.kind == "table" and block.table is not None:
                for row in block.table.rows:
                    ordinal += 1
                    paragraphs.append(_table_row(tree.doc_id, sid, section, block.table, row, ordinal))
                continue
            ordinal += 1
            paragraphs.extend(_split(tree.doc_id, sid, section, block, ordinal, max_tokens, count_tokens))
    return _unique(paragraphs), records


def _unique(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Last line of defence for the vector store, which refuses a batch with a repeated id."""
    seen: set[str] = set()
    out = []
    for p in paragraphs:
        if p.id in seen:
            continue
        seen.add(p.id)
        out.append(p)
    return out


def _outline(doc_id: str, sid: str, section: Section) -> Paragraph:
    """A unit listing a section's direct sub-headings, so '第五章讲什么' / '专栏6有哪几项' can be answered."""
    titles = "；".join(child.title for child in section.children)
    text = f"{section.title}：{titles}"
    path = list(section.path) or [section.title]
    return Paragraph(f"{sid}:outline", doc_id, "outline", text, sid, path, 0, section.start, section.end)


def _table_row(doc_id: str, sid: str, section: Section, table: Table, raw: RawRow, ordinal: int) -> Paragraph:
    row = TableRow(table.title, table.header, raw.cells, raw.group, table.note, raw.start, raw.end)
    return Paragraph(
        id=f"{sid}:r{ordinal:02d}",
        doc_id=doc_id,
        kind="table_row",
        text=row.render(),
        section_id=sid,
        section_path=list(section.path) + ([row.group] if row.group else []),
        ordinal=ordinal,
        start=row.start,
        end=row.end,
        table=row.to_dict(),
    )


def _split(
    doc_id, sid, section: Section, block: Block, ordinal: int, max_tokens: int, count_tokens
) -> list[Paragraph]:
    kind = "note" if block.kind == "note" else "paragraph"
    base = Paragraph(
        f"{sid}:p{ordinal:02d}",
        doc_id,
        kind,
        block.text,
        sid,
        list(section.path),
        ordinal,
        block.start,
        block.end,
    )
    if count_tokens(base.embed_text) <= max_tokens:
        return [base]
    budget = max_tokens - count_tokens(base.section) - 1
    pieces: list[tuple[int, int]] = []  # offsets within block.text
    piece_start = piece_end = 0
    for m in _SENTENCE.finditer(block.text):
        if not m.group(0):
            continue
        if piece_end > piece_start and count_tokens(block.text[piece_start : m.end()]) > budget:
            pieces.append((piece_start, piece_end))
            piece_start = m.start()
        piece_end = m.end()
    if piece_end > piece_start:
        pieces.append((piece_start, piece_end))
    pieces = [window for a, b in pieces for window in _windows(block.text, a, b, budget, count_tokens)]
    return [
        Paragraph(
            f"{base.id}.{n}",
            doc_id,
            kind,
            block.text[a:b],
            sid,
            list(section.path),
            ordinal,
            block.start + a,
            block.start + b,
            part=n,
        )
        for n, (a, b) in enumerate(pieces, start=1)
    ]


def _windows(text: str, start: int, end: int, budget: int, count_tokens) -> list[tuple[int, int]]:
    """Split [start, end) into character windows under the token budget (for a sentence that is itself
    too long, e.g. a table or a line without punctuation)."""
    if count_tokens(text[start:end]) <= budget:
        return [(start, end)]
    out, pos = [], start
    while pos < end:
        width = min(budget, end - pos)
        while width > 1 and count_tokens(text[pos : pos + width]) > budget:
            width = max(1, int(width * 0.8))
        out.append((pos, pos + width))
        pos += width
    return out
