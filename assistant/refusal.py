"""The one place that decides whether the documents answer a question, and if not, what they do not state.

``RefusalFeatures`` are the measured signals (coverage of the question's terms, dense similarity,
terms absent from the corpus, slot matching); ``decide`` turns them into a ``Reason`` with the
thresholds of the profile's preset for the embedding model in use. The calibration command
(evals/calibrate.py) reads the same features and the same enum, so nothing is held together by strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Reason(StrEnum):
    NONE = ""
    NOTHING_RETRIEVED = "nothing retrieved"
    FOREIGN_PLACE = "no applicable document covers the place"
    YEAR_NOT_COVERED = "no document states the asked year or period"
    NEAR_MISS = "the documents do not state procedures, contacts or individual rulings"
    SLOT_MISMATCH = "no figure matches the asked period, place or kind"
    ABSENT_TERMS = "key terms never occur in the documents"
    WEAK_MATCH = "weak match"

    @property
    def is_not_stated(self) -> bool:
        """Refusals phrased as "文件未载明…" with related information, rather than "nothing found"."""
        return self in (Reason.YEAR_NOT_COVERED, Reason.NEAR_MISS, Reason.SLOT_MISMATCH, Reason.FOREIGN_PLACE)


SITUATION_SHARE = 0.7


@dataclass
class Thresholds:
    min_coverage: float = 0.5  # refuse when the best sentence covers less of the question's terms …
    min_dense: float = 0.89  # … and the best dense similarity is below this
    absent_share: float = 1.01  # refuse when this share of the term weight never occurs in the corpus


@dataclass
class RefusalFeatures:
    retrieved: bool = True
    best_coverage: float = 0.0
    dense_top: float = 0.0
    absent_terms: list[str] = field(default_factory=list)
    absent_share: float = 0.0
    present_coverage: float = 0.0  # best coverage counting only the terms that occur in the documents
    foreign_places: list[str] = field(default_factory=list)  # places no applicable document covers
    uncovered_years: list[str] = field(default_factory=list)  # asked years/periods no document states
    near_miss: str = ""  # procedure | contact | eligibility | legality
    figure_question: bool = False
    slot_mismatch: str = ""  # period | place | value | topic | date (no matching figure; no date said)

    def to_dict(self) -> dict:
        return asdict(self)


def decide(f: RefusalFeatures, t: Thresholds) -> Reason:
    """The reason to refuse, or Reason.NONE. Order matters: the most specific explanation first."""
    if not f.retrieved:
        return Reason.NOTHING_RETRIEVED
    if f.foreign_places:
        return Reason.FOREIGN_PLACE
    if f.uncovered_years:
        return Reason.YEAR_NOT_COVERED
    if f.near_miss:
        return Reason.NEAR_MISS
    if f.absent_share >= t.absent_share:
        return Reason.ABSENT_TERMS
    if f.figure_question and f.absent_share >= 1.0:
        return Reason.ABSENT_TERMS  # "GDP是多少": no word of what is asked occurs in the documents
    if f.slot_mismatch == "group":  # a group no document of the place names: said so, however well it matched
        return Reason.SLOT_MISMATCH
    # A minority of words the documents never use are the asker's situation (装修, 老板): judge the rest.
    # When most of the question is unknown to the documents it is about something else: judge it all.
    coverage = (
        f.best_coverage if f.absent_share >= SITUATION_SHARE else max(f.best_coverage, f.present_coverage)
    )
    weak = coverage < t.min_coverage and f.dense_top < t.min_dense
    if weak:
        return Reason.WEAK_MATCH
    if f.slot_mismatch and (f.figure_question or f.slot_mismatch == "compare"):
        return Reason.SLOT_MISMATCH  # a comparison's verdict needs every side's figure, however it asks
    return Reason.NONE


def not_stated_phrase(reason: Reason, f: RefusalFeatures, asked: dict) -> str:
    """What the documents do not state, in the answer's words (文件未载明 + this)."""
    place = asked.get("place", "")
    if reason is Reason.FOREIGN_PLACE:
        return f"{'、'.join(f.foreign_places)}的相关内容（现有文件的适用范围为{asked.get('coverage', '其他地区')}）"
    if reason is Reason.YEAR_NOT_COVERED:
        return f"{'、'.join(f.uncovered_years)}的相关数据"
    if reason is Reason.NEAR_MISS:
        return {
            "procedure": "具体的办理流程、所需材料或收费标准",
            "contact": "联系电话、地址、办公时间等联系信息",
            "eligibility": "对个人是否符合条件的认定",
            "legality": "对具体个案是否合法的认定",
            "national": "全国性的统一规定（现有文件为地方文件）",
        }.get(f.near_miss, "所问的具体内容")
    if reason is Reason.SLOT_MISMATCH:
        if f.slot_mismatch == "place":
            return f"{place}单独的相关数据" if place else "所问地区的相关数据"
        if f.slot_mismatch == "period":
            return f"{place}{asked.get('indicator', '')}{asked.get('period_text', '所问时期的数值')}"
        if f.slot_mismatch == "date":
            indicator = asked.get("indicator", "")
            return f"{place}{indicator}的具体时间安排" if len(indicator) >= 4 else "所问事项的具体时间安排"
        if asked.get("indicator"):
            period_text = asked.get("period_text") or "的具体数值"
            if f.slot_mismatch == "value" and asked.get("kind"):  # 覆盖率 stated, 人数 asked
                period_text = period_text.removesuffix("数值") + asked["kind"]
            return f"{place}{asked['indicator']}{period_text}"
        return "与问题直接对应的数据"
    return "相关内容"
