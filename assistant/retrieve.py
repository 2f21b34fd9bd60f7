"""Hybrid retrieval as LlamaIndex retrievers: dense (Chroma), jieba BM25, and their fusion.

``HybridRetriever`` fuses the two rankings with reciprocal-rank fusion, then
- restricts to the documents a question names (长沙…/湘潭…) or the UI's document filter;
- for comparisons (两地/分别/… or two places named) retrieves once with more candidates and
  interleaves them by document, so each document is represented rather than only the closest one;
- puts sections the question names (第五章, 专栏6, （一）) first, through their outline units.
It is hand-written instead of QueryFusionRetriever because of those three rules, and because that
class resolves a default LLM even when it never calls one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from policyqa.assistant.query import QueryInfo, heading_matches_ref, place_aliases
from policyqa.core.settings import RetrievalSettings
from policyqa.index.chunk import Paragraph, section_id
from policyqa.index.sparse import Vocabulary, search_bm25, vocabulary
from policyqa.index.store import IndexSnapshot


def to_node(p: Paragraph, score: float, **extra) -> NodeWithScore:
    metadata = {"doc_id": p.doc_id, "kind": p.kind, "section": p.section, **extra}
    return NodeWithScore(node=TextNode(id_=p.id, text=p.text, metadata=metadata), score=score)


class DenseRetriever(BaseRetriever):
    """Chroma similarity search through llama-index's ChromaVectorStore."""

    def __init__(
        self, snapshot: IndexSnapshot, embed_model: BaseEmbedding, k: int, doc_ids: Sequence[str] = ()
    ):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        super().__init__()
        self._snapshot = snapshot
        filters = None
        if doc_ids:
            filters = MetadataFilters(
                filters=[MetadataFilter(key="doc_id", value=list(doc_ids), operator=FilterOperator.IN)]
            )
        index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=snapshot.collection), embed_model
        )
        self._inner = index.as_retriever(similarity_top_k=k, filters=filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        out = []
        for hit in self._inner.retrieve(query_bundle):
            paragraph = self._snapshot.by_id.get(hit.node.node_id)
            if paragraph is not None:
                out.append(to_node(paragraph, float(hit.score or 0.0), dense=float(hit.score or 0.0)))
        return out


class SparseRetriever(BaseRetriever):
    """jieba-tokenized BM25 (bm25s) over the same units."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        k: int,
        doc_ids: Sequence[str] = (),
        vocab: Vocabulary | None = None,
        period_once: bool = False,
    ):
        super().__init__()
        self._snapshot = snapshot
        self._k = k
        self._vocab = vocab
        self._period_once = period_once
        self._mask = None
        if doc_ids:
            wanted = set(doc_ids)
            self._mask = np.array(
                [1.0 if p.doc_id in wanted else 0.0 for p in snapshot.paragraphs], dtype=np.float32
            )

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = search_bm25(
            self._snapshot.bm25,
            query_bundle.query_str,
            self._k,
            weight_mask=self._mask,
            vocab=self._vocab,
            period_once=self._period_once,
        )
        return [to_node(self._snapshot.paragraphs[i], s, sparse=s) for i, s in hits]


def rrf_fuse(
    rankings: dict[str, list[NodeWithScore]], k: int, weights: dict[str, float] | None = None
) -> list[NodeWithScore]:
    """Reciprocal-rank fusion; each fused node keeps which retrievers found it and their raw scores."""
    fused: dict[str, NodeWithScore] = {}
    scores: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, hit in enumerate(ranking):
            node_id = hit.node.node_id
            scores[node_id] = scores.get(node_id, 0.0) + weight / (k + rank + 1)
            if node_id not in fused:
                fused[node_id] = NodeWithScore(node=hit.node.model_copy(deep=True), score=0.0)
                fused[node_id].node.metadata["sources"] = []
            meta = fused[node_id].node.metadata
            meta["sources"].append(name)
            meta.update({key: val for key, val in hit.node.metadata.items() if key in ("dense", "sparse")})
    ordered = sorted(fused.values(), key=lambda h: scores[h.node.node_id], reverse=True)
    for hit in ordered:
        hit.score = scores[hit.node.node_id]
    return ordered


class HybridRetriever(BaseRetriever):
    """Dense + BM25 fused, with document scoping, per-document balancing and section lookup."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        embed_model: BaseEmbedding,
        settings: RetrievalSettings,
        info: QueryInfo,
        doc_filter: str | None = None,
        use_dense: bool = True,
        use_sparse: bool = True,
        named_sections: bool = True,
        vocab: Vocabulary | None = None,
    ):
        super().__init__()
        self._vocab = vocab
        self._snapshot = snapshot
        self._embed = embed_model
        self._settings = settings
        self._info = info
        self._use = {"dense": use_dense, "sparse": use_sparse}
        self._named_sections = named_sections
        if doc_filter:
            self._scope = [doc_filter]
        elif info.doc_ids:
            self._scope = list(dict.fromkeys(info.doc_ids))
        else:
            self._scope = []

    def _fused(
        self, query_bundle: QueryBundle, doc_ids: Sequence[str], widen: int = 1
    ) -> list[NodeWithScore]:
        """Dense + BM25 over ``doc_ids`` (all documents when empty), ``widen`` times the usual candidates."""
        rankings: dict[str, list[NodeWithScore]] = {}
        if self._use["dense"]:
            rankings["dense"] = DenseRetriever(
                self._snapshot, self._embed, self._settings.dense_k * widen, doc_ids
            ).retrieve(query_bundle)
        if self._use["sparse"]:
            # A list of measures asks about a whole plan: its period's name, which every row of an indicator
            # table titled with it also says, should not outweigh the topic ("十四五有哪些创业扶持措施").
            rankings["sparse"] = SparseRetriever(
                self._snapshot, self._settings.sparse_k * widen, doc_ids, self._vocab, self._info.listing
            ).retrieve(query_bundle)
        weights = {"dense": self._settings.dense_weight, "sparse": self._settings.sparse_weight}
        return rrf_fuse(rankings, self._settings.rrf_k, weights)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if self._info.compare and (len(self._scope) != 1):
            # One wider query, then balanced per document: never one query per document, which at
            # hundreds of documents (a comparison naming no place) costs hundreds of vector searches.
            n_docs = len(self._scope) or len(self._snapshot.documents)
            fused = _balance(self._fused(query_bundle, self._scope, widen=min(n_docs, MAX_WIDEN)))
        else:
            fused = self._fused(query_bundle, self._scope)
        return self._with_sections(fused) if self._named_sections else fused

    def _with_sections(self, fused: list[NodeWithScore]) -> list[NodeWithScore]:
        """Put first what the question names: numbered sections (第五章, 专栏6), sections by title
        (基本原则), or the document outline for questions about its structure (分几章)."""
        scope = set(self._scope or self._snapshot.documents)
        records = [r for r in self._snapshot.sections.values() if r.doc_id in scope]
        wanted = _named_sections(records, self._info)
        if not wanted and self._info.locate:
            vocab = self._vocab or vocabulary()
            places = [
                a
                for e in self._snapshot.documents.values()
                for a in place_aliases(e["meta"].get("region", ""))
            ]
            words = {  # what the question asks about: not its place, not the part it asks for (章, 部分)
                w
                for w in vocab.cut(self._info.text)
                if len(w) >= 2 and not re.search(r"[章节]|部分", w) and not any(w in a for a in places if a)
            } - vocab.profile.question_words
            wanted = _located_sections(fused, self._snapshot, words)
        injected_units: list[Paragraph] = []
        if self._info.structure:
            roots = (self._snapshot.by_section.get(section_id(doc_id, ()), []) for doc_id in scope)
            injected_units += [p for units in roots for p in units if p.kind == "outline"][:MAX_INJECTED]
        for record in wanted:
            units = self._snapshot.by_section.get(record.id, [])
            outline = [p for p in units if p.kind == "outline"]
            injected_units += (outline or units)[:6]
            if outline and self._info.listing and not (self._info.structure or self._info.section_refs):
                # "构建和谐劳动关系有什么措施" (a topic that is a chapter's title, not "第七章包括哪些"):
                # the chapter's outline, then each of its sections' opening
                injected_units += [
                    first
                    for child in record.children[:MAX_CHILDREN]
                    for first in self._snapshot.by_section.get(child, [])[:1]
                    if first.kind != "outline"
                ]
            if len(injected_units) >= MAX_INJECTED:  # e.g. 专栏6 in hundreds of documents
                break
        if not injected_units:
            return fused
        top_score = fused[0].score if fused else 1.0
        injected = []
        for p in {p.id: p for p in injected_units}.values():
            hit = to_node(p, top_score * 1.5)
            hit.node.metadata["sources"] = ["section"]
            injected.append(hit)
        seen = {h.node.node_id for h in injected}
        return injected + [h for h in fused if h.node.node_id not in seen]


