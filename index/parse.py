"""Cleaned text → section tree (headings, paragraphs, tables), with character offsets into the text.

Levels are inferred per document: a heading family seen for the first time nests under the current
heading; a family already open closes everything below it and replaces its own sibling. 专栏 boxes
nest under the nearest enclosing non-item heading, and a box that holds a table closes after the
table (and its 注 note). Text before the first heading is its own section (``PREAMBLE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyqa.index.headings import Heading, match_heading

PREAMBLE = "文件开头（通知与前言）"
ITEM_KINDS = {"num_item", "num_paren", "box"}
NOTE_PREFIXES = ("注：", "注:", "备注：", "说明：")


@dataclass
class RawRow:
    """A table line as parsed (the chunker makes an ``index.table.TableRow`` of it)."""

    cells: list[str]
    group: str  # the 一、就业 style group row above it, if any
    start: int
    end: int


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[RawRow] = field(default_factory=list)
    note: str = ""


@dataclass
class Block:
    kind: str  # "paragraph" | "table" | "note"
    text: str
    start: int
    end: int
    table: Table | None = None


@dataclass
class Section:
    kind: str  # document | preamble | part | chapter | section | box | cn_item | cn_paren | num_item | num_paren
    title: str
    path: tuple[str, ...]
    start: int
    end: int = -1
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class DocumentTree:
    doc_id: str
    title: str
    text: str
    root: Section

    def sections(self) -> list[Section]:
        return [s for s in self.root.walk() if s.kind != "document"]


@dataclass
class _Line:
    text: str
    start: int
    end: int


def _lines_with_offsets(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return [line for line in out if line.text.strip()]


class _TreeBuilder:
    def __init__(self, title: str, text: str):
        self.text = text
        self.root = Section("document", title, (), 0, len(text))
        self.stack: list[Section] = [self.root]
        self.preamble: Section | None = None

    @property
    def current(self) -> Section:
        if len(self.stack) == 1:  # before any heading
            if self.preamble is None:
                self.preamble = Section("preamble", PREAMBLE, (PREAMBLE,), 0)
                self.root.children.append(self.preamble)
            return self.preamble
        return self.stack[-1]

    def open(self, heading: Heading, start: int) -> Section:
        kinds = [s.kind for s in self.stack]
        if heading.kind == "box":
            while self.stack[-1].kind in ITEM_KINDS:
                self._close(start)
        elif heading.kind in kinds:
            while self.stack[-1].kind != heading.kind:
                self._close(start)
            self._close(start)
        parent = self.stack[-1]
        section = Section(heading.kind, heading.title, (*parent.path, heading.title), start)
        parent.children.append(section)
        self.stack.append(section)
        return section

    def _close(self, end: int) -> None:
        section = self.stack.pop()
        section.end = end

    def close_box(self, end: int) -> None:
        if self.stack[-1].kind == "box":
            self._close(end)

    def finish(self) -> Section:
        while len(self.stack) > 1:
            self._close(len(self.text))
        if self.preamble is not None and self.preamble.end < 0:
            first = self.root.children[1].start if len(self.root.children) > 1 else len(self.text)
            self.preamble.end = first
        return self.root


def parse_document(doc_id: str, title: str, text: str) -> DocumentTree:
    """Build the section tree of one cleaned document."""
    builder = _TreeBuilder(title, text)
    lines = _lines_with_offsets(text)
    i = 0
    while i < len(lines):
        line = lines[i]
        if "\t" in line.text.strip(" "):
            i = _parse_table(builder, lines, i)
            continue
        heading = match_heading(line.text)
        if heading is not None:
            builder.open(heading, line.start)
            if heading.inline:
                builder.current.blocks.append(Block("paragraph", line.text, line.start, line.end))
            i += 1
            continue
        kind = "note" if line.text.startswith(NOTE_PREFIXES) else "paragraph"
        builder.current.blocks.append(Block(kind, line.text, line.start, line.end))
        i += 1
    return DocumentTree(doc_id, title, text, builder.finish())


def _cells(line: _Line) -> list[str]:
    return [cell.strip() for cell in line.text.rstrip("\t ").split("\t")]


def _parse_table(builder: _TreeBuilder, lines: list[_Line], i: int) -> int:
    """Consume a run of tab-separated lines (and a following 注 note); return the next line index."""
    first = lines[i]
    opened_box = False
    heading = match_heading(first.text.replace("\t", " "))
    if heading is not None and heading.kind == "box":
        builder.open(heading, first.start)
        opened_box = True
        i += 1
    table_lines: list[_Line] = []
    while i < len(lines) and "\t" in lines[i].text.strip(" "):
        table_lines.append(lines[i])
        i += 1
    if not table_lines:
        return i
    section = builder.current
    table = Table(title=section.title, header=_cells(table_lines[0]))
    group = ""
    for line in table_lines[1:]:
        cells = _cells(line)
        if cells and cells[0] and not any(cells[1:]):
            group = cells[0]
            continue
        table.rows.append(RawRow(cells, group, line.start, line.end))
    start, end = table_lines[0].start, table_lines[-1].end
    if i < len(lines) and lines[i].text.startswith(NOTE_PREFIXES):
        note = lines[i]
        table.note = note.text
        section.blocks.append(Block("table", "", start, end, table))
        section.blocks.append(Block("note", note.text, note.start, note.end))
        i += 1
    else:
        section.blocks.append(Block("table", "", start, end, table))
    if opened_box:
        builder.close_box(lines[i].start if i < len(lines) else len(builder.text))
    return i
