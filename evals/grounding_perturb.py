"""How the synthetic part of evals/grounding_set.jsonl was made (kept for review; rerun only to rebuild).

From the indexed corpus (real paragraphs and table rows) it draws supported claims (verbatim
extracts, light paraphrases) and unsupported ones made by one perturbation each: wrong number, wrong
unit, wrong year or period, wrong place, flipped negation, a figure from another indicator of the
same paragraph, a swapped domain term, and a supported sentence with no citation. Each item is
labelled by construction; the split (dev for tuning, heldout for reporting only) is by paragraph,
so a held-out paragraph never shaped the check. Real model claims are labelled by hand separately
(evals/grounding_rubric.md). ``python -m evals.grounding_perturb --data-dir DIR > part.jsonl``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from pathlib import Path

from policyqa.core.text import protect_brackets, split_sentences

PLACES = [("长沙", "湘潭"), ("湘潭", "长沙"), ("宁乡", "韶山"), ("浏阳", "湘潭县")]
TERMS = [
    ("失业保险", "工伤保险"),
    ("工伤保险", "失业保险"),
    ("养老保险", "失业保险"),
    ("高校毕业生", "农民工"),
    ("农民工", "高校毕业生"),
    ("高技能人才", "专业技术人才"),
    ("专业技术人才", "高技能人才"),
    ("城镇新增就业", "城镇调查失业率"),
    ("职业技能培训", "劳动保障监察"),
    ("创业担保贷款", "社会保障卡"),
    ("社会保障卡", "创业担保贷款"),
    ("技工院校", "博士后"),
    ("根治欠薪", "职业技能培训"),
]
PREFIXES = ["规划提出，", "文件明确，", "根据规划，", "按照规划，", ""]
PARAPHRASE = [
    ("进一步", ""),
    ("全面", ""),
    ("到2025年，", "2025年"),
    ("达到", "达"),
    ("力争", ""),
    ("将", "要"),
]
UNIT_SWAPS = [
    ("万人次", "人次"),
    ("万人", "人"),
    ("元/月", "元/年"),
    ("万元", "元"),
    ("%", "万人"),
    ("亿元", "万元"),
]
NEGATE = [
    ("推进", "不推进"),
    ("加强", "不再加强"),
    ("完善", "不完善"),
    ("实现", "未实现"),
    ("提高", "不提高"),
    ("建立", "不建立"),
]
FIGURE = re.compile(r"(\d+(?:\.\d+)?)(万人次|万人|万元|亿元|元/月|%|万户|万|人|个|家|所|项|次)")


def _split(paragraph_id: str) -> str:
    return "heldout" if int(hashlib.sha256(paragraph_id.encode()).hexdigest(), 16) % 5 < 2 else "dev"


TITLES: dict[str, str] = {}  # doc id → title, filled by build(); the header grounding sees is title + section


def _item(kind: str, claim: str, paragraph, supported: bool, cited: bool = True) -> dict:
    return {
        "claim": protect_brackets(claim),  # as the model sees a source's own [50]: ［50］
        "paragraph": paragraph.text if cited else "",
        "paragraph_id": paragraph.id,
        "header": f"{TITLES.get(paragraph.doc_id, '')}\n{paragraph.section}",
        "supported": supported,
        "type": kind,
        "origin": "synthetic",
        "split": _split(paragraph.id),
    }


def _bump(value: str, rng: random.Random) -> str:
    if "." in value:
        whole, frac = value.split(".")
        return f"{int(whole) + rng.choice([1, 2, 3])}.{frac}"
    number = int(value)
    return (
        str(number + max(1, round(number * rng.choice([0.1, 0.2, 0.5])))) if number > 3 else str(number + 2)
    )


def table_claims(p, rng: random.Random) -> list[dict]:
    cells = p.table.get("cells", [])
    header = p.table.get("header", [])
    if len(cells) < 3 or len(cells) != len(header):
        return []
    indicator = re.sub(r"^\d+[.、]", "", cells[0])
    columns = [
        (h, c)
        for h, c in zip(header[2:], cells[2:], strict=False)
        if re.search(r"\d", c) and re.search(r"\d|十.五", h)
    ]
    unit = cells[1]
    out = []
    if not columns:
        return out
    head, value = rng.choice(columns)
    value_with_unit = value if re.search(r"[^\d.\[\]<>≤≥]$", value) else f"{value}{unit}"
    out.append(_item("extract", f"{indicator}（{head}）为{value_with_unit}", p, True))
    number = lambda text: re.sub(r"[^\d.]", "", text)  # noqa: E731
    other = [
        (h, c)
        for h, c in columns
        if number(c) != number(value) and not (set(re.findall(r"\d+", h)) & set(re.findall(r"\d+", head)))
    ]
    if other:
        other_head = other[0][0]
        out.append(_item("wrong_period", f"{indicator}（{other_head}）为{value_with_unit}", p, False))
    m = re.search(r"\d+(?:\.\d+)?", value)
    if m:
        out.append(
            _item(
                "wrong_number",
                f"{indicator}（{head}）为{value_with_unit.replace(m.group(0), _bump(m.group(0), rng), 1)}",
                p,
                False,
            )
        )
    return out


def sentence_claims(p, sentence: str, rng: random.Random) -> list[dict]:
    s = sentence.strip().rstrip("；;")
    out = [_item("extract", s, p, True)]
    para = s
    for a, b in rng.sample(PARAPHRASE, 3):
        para = para.replace(a, b, 1)
    para = rng.choice(PREFIXES) + para
    if para != s:
        out.append(_item("paraphrase", para, p, True))
    figures = list(FIGURE.finditer(s))
    if figures:
        f = rng.choice(figures)
        out.append(_item("wrong_number", s[: f.start(1)] + _bump(f.group(1), rng) + s[f.end(1) :], p, False))
        for a, b in UNIT_SWAPS:
            if f.group(2) == a:
                out.append(_item("wrong_unit", s[: f.start(2)] + b + s[f.end(2) :], p, False))
                break
    years = re.findall(r"(20[12]\d)年", s)
    if years:
        y = rng.choice(years)
        swap = {"2025": "2020", "2020": "2025", "2021": "2015", "2015": "2021"}.get(y, str(int(y) - 5))
        out.append(_item("wrong_period", s.replace(f"{y}年", f"{swap}年", 1), p, False))
    elif "十四五" in s or "十三五" in s:
        out.append(
            _item(
                "wrong_period",
                s.replace("十四五", "十三五", 1) if "十四五" in s else s.replace("十三五", "十四五", 1),
                p,
                False,
            )
        )
    for a, b in PLACES:
        if a in s and b not in p.text:
            out.append(_item("wrong_place", s.replace(a, b, 1), p, False))
            break
    for a, b in NEGATE:
        if a in s:
            out.append(_item("negation", s.replace(a, b, 1), p, False))
            break
    for a, b in TERMS:
        if a in s and b not in p.text:
            out.append(_item("entity_swap", s.replace(a, b, 1), p, False))
            break
    if figures or len(s) > 30:
        out.append(_item("uncited", s, p, False, cited=False))
    return out


def other_indicator_claims(p, rng: random.Random) -> list[dict]:
    """A clause of the paragraph with its figure replaced by another indicator's figure (same unit) from
    elsewhere in the paragraph, outside its own enumeration: the "15万人 [5]" defect."""
    out = []
    figures = list(FIGURE.finditer(p.text))
    for a in figures:
        clause_start = max(p.text.rfind(ch, 0, a.start()) for ch in "，。；：") + 1
        clause_end = min(
            [i for i in (p.text.find(ch, a.end()) for ch in "，。；") if i >= 0] or [len(p.text)]
        )
        if (
            a.start() - clause_start < 4
            or "、" in p.text[clause_start : a.start()]
            or "分别" in p.text[clause_start : a.start()]
        ):
            continue
        others = [
            b
            for b in figures
            if b.group(2) == a.group(2)
            and b.group(1) != a.group(1)
            and not (clause_start <= b.start() < clause_end)
        ]
        if others:
            b = rng.choice(others)
            sentence_start = max(p.text.rfind(ch, 0, a.start()) for ch in "。；") + 1
            claim = p.text[sentence_start : a.start()] + b.group(0) + p.text[a.end() : clause_end]
            out.append(_item("other_indicator", claim.strip(), p, False))
    return out


def build(data_dir: Path, seed: int = 13) -> list[dict]:
    from policyqa.core.settings import Settings
    from policyqa.index.store import open_index

    rng = random.Random(seed)
    snapshot = open_index(Settings(data_dir=data_dir))
    TITLES.update({doc_id: entry["meta"].get("title", "") for doc_id, entry in snapshot.documents.items()})
    items: list[dict] = []
    for p in snapshot.paragraphs:
        if p.kind == "table_row":
            items += table_claims(p, rng)
        elif p.kind == "paragraph":
            items += other_indicator_claims(p, rng)
            sentences = [s for s in split_sentences(p.text) if 14 <= len(s) <= 120]
            if sentences:
                figured = [s for s in sentences if FIGURE.search(s)]
                items += sentence_claims(p, rng.choice(figured or sentences), rng)
    return items


def balance(items: list[dict], rng: random.Random, per_type: int = 40) -> list[dict]:
    by_type: dict[str, list[dict]] = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    out = []
    for kind, group in sorted(by_type.items()):
        rng.shuffle(group)
        limit = per_type * 2 if kind in ("extract", "paraphrase") else per_type
        out += group[:limit]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True, help="data dir holding an index of the bundled corpus")
    args = parser.parse_args()
    for item in balance(build(Path(args.data_dir)), random.Random(7)):
        print(json.dumps(item, ensure_ascii=False))


if __name__ == "__main__":
    main()