_MARKER = re.compile(
    r"^(第[^章节部分]{1,4}[章节部分]|专栏\s*\d+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、])\s*"
)
MIN_TITLE_CHARS = 4
_TITLE_JOIN = re.compile(r"[和与及、，,]")
_LAST_PART = re.compile(r"最后[^，,。？?]{0,8}(?:章|节|部分)")
MAX_INJECTED = 12
MAX_CHILDREN = 5  # sections of a named chapter whose opening unit a measures question also gets
MAX_TITLE_MATCHES = 2
MAX_WIDEN = 4  # a comparison asks for at most this many times the usual candidates


@lru_cache(maxsize=65536)
def _title_core(title: str) -> str:
    """A heading without its marker: '(二)基本原则' → '基本原则'."""
    return _MARKER.sub("", title).strip()


def _named_sections(records, info: QueryInfo) -> list:
    """Sections the question points at by number (all refs must lie on the section's path) or by title."""
    if info.section_refs:
        refs = info.section_refs
        by_number = [
            r
            for r in records
            if heading_matches_ref(r.title, refs[-1])
            and all(any(heading_matches_ref(t, ref) for t in r.path) for ref in refs)
        ]
        if by_number:
            return by_number
    folded_question = info.text.replace(" ", "")
    by_title = []
    for r in records:
        core = _title_core(r.title)
        # a title or one of its joined parts (指导思想和主要目标 → 主要目标) said in the question
        parts = _title_parts(core) if info.section_cue else []  # only "…那一章写了什么"
        said = [part for part in {core, *parts} if len(part) >= MIN_TITLE_CHARS]
        said = [part for part in said if part in folded_question]
        if said:  # a whole title said outranks a part of a longer one
            by_title.append((max(map(len, said)) + (100 if core in said else 0), r))
    by_title.sort(key=lambda pair: -pair[0])
    named = [r for _, r in by_title[:MAX_TITLE_MATCHES]]
    if info.section_cue and _LAST_PART.search(folded_question):  # "规划最后的保障措施那部分"
        named += _last_parts(records, named)
    return named


