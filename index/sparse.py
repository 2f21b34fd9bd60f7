"""jieba tokenization and a BM25 index (bm25s) over paragraph units.

Text is width-folded before tokenizing (so '，' and ',' or '１' and '1' match), cut with jieba's
search mode (which also yields the sub-words of long compounds) plus the profile's user dictionary,
and stripped of punctuation and a few function words.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from policyqa.core.profile import DEFAULT_PROFILE, Profile, load_profile

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import: no debug lines on stderr
_STOPWORDS = set(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "等",
        "是",
        "在",
        "为",
        "对",
        "把",
        "被",
        "将",
        "就",
        "也",
        "都",
        "而",
        "之",
        "其",
        "以",
        "于",
        "中",
        "上",
        "下",
        "个",
        "有",
        "哪些",
        "什么",
        "多少",
        "怎么",
        "如何",
        "吗",
        "呢",
        "啊",
        "吧",
        "请问",
        "我",
        "你",
        "他",
        "它",
        "我们",
        "这",
        "那",
        "一下",
    ]
)
_TOKEN_OK = re.compile(r"[\w\u3400-\u9fff%]")
_lock = threading.Lock()
_NUMERALS = re.compile(r"[零〇一二三四五六七八九十百千万亿两]{2,}")


def whole_numerals(words: list[str]) -> list[str]:
    """Search mode also yields 十四 and 四五 beside 十四五, so a plan period's name counts three times
    against a topic word's once; without the parts of a longer numeral word it counts once."""
    numerals = {w for w in words if _NUMERALS.fullmatch(w)}
    parts = {w for w in numerals if any(w != u and w in u for u in numerals)}
    return [w for w in words if w not in parts] if parts else words


class Vocabulary:
    """A profile's words at work: jieba with its user dictionary, its thesaurus and its generic places.

    Built once per profile (``vocabulary(profile)``); jieba's dictionaries load on first use.
    """

    def __init__(self, profile: Profile):
        self.profile = profile
        self._jieba = None
        self._posseg = None

    def _tokenizer(self):
        if self._jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            if self.profile.userdict is not None:
                tokenizer.load_userdict(str(self.profile.userdict))
            self._jieba = tokenizer
        return self._jieba

    def tokenize(self, text: str) -> list[str]:
        folded = unicodedata.normalize("NFKC", text).lower()
        with _lock:  # jieba's lazy initialisation is not thread-safe
            words = self._tokenizer().lcut_for_search(folded)
        return [w for w in (w.strip() for w in words) if w and _TOKEN_OK.search(w) and w not in _STOPWORDS]

    def cut(self, text: str) -> list[str]:
        """jieba's words of the text as written (with the profile's dictionary), covering it end to end."""
        with _lock:
            return self._tokenizer().lcut(text)

    def expand_query(self, text: str) -> tuple[str, set[str]]:
        """The question with official terms appended for everyday variants, and the variants found.

        Longest variants first, each place of the text used once: 社保卡 is 社会保障卡, not also 社会保险."""
        found: dict[str, str] = {}
        taken = [False] * len(text)
        for variant, canonical in sorted(self.profile.thesaurus.items(), key=lambda vc: -len(vc[0])):
            start = text.find(variant)
            while start >= 0:
                span = range(start, start + len(variant))
                if not any(taken[i] for i in span):
                    for i in span:
                        taken[i] = True
                    rest = text[:start] + " " + text[start + len(variant) :]
                    if (
                        canonical not in rest
                    ):  # 就业岗位 → 就业: the official term said only inside the variant
                        found[variant] = canonical
                start = text.find(variant, start + 1)
        if not found:
            return text, set()
        return text + " " + " ".join(sorted(set(found.values()))), set(found)

    def _pos(self):
        if self._posseg is None:
            import jieba.posseg

            self._posseg = jieba.posseg.POSTokenizer(self._tokenizer())
        return self._posseg

    def pos_tags(self, text: str) -> list[str]:
        """jieba part-of-speech tags of a text's words (n… nouns, v… verbs)."""
        with _lock:
            return [p.flag for p in self._pos().lcut(text)]

    def place_names(self, text: str) -> list[str]:
        """Place names jieba tags in a text (ns), the profile's generic ones (全省, 城区…) left out."""
        with _lock:
            pairs = self._pos().lcut(text)
        generic = self.profile.generic_places
        return [p.word for p in pairs if p.flag == "ns" and len(p.word) >= 2 and p.word not in generic]

    @property
    def fingerprint(self) -> str:
        """Changes when the user dictionary changes (BM25 tokens depend on it)."""
        data = self.profile.userdict.read_bytes() if self.profile.userdict else b""
        return hashlib.sha256(data).hexdigest()[:16]


@lru_cache(maxsize=8)
def vocabulary(profile: Profile | None = None) -> Vocabulary:
    """The (cached) vocabulary of a profile; the bundled default profile when none is given."""
    return Vocabulary(profile or load_profile(DEFAULT_PROFILE))


def tokenize(text: str, profile: Profile | None = None) -> list[str]:
    return vocabulary(profile).tokenize(text)


def place_names(text: str, profile: Profile | None = None) -> list[str]:
    return vocabulary(profile).place_names(text)


def expand_query(text: str, profile: Profile | None = None) -> tuple[str, set[str]]:
    return vocabulary(profile).expand_query(text)


def pos_tags(text: str, profile: Profile | None = None) -> list[str]:
    return vocabulary(profile).pos_tags(text)


def build_bm25_from_tokens(token_lists: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index([tokens or ["∅"] for tokens in token_lists], show_progress=False)
    return retriever


def save_bm25(retriever: bm25s.BM25, directory: Path) -> None:
    retriever.save(str(directory), show_progress=False)


def load_bm25(directory: Path) -> bm25s.BM25:
    return bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)


def search_bm25(
    retriever: bm25s.BM25,
    query: str,
    k: int,
    weight_mask: np.ndarray | None = None,
    vocab: Vocabulary | None = None,
    period_once: bool = False,
) -> list[tuple[int, float]]:
    """(row index, score) of the best k units with a positive score. ``period_once``: a plan period's
    name counts as one query word (see ``whole_numerals``)."""
    tokens = (vocab or vocabulary()).tokenize(query)
    if period_once:
        tokens = whole_numerals(tokens)
    n_docs = retriever.scores["num_docs"]
    if not tokens or n_docs == 0:
        return []
    docs, scores = retriever.retrieve(
        [tokens], k=min(k, n_docs), show_progress=False, weight_mask=weight_mask
    )
    return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
