"""The query pipeline: validate → condense → retrieve → answer → ground, each step timed.

``PolicyAssistant`` is the one object the CLI, the UI and the eval use: built from Settings,
``ask()`` returns an ``Answer`` and ``stream()`` yields text as it is produced and the final Answer.
The answer backend is the offline extractive one unless an LLM model is configured.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from llama_index.core.schema import QueryBundle
from policyqa.assistant import docinfo, groups
from policyqa.assistant.answer import REFUSAL, Answer, Citation, GroundingReport, RetrievedParagraph
from policyqa.assistant.condense import Turn, condense_with_llm, normalise_history, rewrite
from policyqa.assistant.extractive import (
    MAX_SECTION_UNITS,
    Evidence,
    TermWeights,
    item_section,
    not_mentioned,
    plan_answer,
    render_answer,
    render_not_stated,
    sentence_meaning,
)
from policyqa.assistant.grounding import ground
from policyqa.assistant.places import correct_homophones, covers
from policyqa.assistant.prompts import render
from policyqa.assistant.query import QueryInfo, analyse, place_aliases
from policyqa.assistant.refusal import Reason, RefusalFeatures, Thresholds, decide, not_stated_phrase
from policyqa.assistant.retrieve import HybridRetriever
from policyqa.assistant.select import DocPeriod, doc_period_covers
from policyqa.assistant.slots import (
    Slots,
    load_question_words,
    names_topic,
    near_miss_of,
    read_slots,
    situation_of,
    split_context,
)
from policyqa.core.profile import profile_of, refusal_thresholds
from policyqa.core.settings import Settings
from policyqa.core.text import CITATION_MARK, fold, protect_brackets, split_sentences, strip_marks
from policyqa.index.embed import build_embedder
from policyqa.index.sparse import vocabulary
from policyqa.index.store import IndexMissing, IndexSnapshot, open_index

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 500
MODES = ("answer", "reply")


class LLMFailure(Exception):
    """The LLM gave no usable answer (after the client's own retries); ``reason`` is for the logs."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ConfidentRefusal(Exception):
    """The LLM refused although retrieval matched well: the offline answer is shown beside its refusal."""


# A head noun this long names a thing (产业园, 服务圈); shorter ones (数字, 服务) are generic. It is named
# when another document says it with the question's own words around it, this long in all.
NAMED_THING_CHARS = 3
NAMED_THING_SPAN = 6
# words only its title has (no other document's) that a question shares with one document to name it
NAMED_DOCUMENT_BIGRAMS = 3
# a date question also reads the other paragraphs of its best paragraphs' sections
SIBLING_SOURCES = 6
# A follow-up that names its own topic ("职称那块呢（上文：…公务员队伍建设…）"): the context's words still
# help find it, but a sentence is judged mostly by the follow-up's own words.
CONTEXT_TERM_WEIGHT = 0.3
CONFIDENT_REFUSAL_NOTICE = (
    f"大模型回答“{REFUSAL}”，但检索到的段落与问题高度相关；以下为离线摘录模式的回答，请核对引用原文。"
)


class QuestionError(ValueError):
    """A question that cannot be asked as given; ``zh`` is the message for the UI."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


@dataclass
class StreamEvent:
    kind: str  # "delta" | "reset" (discard what streamed so far) | "answer"
    text: str = ""
    answer: Answer | None = None


def clean_question(question: str) -> tuple[str, list[str]]:
    """Strip control characters and truncate; raise QuestionError for empty or content-free input."""
    notices = []
    if not isinstance(question, str):
        raise QuestionError("question must be text", "问题必须是文字。")
    text = "".join(ch for ch in question if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty", "请输入问题。")
    if not re.search(r"[\u3400-\u9fffA-Za-z0-9]", text):
        raise QuestionError(
            "the question has no words to search for", "没有识别到可查询的文字，请用中文描述您的问题。"
        )
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS]
        notices.append(f"问题过长，只使用了前{MAX_QUESTION_CHARS}个字。")
    return text, notices


# the kind of value asked, in words ("未载明…的目标数量"; the LLM prompt's 所问=)
KIND_WORDS = {"amount": "金额", "rate": "比例", "count": "数量"}


class PolicyAssistant:
    def __init__(self, settings: Settings, snapshot: IndexSnapshot, llm=None):
        self.settings = settings
        self.snapshot = snapshot
        self.profile = profile_of(settings)
        self.vocab = vocabulary(self.profile)
        self.embedder = build_embedder(settings.embed, settings.index.embed_batch_size)
        self.terms = TermWeights(snapshot.paragraphs, snapshot.term_df, self.profile.question_words)
        self.llm = llm
        self.words = load_question_words(self.profile.folder)
        self.periods = {d: DocPeriod.of(e["meta"]) for d, e in snapshot.documents.items()}
        self.regions = frozenset(e["meta"].get("region", "") for e in snapshot.documents.values()) - {""}
        self.place_names = [alias for region in sorted(self.regions) for alias in place_aliases(region)]
        dates = [e["meta"]["date"][:4] for e in snapshot.documents.values() if e["meta"].get("date")]
        self.last_issued = max(map(int, dates), default=0)  # no document reports a result after this year
        self.group_docs = groups.mentions(self.profile.groups, snapshot.paragraphs)
        texts: dict[str, list[str]] = {}
        for p in snapshot.paragraphs:
            texts.setdefault(p.doc_id, []).append(fold(p.text))
        self.doc_texts = {doc_id: "\n".join(t) for doc_id, t in texts.items()}  # what each mentions at all
        self.reranker = None
        if settings.retrieval.rerank_url:
            from policyqa.assistant.rerank import HTTPReranker

            key = settings.retrieval.rerank_api_key
            self.reranker = HTTPReranker(
                url=settings.retrieval.rerank_url,
                model=settings.retrieval.rerank_model,
                top_n=settings.retrieval.rerank_top_n,
                api_key=key.get_secret_value() if key else None,
            )

    @classmethod
    def from_settings(
        cls, settings: Settings, build_if_missing: bool = True, progress: bool = False
    ) -> PolicyAssistant:
        from policyqa.core.clients import chat_llm

        try:
            snapshot = open_index(settings)
        except IndexMissing:
            if not build_if_missing:
                raise
            from policyqa.index.ingest import ingest

            ingest(settings, progress=progress)
            snapshot = open_index(settings)
        return cls(settings, snapshot, llm=chat_llm(settings.llm))

    def warm_up(self) -> None:
        """Load the lazily-initialised parts (jieba dictionaries, the embedder) before the first user asks."""
        self.vocab.tokenize("预热")
        self.vocab.place_names("预热")
        self.embedder.get_query_embedding("预热")

    @property
    def reply_wording(self):
        from policyqa.assistant.reply import reply_wording

        return reply_wording(self.settings.answer.reply_channel, self.profile.folder)

    @property
    def backend_name(self) -> str:
        return f"llm:{self.settings.llm.model}" if self.llm is not None else "extractive"

    def documents(self) -> list[dict]:
        """The indexed documents with their metadata and counts (for filters and the UI's document list)."""
        out = []
        for doc_id, entry in self.snapshot.documents.items():
            out.append({"doc_id": doc_id, **entry["meta"], "counts": entry["counts"]})
        return out

    # -- the pipeline -------------------------------------------------------------------------------

    def ask(self, question: str, history=None, doc: str | None = None, mode: str = "answer") -> Answer:
        answer = None
        for event in self.stream(question, history, doc, mode):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(
        self, question: str, history=None, doc: str | None = None, mode: str = "answer"
    ) -> Iterator[StreamEvent]:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if mode not in MODES:
            raise QuestionError(f"mode must be one of {MODES}", "未知的模式。")
        if doc and doc not in self.snapshot.documents:
            raise QuestionError(f"unknown document {doc!r}", "所选文件不在索引中。")
        text, notices = clean_question(question)
        text, fixes = correct_homophones(text, self.place_names, self.vocab.cut)
        notices += [f"已将问题中的“{written}”按“{name}”理解。" for written, name in fixes]
        # colloquial asking words read as standard ones (咋领 → 怎么领), in earlier turns too
        turns = [
            Turn(t.role, self.words.standard(t.content) if t.role == "user" else t.content)
            for t in normalise_history(history)
        ]
        standard = self.words.standard(text)

        t = time.perf_counter()
        rewritten = self._condense(standard, turns)
        timings["condense"] = _ms(t)

        slots = read_slots(rewritten, self.words, near=self.regions)
        if not slots.near_miss and rewritten != standard:
            # "…现在还能申请这个补助吗？" rewritten as "…还能申请这个补助（上文：…）" loses its 吗: the asker's own
            # words say whether it is one person's or firm's case
            slots.near_miss = near_miss_of(standard, self.words)
        t = time.perf_counter()
        info, expanded, hits, query_vector = self._retrieve(slots.request_text, doc, slots)
        timings["retrieve"] = _ms(t)
        if self.reranker is not None:
            t = time.perf_counter()
            hits = self._rerank(hits, rewritten, notices)
            timings["rerank"] = _ms(t)
        evidence = self._evidence(hits)
        if info.listing:
            evidence += self._other_parts(evidence, hits)
        retrieved = self._retrieved(hits)
        answer = Answer(
            question=text,
            text="",
            retrieved=retrieved,
            backend=self.backend_name,
            mode=mode,
            rewritten_question=rewritten if rewritten != standard else "",
            notices=notices,
        )

        t = time.perf_counter()
        canonical = {self.profile.thesaurus.get(v, v) for v in info.synonym_variants}
        terms = self.terms.query_terms(
            expanded, info.places, skip=info.synonym_variants | self._slot_words(slots), keep=canonical
        )
        if not slots.figure:  # "那失业保险呢（上文：…参保人数…）": a figure's name is the context's too
            terms = self._own_terms_first(terms, expanded)
        meaning = self._sentence_meaning(evidence, query_vector)
        r = self.settings.retrieval
        plan = None
        for size in dict.fromkeys((r.figure_pool, self._pool_size(slots))):
            # the review's long paragraphs are searched only when the usual pool gives no figure
            if plan is None or not (plan.lead or plan.leads):
                pool = self._evidence(hits, max(r.top_k, size))
                if slots.value == "date":  # when is often said in the next paragraph of the section
                    pool += self._section_siblings(pool[:SIBLING_SOURCES])
                plan = plan_answer(
                    evidence,
                    terms,
                    info,
                    slots,
                    self.words,
                    self.periods,
                    self.terms.df,
                    self.profile.thesaurus,
                    pool,
                    meaning,
                )
        self._check_groups(plan, expanded, info, slots, doc)
        self._check_named_things(plan, info, slots, doc)
        features = self._refusal_features(plan, hits[: self.settings.retrieval.top_k], info, terms, slots)
        reason = decide(features, self._thresholds())
        answer.diagnostics = features.to_dict() | {"refusal_reason": reason.value, "slots": slots.describe()}
        metadata_docs = self._metadata_docs(slots, info, doc)
        if metadata_docs:
            timings["answer"] = _ms(t)
            self._answer_metadata(answer, slots, metadata_docs, mode)
            yield StreamEvent("delta", answer.text)
        elif reason is not Reason.NONE:
            timings["answer"] = _ms(t)
            self._refuse(answer, evidence, mode, reason, features, plan, slots)
            yield StreamEvent("delta", answer.text)
        elif self.llm is not None:
            try:
                yield from self._answer_with_llm(answer, evidence, rewritten, mode, timings, t, slots)
            except LLMFailure as exc:
                yield StreamEvent("reset")  # whatever streamed so far is not an answer
                yield from self._fall_back(answer, plan, mode, exc.reason, timings, t)
            except ConfidentRefusal:
                yield StreamEvent("reset")
                yield from self._fall_back(
                    answer,
                    plan,
                    mode,
                    "the model refused although retrieval matched well",
                    timings,
                    t,
                    notice=CONFIDENT_REFUSAL_NOTICE,
                )
        else:
            yield from self._extractive(answer, plan, mode, timings, t)

        t = time.perf_counter()
        if not answer.refused:
            parsed = [(c.n, c.id) for c in answer.citations]
            emptied = self._ground(answer, evidence, mode)
            if emptied and answer.backend != "extractive":
                answer.diagnostics["llm_citations"] = parsed  # what the model cited, for logs and tests
                answer.diagnostics["llm_removed"] = list(answer.grounding.removed_sentences)
                yield StreamEvent("reset")
                reason = "no content beyond markers, headers or frames" if answer.grounding.no_content else ""
                yield from self._fall_back(
                    answer, plan, mode, reason or "nothing in the answer was supported", timings, t
                )
                self._ground(answer, evidence, mode)
        timings["ground"] = _ms(t)
        timings["total"] = _ms(started)
        answer.timings_ms = timings
        yield StreamEvent("answer", answer.text, answer)

    # -- steps ----------------------------------------------------------------------------------------

    def _retrieve(self, question: str, doc: str | None, slots: Slots | None = None):
        """Read the question, then run the hybrid retriever: (QueryInfo, expanded question, fused hits)."""
        r = self.settings.retrieval
        info = analyse(question, self.snapshot.documents, self.vocab)
        if slots is not None:
            self._scope_places(info, slots)
            info.listing = info.listing or slots.value == "listing"  # the profile's cues (怎么治, 什么办法…)
        expanded, info.synonym_variants = self.vocab.expand_query(question)
        # a term said in everyday words (欠薪 → 根治欠薪) brings its other names too
        info.related = {t: set(o) for t, o in self.profile.related.items() if t in expanded}
        if not r.query_rules:  # plain retrieval, for comparisons: the question's words and nothing more
            info.places, info.doc_ids, info.section_refs, info.foreign_places = [], [], [], []
            info.structure = info.compare = info.verdict = info.section_cue = False
            expanded, info.synonym_variants, info.related = question, set(), {}
        retriever = HybridRetriever(
            self.snapshot,
            self.embedder,
            r,
            info,
            doc_filter=doc,
            use_dense=r.mode != "sparse",
            use_sparse=r.mode != "dense",
            named_sections=r.query_rules,
            vocab=self.vocab,
        )
        # a term's other names are searched for too, but are not terms of the question
        search = " ".join([expanded, *sorted({o for others in info.related.values() for o in others})])
        bundle = QueryBundle(query_str=self._retrieval_query(search, info))
        hits = retriever.retrieve(bundle)
        return info, expanded, hits, bundle.embedding  # the dense search's vector weighs sentences too

    def _pool_size(self, slots: Slots) -> int:
        """How many retrieved paragraphs the asked figure is looked for in, when the usual pool gives
        none: more when it belongs to the period before the plans' own, whose review states it in a long
        paragraph full of other figures (ranked below the indicator table's rows)."""
        r = self.settings.retrieval
        if not slots.figure:
            return r.figure_pool
        plan_periods = [p for p in self.periods.values() if p.is_plan]
        if not plan_periods:
            return r.figure_pool
        base_names = {p.base_name for p in plan_periods}  # 十三五 for a 十四五 plan
        first_start = min(p.start for p in plan_periods)
        plans = slots.asked_plans or slots.plan_names
        before = (
            slots.period == "past"
            or bool(plans and set(plans) <= base_names)
            or bool(slots.years and all(y < first_start for y in slots.years))
        )
        return max(r.figure_pool, r.review_pool) if before else r.figure_pool

    def _sentence_meaning(self, evidence: list[Evidence], vector) -> dict[tuple[str, int], float]:
        """How close each retrieved sentence is in meaning to the question: its vector (from ingest)
        against the dense search's query vector (no second embedding call)."""
        weight = self.settings.retrieval.sentence_dense_weight
        if not weight or not self.snapshot.sentence_vectors or not evidence or vector is None:
            return {}
        query_vector = np.asarray(vector, dtype=np.float32)
        return sentence_meaning(evidence, self.snapshot.sentence_vectors, query_vector, weight)

    def _evidence(self, hits, k: int | None = None) -> list[Evidence]:
        """The top-k hits as answerable evidence (paragraph, rank, document metadata, named or not);
        the units of a section the question named count as one, so all of them are there."""
        k = k or self.settings.retrieval.top_k
        named = sum(1 for h in hits if "section" in h.node.metadata.get("sources", []))
        return [
            Evidence(
                self.snapshot.by_id[h.node.node_id],
                rank,
                self.snapshot.documents[h.node.metadata["doc_id"]]["meta"],
                named="section" in h.node.metadata.get("sources", []),
            )
            for rank, h in enumerate(hits[: max(k, min(named, MAX_SECTION_UNITS))])
        ]

    def _other_parts(self, evidence: list[Evidence], hits) -> list[Evidence]:
        """A paragraph too long for one unit is indexed in parts: the retrieved other parts of a quoted
        one are the same paragraph ("深入贯彻实施…人才新政22条…倍增行动计划" before "…探索揭榜引才模式"), so a
        list may quote them too."""

        def whole(p) -> tuple:
            return (p.doc_id, p.section_id, p.ordinal)

        split = {whole(ev.paragraph) for ev in evidence if ev.paragraph.part}
        have = {ev.paragraph.id for ev in evidence}
        return [
            ev
            for ev in self._evidence(hits, len(hits))
            if ev.paragraph.part and whole(ev.paragraph) in split and ev.paragraph.id not in have
        ]

    def _section_siblings(self, evidence: list[Evidence]) -> list[Evidence]:
        """The other paragraphs of the sections ``evidence`` sits in (those not already in it), a numbered
        item's section being the one above it."""
        sections = {item_section(ev.paragraph) for ev in evidence}
        have = {ev.paragraph.id for ev in evidence}
        return [
            Evidence(p, len(evidence), self.snapshot.documents[p.doc_id]["meta"])
            for p in self.snapshot.paragraphs
            if item_section(p) in sections and p.id not in have and p.kind == "paragraph"
        ]

    def _retrieved(self, hits) -> list[RetrievedParagraph]:
        return [
            RetrievedParagraph(
                h.node.node_id,
                round(float(h.score or 0), 5),
                h.node.metadata["doc_id"],
                h.node.metadata["section"],
                h.node.text,
                h.node.metadata["kind"],
                list(h.node.metadata.get("sources", [])),
            )
            for h in hits[: max(self.settings.retrieval.top_k, 10)]
        ]

    def _rerank(self, hits, question: str, notices: list[str]):
        """Rescore fused hits with the reranker; sections the question named stay first."""
        from policyqa.assistant.rerank import RerankUnavailable

        named = [h for h in hits if "section" in h.node.metadata.get("sources", [])]
        rest = [h for h in hits if "section" not in h.node.metadata.get("sources", [])]
        try:
            return named + self.reranker.postprocess_nodes(rest, query_str=question)
        except RerankUnavailable as exc:
            log.warning("reranker unavailable (%s); keeping the fused order", exc)
            notices.append("重排序服务暂不可用，已使用默认排序。")
            return hits

    def _condense(self, question: str, turns: list[Turn]) -> str:
        if not any(t.role == "user" for t in turns):
            return question
        if self.llm is not None:
            try:
                return condense_with_llm(self.llm, question, turns, render)
            except Exception as exc:  # the deterministic rewrite is a safe fallback
                log.warning(
                    "LLM condensing failed (%s); using the rule-based rewrite", exc.__class__.__name__
                )
        return rewrite(question, turns, self.snapshot.documents, self.words.slot_terms, self.words)

    def _retrieval_query(self, question: str, info: QueryInfo) -> str:
        """Leave out place names once the search is scoped to their documents: they only add noise. A
        follow-up with no topic of its own ("具体有哪些（上文：长沙十四五在人才引进方面有什么打算）") is searched as
        its context's question first: its own asking words say nothing of what to find."""
        from policyqa.assistant.query import place_aliases

        asked, context = split_context(question)
        if context and not names_topic(asked, self.words):
            question = f"{context.replace('）', '，', 1)} {asked}"
        query = question
        if info.doc_ids:
            for region in info.places:
                for alias in place_aliases(region):
                    query = query.replace(alias, " ")
        return query.strip() or question

    def _thresholds(self) -> Thresholds:
        """The profile's calibrated thresholds for the embedding model in use."""
        r = refusal_thresholds(self.settings)
        return Thresholds(r.refuse_min_coverage, r.refuse_min_dense, r.refuse_absent_share)

    def _slot_words(self, slots: Slots) -> set[str]:
        """Words that fill the period or place slot (十四五, 2025, 今年, 宁乡…) are not topic terms."""
        words = set(slots.plan_names) | {str(y) for y in slots.years} | set(self.words.slot_terms) | {"上文"}
        words |= {p.name for p in slots.places} | {p.short for p in slots.places}
        return words | ({slots.relative_year} if slots.relative_year else set())

    def _scope_places(self, info: QueryInfo, slots: Slots) -> None:
        """A county or district named in the question scopes the search to the documents that apply to
        it (its city's and province's, and documents without a region), unless a city was named; so does
        a place the reply request names outside the citizen's message (it is not in the searched text)."""
        places = slots.sub_places or ([] if info.places else slots.places)
        if info.doc_ids or not places:
            return
        for doc_id, entry in self.snapshot.documents.items():
            region = entry["meta"].get("region", "")
            if region and all(covers(region, p) for p in places):
                info.doc_ids.append(doc_id)
                if region not in info.places:
                    info.places.append(region)
        info.foreign_places = [p for p in info.foreign_places if p not in {s.short for s in slots.sub_places}]

    def _foreign_places(self, info: QueryInfo, slots: Slots, plan=None) -> list[str]:
        """Places named that no indexed document applies to (a document without a region applies
        everywhere) and that nothing quoted mentions (长沙和北京…合作 is answered by 长沙's plan). A
        province named alone is such a place for city documents: they do not set its rules."""
        regions = [e["meta"].get("region", "") for e in self.snapshot.documents.values()]
        if any(not r for r in regions):
            return []
        quoted = "".join(s.text for s in plan.sentences) if plan is not None else ""
        foreign = []
        for place in slots.places:
            if place.level == "province" and any(
                covers(place.name, p) for p in slots.places if p is not place
            ):
                continue
            if place.short in quoted:
                continue
            asked = slots.request_text[len(situation_of(slots.request_text, self.words)) :]
            if place.level == "province" and place.short not in asked:
                continue  # "我是湖南人，想了解…": the asker's province, not the place asked about
            elsewhere = [p for p in slots.places if p is not place and p.short in asked]
            if place.short not in asked and any(covers(r, p) for p in elsewhere for r in regions if r):
                continue  # "我在东莞打工十几年，想回湘潭…": where the asker has been, not what is asked about
            # a province named alone asks for its own rule, which a city's document does not set
            if not any(covers(region, place) for region in regions):
                foreign.append(place.name)
        if not slots.places:  # jieba's place names when the division list knows none (外国, 旧称…)
            foreign = [p for p in info.foreign_places if not info.doc_ids]
        return foreign

    def _uncovered_years(self, plan, slots: Slots) -> list[str]:
        """Asked years or five-year periods that no plan's period reaches and nothing quoted mentions.
        Years only for figure questions: in "孩子明年毕业，有哪些扶持？" the year is the asker's situation."""
        quoted = " ".join(
            f"{s.text}{s.evidence.paragraph.section}{s.evidence.doc.get('title', '')}" for s in plan.sentences
        )
        periods = list(self.periods.values())
        out = []
        for year in dict.fromkeys(slots.years) if slots.figure else []:  # a plan period: never the situation
            # a result of a year after every document was issued (2023年实际…) is in none of them
            later = slots.actual_asked and self.last_issued and year > self.last_issued
            if not later and (str(year) in quoted or any(doc_period_covers(year, p) for p in periods)):
                continue
            out.append(f"{year}年{slots.said_as(year)}")
        for name in slots.plan_names:
            known = {p.name for p in periods} | {p.base_name for p in periods}
            if name not in known and name not in quoted:
                out.append(f"“{name}”时期")
        return out

    def _refusal_features(self, plan, hits, info: QueryInfo, terms: dict[str, float], slots: Slots):
        """Signals that the corpus does not answer the question (decided in assistant/refusal.py)."""
        dense_top = max((float(h.node.metadata.get("dense", 0.0)) for h in hits), default=0.0)
        total = sum(terms.values()) or 1.0
        absent = [t for t in terms if self.terms.df.get(t, 0) == 0]
        return RefusalFeatures(
            retrieved=bool(plan.sentences),
            best_coverage=round(plan.best_coverage, 4),
            dense_top=round(dense_top, 4),
            absent_terms=absent,
            absent_share=round(sum(terms[t] for t in absent) / total, 4),
            present_coverage=round(self._present_coverage(plan, terms, absent), 4),
            foreign_places=self._foreign_places(info, slots, plan),
            uncovered_years=self._uncovered_years(plan, slots),
            near_miss=self._near_miss(slots),
            figure_question=(slots.figure or slots.value == "date")
            and not info.listing
            and not slots.metadata,
            slot_mismatch=plan.selection.mismatch if plan.selection else "",
        )

    def _check_groups(self, plan, expanded: str, info: QueryInfo, slots: Slots, doc: str | None) -> None:
        """A group of people no document of the asked place mentions: its measures are not stated."""
        if slots.metadata or not plan.sentences:
            return
        asked = groups.named(expanded, self.profile.groups)
        scope = [doc] if doc else info.doc_ids or list(self.snapshot.documents)  # the chosen document
        missing = groups.unmentioned(asked, self.group_docs, scope)
        if not missing:
            return
        place = "、".join(p.name for p in slots.sub_places) or "、".join(info.places)
        said = [g for g in asked if g not in missing]
        if (
            said
        ):  # "我家孩子有残疾，对这种就业困难的人有没有帮扶": the group the documents do name is asked too
            plan.caveats.append(
                f"以下为{place}{'、'.join(said)}的相关内容，文件未单独载明针对{'、'.join(missing)}的内容。"
            )
        else:
            not_mentioned(plan, f"{place}针对{'、'.join(missing)}的专门内容", self.periods)

    def _check_named_things(self, plan, info: QueryInfo, slots: Slots, doc: str | None) -> None:
        """Whether the asked place's plan mentions a named thing ("湘潭有没有人力资源服务产业园"): when none of
        its documents names it while another place's does, it is not stated there (quotes that merely
        share the other words would read as a yes)."""
        if doc or slots.value != "yesno" or slots.metadata or plan.selection is None:
            return  # one chosen document is no place's whole plan
        scope = info.doc_ids
        regions = {self.snapshot.documents[d]["meta"].get("region", "") for d in scope}
        others = [  # another place's documents: not the asked place's, nor ones that apply everywhere
            d for d, e in self.snapshot.documents.items() if e["meta"].get("region", "") not in regions | {""}
        ]
        if plan.selection.mismatch == "group" or not scope or not others:
            return

        def mentioned(term: str, doc_ids: list[str]) -> bool:
            said = {fold(w) for w in {term} | plan.alternatives.get(term, set())}
            return any(w in self.doc_texts.get(d, "") for d in doc_ids for w in said)

        question = fold(info.text)
        names = [
            self._named_in(question, fold(h), others)
            or (self._named_as(fold(h), question, others) if plan.alternatives.get(h) else "")
            for h in plan.asked_heads
            if len(h) >= NAMED_THING_CHARS and not mentioned(h, scope)
        ]
        missing = list(dict.fromkeys(n for n in names if len(n) >= NAMED_THING_SPAN))  # as another names it
        if missing:
            place = "、".join(p.name for p in slots.places) or "、".join(info.places)
            not_mentioned(plan, f"{place}关于“{'、'.join(missing)}”的内容", self.periods)

    def _named_as(self, term: str, question: str, doc_ids: list[str]) -> str:
        """The documents' term for a thing the question calls otherwise (15分钟就业服务圈 is the thesaurus's
        15分钟服务圈), when one of ``doc_ids`` says that term verbatim, or ""."""
        if term in question or not any(term in self.doc_texts.get(d, "") for d in doc_ids):
            return ""
        return term

    def _named_in(self, question: str, term: str, doc_ids: list[str]) -> str:
        """The longest stretch of the question around ``term`` that one of ``doc_ids`` says verbatim: the
        name of the thing asked about as another document gives it (人力资源服务产业园), or ""."""
        at = question.find(term)
        texts = [self.doc_texts.get(d, "") for d in doc_ids]
        if at < 0 or not any(term in t for t in texts):
            return ""
        best = term
        for start in range(at, -1, -1):
            if not any(question[start : at + len(term)] in t for t in texts):
                break
            end = at + len(term)
            while end < len(question) and any(question[start : end + 1] in t for t in texts):
                end += 1
            best = max(best, question[start:end], key=len)
        return best

    def _near_miss(self, slots: Slots) -> str:
        """A national rule is a near miss only while no document applies nationwide."""
        if slots.near_miss == "national" and any(
            not e["meta"].get("region") for e in self.snapshot.documents.values()
        ):
            return ""
        return slots.near_miss

    @staticmethod
    def _present_coverage(plan, terms: dict[str, float], absent: list[str]) -> float:
        """How well the quoted sentences hold the question's words the documents use (a term's other
        names — 扶持 said as 支持 — count as it, as in sentence scoring)."""
        from policyqa.assistant.select import coverage

        present = {t: w for t, w in terms.items() if t not in absent}
        if not present:
            return 0.0
        return max((coverage(s.text, present, plan.alternatives) for s in plan.sentences), default=0.0)

    def _metadata_docs(self, slots: Slots, info: QueryInfo, doc: str | None) -> list[str]:
        """The documents a question about documents themselves (文号, 印发日期…) is about, else []."""
        if not slots.metadata:
            return []
        if doc:
            return [doc]
        docs = list(dict.fromkeys(info.doc_ids)) or list(self.snapshot.documents)
        return self._named_documents(split_context(info.text)[0], docs) or docs

    def _named_documents(self, question: str, doc_ids: list[str]) -> list[str]:
        """The one of ``doc_ids`` the question names, by its 文号 or by more of the words only its title has
        than any other ("国务院那个劳动者权益保障的意见呢，是谁发的"), else []."""
        folded = fold(question)
        asked = {folded[i : i + 2] for i in range(len(folded) - 1)}
        metas = {d: self.snapshot.documents[d]["meta"] for d in doc_ids}
        words = {d: _han_bigrams(fold(m.get("title", ""))) for d, m in metas.items()}
        shared = (
            set.intersection(*words.values()) if words else set()
        )  # 人力资源和社会保障…规划 in both plans

        def score(doc_id: str) -> int:
            number = fold(metas[doc_id].get("doc_number", ""))
            return (100 if number and number in folded else 0) + len((words[doc_id] - shared) & asked)

        scores = sorted(((score(d), d) for d in doc_ids), reverse=True)
        if len(scores) > 1 and scores[0][0] >= NAMED_DOCUMENT_BIGRAMS and scores[0][0] > scores[1][0] + 1:
            return [scores[0][1]]
        return []

    def _answer_metadata(self, answer: Answer, slots: Slots, doc_ids: list[str], mode: str) -> None:
        metas = [(d, self.snapshot.documents[d]["meta"]) for d in doc_ids]
        answer.text, answer.citations = docinfo.answer(slots.metadata, metas, self.periods, mode)

    def _refuse(
        self,
        answer: Answer,
        evidence: list[Evidence],
        mode: str,
        reason: Reason = Reason.WEAK_MATCH,
        features: RefusalFeatures | None = None,
        plan=None,
        slots: Slots | None = None,
    ) -> None:
        suggestions = []
        for ev in evidence:
            label = f"《{ev.doc.get('title', ev.paragraph.doc_id)}》{ev.paragraph.section}"
            if label not in suggestions:
                suggestions.append(label)
        answer.refused = True
        answer.suggestions = suggestions[:3]
        if reason.is_not_stated and features is not None and slots is not None:
            asked = self._asked(slots, features)
            asked["indicator"] = plan.indicator if plan is not None else ""
            chosen = plan.selection if plan is not None and plan.selection else None
            own = (
                reason is Reason.SLOT_MISMATCH
                and chosen is not None
                and chosen.mismatch in ("compare", "group")
            )
            phrase = chosen.not_stated if own else not_stated_phrase(reason, features, asked)
            related = chosen.related if chosen else []
            if reason is Reason.FOREIGN_PLACE or features.near_miss in ("eligibility", "legality"):
                related = []  # another city's figures are no answer here, nor a plan's totals to one's own case
            t = self._thresholds()
            weak = features.best_coverage < t.min_coverage and features.dense_top < t.min_dense
            if own and chosen.mismatch == "group" and weak:
                related = []  # passages that matched the question weakly are no related information
            rendered = render_not_stated(phrase, related, self.periods, mode, self.reply_wording)
            answer.text = rendered.text
            answer.draft = rendered.draft
            answer.citations = self._citations(rendered.cited, rendered.highlights)
            return
        wording = self.reply_wording
        answer.text = render(
            "refusal",
            mode=mode,
            refusal=REFUSAL,
            suggestions=answer.suggestions,
            closing=wording.not_stated_closing + wording.thanks,
        )

    def _own_terms_first(self, terms: dict[str, float], text: str) -> dict[str, float]:
        """The context's terms weigh ``CONTEXT_TERM_WEIGHT`` in a follow-up that names its own topic."""
        asked, context = split_context(text)
        if not context or not names_topic(asked, self.words):
            return terms
        thesaurus = self.profile.thesaurus
        said = {thesaurus[v] for v in thesaurus if v in asked}  # 社保卡 said: 社会保障卡 is its own term
        return {t: w if t in asked or t in said else w * CONTEXT_TERM_WEIGHT for t, w in terms.items()}

    @staticmethod
    def _asked_words(slots: Slots | None) -> str:
        """The question's slots in words, for the LLM prompt: 地点=宁乡市（长沙市）；时期=2026年；所问=金额."""
        if slots is None:
            return ""
        kinds = {**KIND_WORDS, "rate": "比例或比率", "figure": "数值", "listing": "措施或事项"}
        parts = []
        if slots.places:
            parts.append(
                "地点="
                + "、".join(p.name + (f"（属{p.city}）" if p.level == "county" else "") for p in slots.places)
            )
        if slots.years:
            parts.append("时期=" + "、".join(f"{y}年" for y in slots.years))
        elif slots.asked_plans:
            parts.append("时期=" + "、".join(f"“{n}”" for n in slots.asked_plans))
        period_words = {"past": "已完成的情况", "target": "规划目标", "now": "目前的情况"}
        if slots.period in period_words:
            parts.append("问的是" + period_words[slots.period])
        if slots.value in kinds:
            parts.append("所问=" + kinds[slots.value])
        return "；".join(parts)

    def _asked(self, slots: Slots, features: RefusalFeatures) -> dict:
        """The asked place and period in words, for the 未载明 sentence."""
        place = "、".join(p.name for p in slots.sub_places) or "、".join(p.name for p in slots.places)
        period_text = ""
        if slots.period == "target":
            names = set(slots.asked_plans) or {p.name for p in self.periods.values() if p.name}
            period_text = f"“{'、'.join(sorted(names))}”时期的目标数值" if names else "规划目标数值"
        elif slots.period == "past":
            period_text = "已完成的数值"
        elif slots.period == "now":
            period_text = "现行的数值" if slots.value == "amount" else "目前的数值"
        elif slots.years:
            kind = "目标数值" if slots.target_asked else "实际数值" if slots.actual_asked else "数值"
            period_text = (
                "、".join(f"{y}年{slots.said_as(y)}" for y in dict.fromkeys(slots.years)) + f"的{kind}"
            )
        elif slots.asked_plans:
            period_text = f"“{'、'.join(slots.asked_plans)}”时期的数值"
        regions = [e["meta"].get("region", "") for e in self.snapshot.documents.values()]
        kind = KIND_WORDS.get(slots.value, "")
        coverage = "、".join(r for r in regions if r)
        return {"place": place, "period_text": period_text, "coverage": coverage, "kind": kind}

    def _citations(
        self, cited: list[Evidence], highlights: dict[str, list[str]], numbers: list[int] | None = None
    ):
        out = []
        for i, ev in enumerate(cited):
            p = ev.paragraph
            text = p.text
            if p.kind == "table_row" and p.table.get("note"):
                text = f"{p.text}（{p.table['note']}）"
            out.append(
                Citation(
                    n=numbers[i] if numbers else i + 1,
                    id=p.id,
                    doc_id=p.doc_id,
                    doc_title=ev.doc.get("title", ""),
                    doc_number=ev.doc.get("doc_number", ""),
                    doc_date=ev.doc.get("date", ""),
                    section=p.section,
                    text=text,
                    section_id=p.section_id,
                    kind=p.kind,
                    highlight=highlights.get(p.id, []),
                )
            )
        return out

    def _extractive(self, answer: Answer, plan, mode: str, timings, t0):
        rendered = render_answer(plan, mode, self.reply_wording)
        answer.text = rendered.text
        answer.draft = rendered.draft
        answer.citations = self._citations(rendered.cited, rendered.highlights)
        timings["answer"] = _ms(t0)
        for line in answer.text.split("\n"):
            yield StreamEvent("delta", line + "\n")

    def _confident(self, diagnostics: dict) -> bool:
        """Retrieval matched the question well enough that a model's refusal is more likely its own miss."""
        r = self.settings.retrieval
        return (
            not diagnostics.get("refusal_reason")
            and diagnostics.get("best_coverage", 0.0) >= r.confident_coverage
            and diagnostics.get("dense_top", 0.0) >= refusal_thresholds(self.settings).refuse_min_dense
        )

    def _fall_back(self, answer: Answer, plan, mode: str, reason: str, timings, t0, notice: str = ""):
        """Replace a failed LLM answer with the offline extractive one, and say so."""
        log.warning("LLM answer unusable (%s); falling back to the offline extractive answer", reason)
        answer.backend = "extractive"
        answer.fallback = reason
        answer.grounding = GroundingReport()
        answer.notices.append(notice or "大模型暂时无法给出可靠回答，以下为离线摘录模式的回答。")
        yield from self._extractive(answer, plan, mode, timings, t0)

    def _answer_with_llm(
        self, answer: Answer, evidence: list[Evidence], question: str, mode: str, timings, t0, slots=None
    ):
        from llama_index.core.llms import ChatMessage

        numbered = [
            {
                "n": i + 1,
                "doc_title": ev.doc.get("title", ""),
                "doc_number": ev.doc.get("doc_number", ""),
                "doc_date": ev.doc.get("date", ""),
                "section": ev.paragraph.section,
                "text": protect_brackets(ev.paragraph.text),
            }
            for i, ev in enumerate(evidence[: self.settings.llm.prompt_paragraphs])
        ]
        messages = [
            ChatMessage(role="system", content=render("answer_system", refusal=REFUSAL)),
            ChatMessage(
                role="user",
                content=render(
                    "answer_user",
                    paragraphs=numbered,
                    mode=mode,
                    question=question,
                    asked=self._asked_words(slots),
                ),
            ),
        ]
        chunks: list[str] = []
        try:
            for part in self.llm.stream_chat(messages):
                delta = part.delta or ""
                if delta:
                    chunks.append(delta)
                    yield StreamEvent("delta", delta)
        except Exception as exc:  # any failure of the remote model (network, HTTP, protocol, parsing)
            raise LLMFailure(f"{exc.__class__.__name__}: {str(exc)[:200]}") from exc
        timings["answer"] = _ms(t0)
        text = "".join(chunks).strip()
        if not text:
            raise LLMFailure("empty completion")
        answer.text = answer.generated_text = text
        if REFUSAL in text and len(strip_marks(text)) < len(REFUSAL) + 40:
            if self._confident(answer.diagnostics):
                raise ConfidentRefusal()
            self._refuse(answer, evidence, mode)
            return
        if not CITATION_MARK.search(text):
            raise LLMFailure("completion without citations")
        cited_numbers = sorted({int(m.group(1)) for m in CITATION_MARK.finditer(text)})
        cited = [(n, evidence[n - 1]) for n in cited_numbers if 1 <= n <= len(evidence)]
        highlights = {ev.paragraph.id: _supported_sentences(text, n, ev.paragraph.text) for n, ev in cited}
        answer.citations = self._citations([ev for _, ev in cited], highlights, [n for n, _ in cited])

    def _ground(self, answer: Answer, evidence: list[Evidence], mode: str) -> bool:
        """Apply the grounding check; True when nothing of an LLM answer survived it."""
        metadata_text = " ".join(
            f"{ev.doc.get('title', '')} {ev.doc.get('doc_number', '')} {ev.doc.get('date', '')}"
            for ev in evidence
        )
        if answer.backend == "extractive":  # its lead may spell out a table's note ("75万人（5年累计数）")
            metadata_text += " ".join(ev.paragraph.table.get("note", "") for ev in evidence)
        grounded, report = ground(
            answer.text,
            answer.citations,
            metadata_text,
            trusted_labels=answer.backend == "extractive",
            question=answer.rewritten_question or answer.question,
        )
        answer.grounding = report
        if report.no_content and answer.backend != "extractive":
            return True  # only markers, echoed headers or frames: no answer (the caller falls back)
        if report.changed:
            answer.text = grounded
            answer.notices.append(
                f"核查：删除了{len(report.removed_sentences)}处无法在引用段落中找到依据的内容。"
            )
            still_cited = {int(m.group(1)) for m in CITATION_MARK.finditer(grounded)}
            answer.citations = [c for c in answer.citations if c.n in still_cited]
            if not answer.citations:
                if answer.backend != "extractive":
                    return True  # the caller falls back to the extractive answer
                self._refuse(answer, evidence, mode)
        return False


def _han_bigrams(text: str) -> set[str]:
    return {
        text[i : i + 2] for i in range(len(text) - 1) if re.fullmatch(r"[\u4e00-\u9fff]{2}", text[i : i + 2])
    }


def _supported_sentences(answer_text: str, n: int, paragraph: str) -> list[str]:
    """Sentences of the paragraph that overlap most with answer sentences citing [n] (for highlighting)."""
    from policyqa.assistant.grounding import support

    claims = [strip_marks(s) for s in split_sentences(answer_text) if f"[{n}]" in s]
    sentences = split_sentences(paragraph)
    picked: list[str] = []
    for claim in claims:
        # The paragraph sentence that best supports the claim (share of the claim found in it).
        scored = [(support(claim, [sentence]), sentence) for sentence in sentences]
        score, best = max(scored, default=(0.0, ""))
        if score >= 0.4 and best not in picked:
            picked.append(best)
    return [s for s in sentences if s in picked]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