LOCATE_HITS = 8  # the best hits whose place in the document says which part covers the topic
LOCATE_SHARE = 0.6  # a part of many sections answers with its one section holding this share of the hits
LOCATE_CONTAINER = 4


def _located_sections(fused: list[NodeWithScore], snapshot, words: set[str]) -> list:
    """The part of each document a topic is treated in, for "讲社会保障的是哪一章": the top-level part
    whose title says a word of the question (社会保障 is said all over a 人力资源和社会保障 plan, not in
    its chapter titles), else a section one level down whose title does ((一)不断提高就业质量和水平
    under 三、重点任务), else the part its best paragraphs sit in — or, when that part holds many
    sections, its one section with an outline of its own that holds most of those paragraphs. Table
    rows and outlines say little about where a topic is treated."""
    hits: dict[tuple[str, ...], float] = {}
    paragraphs = [snapshot.by_id.get(h.node.node_id) for h in fused]
    paragraphs = [p for p in paragraphs if p is not None and p.kind == "paragraph" and p.section_path]
    for rank, p in enumerate(paragraphs[:LOCATE_HITS]):
        for depth in (1, 2):
            if len(p.section_path) >= depth:
                key = (p.doc_id, *p.section_path[:depth])
                hits[key] = hits.get(key, 0.0) + 1.0 / (1 + rank)

    def titled(record) -> bool:
        return any(w in _title_core(record.title) for w in words)

    def outlined(record) -> bool:
        return any(p.kind == "outline" for p in snapshot.by_section.get(record.id, []))

    def weight(record) -> float:
        return hits.get((record.doc_id, *record.path), 0.0)

    out = []
    for doc_id in dict.fromkeys(p.doc_id for p in paragraphs[:LOCATE_HITS]):
        parts = [r for r in snapshot.sections.values() if r.doc_id == doc_id and len(r.path) == 1]
        parts = [r for r in parts if r.kind not in ("document", "preamble")]
        inner = [snapshot.sections[c] for r in parts for c in r.children if c in snapshot.sections]
        named = [r for r in parts if titled(r)] or [r for r in inner if titled(r) and outlined(r)]
        if named:
            out.append(max(named, key=weight))
            continue
        record = max(parts, key=weight, default=None)
        if record is None or not weight(record):
            continue
        if len(record.children) >= LOCATE_CONTAINER:
            sections = [snapshot.sections[c] for c in record.children if c in snapshot.sections]
            best = max((r for r in sections if outlined(r)), key=weight, default=None)
            if best is not None and weight(best) >= LOCATE_SHARE * weight(record):
                record = best
        out.append(record)
    return out[:MAX_TITLE_MATCHES]


def _title_parts(core: str) -> list[str]:
    """指导思想和主要目标 → [指导思想, 主要目标]; a 和 inside a word (构建和谐劳动关系) splits nothing."""
    parts = _TITLE_JOIN.split(core)
    return parts if len(parts) > 1 and all(len(p) >= 3 for p in parts) else []


def _last_parts(records, named) -> list:
    """Each document's last top-level part (its 保障措施 chapter, usually), unless one was named."""
    named_docs = {r.doc_id for r in named}
    last: dict[str, object] = {}
    tops = (r for r in records if len(r.path) == 1 and r.kind not in ("document", "preamble"))
    for r in tops:
        if r.doc_id not in named_docs and (r.doc_id not in last or r.start > last[r.doc_id].start):
            last[r.doc_id] = r
    return list(last.values())


def _balance(fused: list[NodeWithScore]) -> list[NodeWithScore]:
    """Interleave a fused ranking by document (best document first), so each is represented."""
    by_doc: dict[str, list[NodeWithScore]] = {}
    for hit in fused:
        by_doc.setdefault(hit.node.metadata["doc_id"], []).append(hit)
    return _interleave(list(by_doc.values()))


def _interleave(rankings: list[list[NodeWithScore]]) -> list[NodeWithScore]:
    out: list[NodeWithScore] = []
    seen: set[str] = set()
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].node.node_id not in seen:
                seen.add(ranking[rank].node.node_id)
                out.append(ranking[rank])
    return out
