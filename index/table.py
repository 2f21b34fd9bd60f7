"""One row of an indicator table, knowing its header, its unit column and its year columns.

Tables in policy documents are mostly indicator tables (专栏 “十四五”主要指标): 指标 | 单位 | 2020年 |
2025年 | 属性, with group rows (一、就业) and a 注 note under the table. A ``TableRow`` is what the
chunker makes a unit of, what a ``Paragraph`` of kind ``table_row`` exposes as ``.row``, and what an
answerer asks for a year's figure (``value_for("2025")``) with its unit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

_FIGURE = re.compile(r"^[<>≤≥＜＞~约]?\[?\d")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_LEADING_ORDINAL = re.compile(r"^\d{1,2}[.．、]\s*")


@dataclass(frozen=True)
class TableRow:
    title: str  # the table's title (usually its 专栏 heading)
    header: list[str]
    cells: list[str]
    group: str = ""  # the 一、就业 style group row above it, if any
    note: str = ""  # the table's 注 note
    start: int = field(default=0, compare=False)  # character offsets of the row in the cleaned text
    end: int = field(default=0, compare=False)

    @property
    def unit_column(self) -> int | None:
        return next((i for i, h in enumerate(self.header) if "单位" in h), None)

    @property
    def unit(self) -> str:
        col = self.unit_column
        return self.cells[col] if col is not None and col < len(self.cells) else ""

    @property
    def year_columns(self) -> dict[str, int]:
        """Year → column index, for header cells naming a year (2020年, 2025年目标)."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.header):
            if m := _YEAR.search(name):
                out.setdefault(m.group(0), i)
        return out

    @property
    def indicator(self) -> str:
        """The row's name without its running number: '7.失业保险参保人数' → '失业保险参保人数'."""
        return _LEADING_ORDINAL.sub("", self.cells[0]) if self.cells else ""

    def column_name(self, i: int) -> str:
        return self.header[i] if i < len(self.header) and self.header[i] else f"第{i + 1}列"

    def value_for(self, year: str) -> str:
        """The figure in a year's column with the row's unit ('212.7万人'), or "" when there is none."""
        col = self.year_columns.get(year)
        if col is None or col >= len(self.cells) or not self.cells[col]:
            return ""
        return self._with_unit(col, self.cells[col])

    def _with_unit(self, i: int, cell: str) -> str:
        unit = self.unit
        if unit and i not in (0, self.unit_column) and _FIGURE.match(cell) and not cell.endswith(unit):
            return f"{cell}{unit}"
        return cell

    def render(self) -> str:
        """'指标：7.失业保险参保人数；单位：万人；2020年：182.8万人；…' (empty cells left out).

        Figures carry the row's unit ("182.8万人", "<5.5%") so a quoted value is never read without it.
        """
        return "；".join(
            f"{self.column_name(i)}：{self._with_unit(i, cell)}" for i, cell in enumerate(self.cells) if cell
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("start")
        data.pop("end")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TableRow:
        return cls(
            title=data.get("title", ""),
            header=list(data.get("header", [])),
            cells=list(data.get("cells", [])),
            group=data.get("group", ""),
            note=data.get("note", ""),
        )


def render_row(header: list[str], cells: list[str]) -> str:
    return TableRow("", header, cells).render()
