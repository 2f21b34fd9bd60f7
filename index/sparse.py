"""jieba tokenization and a BM25 index (bm25s) over paragraph units.

Text is width-folded before tokenizing (so '，' and ',' or '１' and '1' match), cut with jieba's
search mode (which also yields the sub-words of long compounds) plus a small domain dictionary,
and stripped of punctuation and a few function words.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import: no debug lines on stderr

USER_DICT = Path(__file__).with_name("userdict.txt")
SYNONYMS = Path(__file__).with_name("synonyms.txt")
# Words jieba may tag as places (ns) that name no particular place.
_GENERIC_PLACES = set(
    [
        "湖南",
        "湖南省",
        "全省",
        "全市",
        "全国",
        "中国",
        "长株潭",
        "中部",
        "城乡",
        "城区",
        "农村",
        "乡村",
        "省会",
        "城市",
        "两市",
        "本市",
        "各市",
        "各地",
        "两地",
        "本地",
        "当地",
        "外地",
        "市区",
        "城镇",
        "地方",
        "基层",
        "县城",
    ]
)
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


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


@lru_cache(maxsize=1)
def _pos_tokenizer():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_tokenizer())


def tokenize(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    with _lock:  # jieba's lazy initialisation is not thread-safe
        words = _tokenizer().lcut_for_search(folded)
    return [w for w in (w.strip() for w in words) if w and _TOKEN_OK.search(w) and w not in _STOPWORDS]


def build_bm25_from_tokens(token_lists: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index([tokens or ["∅"] for tokens in token_lists], show_progress=False)
    return retriever


def save_bm25(retriever: bm25s.BM25, directory: Path) -> None:
    retriever.save(str(directory), show_progress=False)


def load_bm25(directory: Path) -> bm25s.BM25:
    return bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)


def search_bm25(
    retriever: bm25s.BM25, query: str, k: int, weight_mask: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """(row index, score) of the best k units with a positive score."""
    tokens = tokenize(query)
    n_docs = retriever.scores["num_docs"]
    if not tokens or n_docs == 0:
        return []
    docs, scores = retriever.retrieve(
        [tokens], k=min(k, n_docs), show_progress=False, weight_mask=weight_mask
    )
    return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """variant → canonical term, from synonyms.txt."""
    mapping: dict[str, str] = {}
    for line in SYNONYMS.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or line.startswith("#"):
            continue
        for variant in words[1:]:
            mapping[variant] = words[0]
    return mapping


def expand_query(text: str) -> tuple[str, set[str]]:
    """The question with canonical terms appended for colloquial variants, and the variants found."""
    found = {v: c for v, c in synonyms().items() if v in text and c not in text}
    if not found:
        return text, set()
    return text + " " + " ".join(sorted(set(found.values()))), set(found)


def place_names(text: str) -> list[str]:
    """Place names jieba tags in a text (ns), generic ones (全省, 城区…) left out."""
    with _lock:
        pairs = _pos_tokenizer().lcut(text)
    return [p.word for p in pairs if p.flag == "ns" and len(p.word) >= 2 and p.word not in _GENERIC_PLACES]
