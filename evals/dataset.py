"""The eval set: questions with gold quotes, required facts and a type, validated against the index.

Gold paragraphs are stored as quotes, not ids, and resolved to ids on load (a quote matches every
unit whose text contains it, width-folded), so the set survives re-chunking. A quote that matches
nothing is a validation error: the set and the corpus have drifted apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from policyqa.core.text import fold
from policyqa.index.parse import PREAMBLE

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_SET = EVAL_DIR / "questions.jsonl"
HOTLINE_SET = EVAL_DIR / "hotline.jsonl"  # written blind from citizens' and staff situations
DEFAULT_SETS = (DEFAULT_SET, HOTLINE_SET)
TYPES = ("numeric", "table", "measure", "section", "metadata", "compare", "followup", "reply", "unanswerable")
REQUIRED = ("id", "type", "split", "question", "answerable", "gold", "facts")


@dataclass
class GoldQuote:
    doc: str
    quote: str
    ids: list[str] = field(default_factory=list)


@dataclass
class EvalItem:
    id: str
    type: str
    split: str
    question: str
    answerable: bool
    gold: list[GoldQuote]
    facts: list[str]
    history: list[dict] = field(default_factory=list)
    mode: str = "answer"
    doc: str | None = None
    slice: str = "core"  # which set it belongs to: core (questions.jsonl), hotline, …
    slots: dict = field(default_factory=dict)  # gold slots of a figure question: indicator, place, period
    near_miss: str = ""  # for unanswerable ones: current-year, other-period, sub-city, procedure, …

    @property
    def gold_ids(self) -> set[str]:
        return {i for g in self.gold for i in g.ids}


class EvalSetError(ValueError):
    """The eval set is malformed or does not match the indexed corpus."""


def read_items(path: Path = DEFAULT_SET) -> list[EvalItem]:
    items, errors, seen = [], [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg})")
            continue
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            errors.append(f"line {number}: missing {', '.join(missing)}")
            continue
        if raw["type"] not in TYPES or raw["split"] not in ("dev", "test"):
            errors.append(f"line {number}: bad type or split ({raw['type']}, {raw['split']})")
        if raw["id"] in seen:
            errors.append(f"line {number}: duplicate id {raw['id']}")
        seen.add(raw["id"])
        if raw["answerable"] and not (raw["gold"] and raw["facts"]):
            errors.append(f"{raw['id']}: an answerable question needs gold quotes and facts")
        items.append(
            EvalItem(
                id=raw["id"],
                type=raw["type"],
                split=raw["split"],
                question=raw["question"],
                answerable=bool(raw["answerable"]),
                gold=[GoldQuote(g["doc"], g["quote"]) for g in raw["gold"]],
                facts=list(raw["facts"]),
                history=list(raw.get("history", [])),
                mode=raw.get("mode", "answer"),
                doc=raw.get("doc"),
                slice=raw.get("slice", "core"),
                slots=dict(raw.get("slots") or {}),
                near_miss=raw.get("near_miss", ""),
            )
        )
    if errors:
        raise EvalSetError("; ".join(errors))
    return items


def metadata_unit_id(doc_id: str) -> str:
    """The id a citation of a document's own metadata (title, 文号, date, issuer) carries."""
    return f"{doc_id}:meta"


def resolve_gold(items: list[EvalItem], paragraphs) -> None:
    """Fill each gold quote's paragraph ids from the index; raise if any quote matches nothing."""
    folded = [(p.id, p.doc_id, p.kind, fold(p.text)) for p in paragraphs]
    head = {p.id for p in paragraphs if p.section == PREAMBLE}
    errors = []
    for item in items:
        for gold in item.gold:
            if not gold.quote:  # a question about the document itself: its metadata is the source
                gold.ids = [metadata_unit_id(gold.doc)]
                continue
            needle = fold(gold.quote)
            matches = [
                (pid, kind) for pid, doc_id, kind, text in folded if doc_id == gold.doc and needle in text
            ]
            # An item title also appears in its box's outline; the content unit is the gold one.
            content = [pid for pid, kind in matches if kind != "outline"]
            gold.ids = content or [pid for pid, _ in matches]
            if gold.ids and all(pid in head for pid in gold.ids):
                # the document's head, where 文号/发文机关 are printed: its metadata card cites the same
                gold.ids.append(metadata_unit_id(gold.doc))
            if not gold.ids:
                errors.append(f"{item.id}: quote not found in {gold.doc}: {gold.quote}")
    if errors:
        raise EvalSetError("; ".join(errors))


def load_eval_set(
    paragraphs, path: Path | list[Path] | tuple[Path, ...] = DEFAULT_SET, split: str | None = None
) -> list[EvalItem]:
    """Items of one set file or several (ids must be unique across them), gold resolved to unit ids."""
    paths = [path] if isinstance(path, Path) else list(path)
    items = [item for p in paths for item in read_items(p)]
    duplicated = sorted({i.id for i in items if sum(1 for j in items if j.id == i.id) > 1})
    if duplicated:
        raise EvalSetError(f"ids used in more than one set: {', '.join(duplicated)}")
    resolve_gold(items, paragraphs)
    return [i for i in items if split in (None, "all", i.split)]
