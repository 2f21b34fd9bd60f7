"""Corpus folder → a new index generation (Chroma + BM25 + paragraph/section records), incrementally.

Per document a content hash (file bytes + sidecar) decides what is reparsed; per unit a text hash
decides what is re-embedded (``EmbeddingCache``). An unchanged corpus publishes nothing and embeds
nothing. Hand-written rather than llama-index's IngestionPipeline because the Chroma collection,
the BM25 index and the records must switch over together (see store.py), which it does not offer.

One ingest runs at a time (a lock in the data directory, see leases.py). Each run first checks the
vector store (an unreachable Chroma server fails before anything is embedded) and the current
generation against its manifest: a damaged generation is rebuilt from the corpus and the
embedding cache, so repairing re-embeds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from policyqa.core.profile import profile_of
from policyqa.core.settings import Settings
from policyqa.index import leases, store
from policyqa.index.chunk import Paragraph, SectionRecord, chunk_document
from policyqa.index.clean import clean_text
from policyqa.index.embed import EmbeddingCache, build_embedder
from policyqa.index.loaders import LoadError, corpus_files, load_text
from policyqa.index.metadata import SidecarError, load_meta, sidecar_path
from policyqa.index.parse import parse_document
from policyqa.index.sparse import build_bm25_from_tokens, save_bm25, vocabulary
from tqdm import tqdm

log = logging.getLogger(__name__)
# The sample corpus shipped with the package (the repo's corpus/ folder in a checkout).
SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PARSER_VERSION = "5"  # bump when parsing/chunking changes so every document is rebuilt


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class IngestSummary:
    generation: str | None
    changed: bool
    documents: int = 0
    sections: int = 0
    paragraphs: int = 0
    table_rows: int = 0
    notes: int = 0
    outlines: int = 0
    embedded: int = 0
    reused_embeddings: int = 0
    embedded_sentences: int = 0  # sentence vectors computed (not found in the embedding cache)
    added_docs: list[str] = field(default_factory=list)
    updated_docs: list[str] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    missing_metadata: dict[str, list[str]] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)  # what was wrong with the generation rebuilt
    kept_in_use: list[str] = field(default_factory=list)  # old generations a running process still reads
    cache_set_aside: str | None = None  # a damaged embedding cache: its new name (and sqlite's complaint)
    seconds: float = 0.0

    def render(self) -> str:
        lines = [
            f"documents: {self.documents}  sections: {self.sections}  paragraphs: {self.paragraphs}  "
            f"table rows: {self.table_rows}  notes: {self.notes}  outlines: {self.outlines}",
            f"embedded: {self.embedded} (+{self.embedded_sentences} sentences)  reused: {self.reused_embeddings}  "
            f"added: {len(self.added_docs)}  updated: {len(self.updated_docs)}  removed: {len(self.removed_docs)}",
        ]
        if not self.changed:
            lines.append("index already up to date; nothing re-embedded")
        if self.repaired:
            lines.append(
                f"repaired: the previous index was damaged ({'; '.join(self.repaired)}); "
                "rebuilt from the corpus and the embedding cache"
            )
        if self.cache_set_aside:
            lines.append(
                f"note: the embedding cache could not be read and was set aside as {self.cache_set_aside}; "
                "its paragraphs were re-embedded"
            )
        for generation in self.kept_in_use:
            lines.append(f"note: kept old generation {generation}: a running app or command still reads it")
        for doc_id, fields in self.missing_metadata.items():
            lines.append(f"note: {doc_id} has no {', '.join(fields)} (add a .meta.toml sidecar)")
        for skipped in self.skipped:
            lines.append(f"skipped: {skipped.path}: {skipped.reason}")
        lines.append(f"generation: {self.generation}  seconds: {self.seconds:.2f}")
        return "\n".join(lines)


class NothingToIndex(Exception):
    """No document of the corpus could be indexed; the previous index (if any) stays in use."""

    def __init__(self, summary: IngestSummary):
        super().__init__("no document in the corpus could be indexed")
        self.summary = summary


@dataclass
class _Doc:
    doc_id: str
    path: Path
    digest: str
    raw: str


def config_fingerprint(settings: Settings) -> dict:
    return {
        "parser_version": PARSER_VERSION,
        "embed_backend": settings.embed.backend,
        "embed_model": settings.embed.model,
        "max_tokens": settings.index.max_tokens,
        "sentence_vectors": 2,  # generations from before sentence vectors (or their digests) are rebuilt
        # BM25 tokens depend on the jieba user dictionary: a changed dictionary rebuilds the index.
        "userdict": vocabulary(profile_of(settings)).fingerprint,
    }


def resolve_corpus(settings: Settings) -> Path:
    """The configured corpus folder; when it is the default ``corpus`` and the working directory has none
    (an installed package run from elsewhere), the packaged sample corpus, with a log line saying so."""
    configured = settings.index.corpus_dir
    default = type(settings.index).model_fields["corpus_dir"].default
    if not configured.is_dir() and configured == default and SAMPLE_CORPUS.is_dir():
        log.warning("no %s/ folder here; using the packaged sample corpus %s", configured, SAMPLE_CORPUS)
        return SAMPLE_CORPUS
    return configured


@dataclass
class _Candidate:
    path: Path
    name: str
    raw: str
    text_digest: str


def _read_corpus(
    corpus_dir: Path,
    skipped: list[SkippedFile],
    max_bytes: float = float("inf"),
    prev_docs: dict | None = None,
) -> list[_Doc]:
    candidates: list[_Candidate] = []
    for path in corpus_files(corpus_dir):
        name = str(path.relative_to(corpus_dir))
        size = path.stat().st_size
        if size > max_bytes:
            skipped.append(
                SkippedFile(name, f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
            )
            continue
        try:
            raw, _encoding = load_text(path)
        except LoadError as exc:
            skipped.append(SkippedFile(name, str(exc)))
            continue
        candidates.append(_Candidate(path, name, raw, hashlib.sha256(raw.encode("utf-8")).hexdigest()))
    keepers = _without_duplicates(candidates, skipped, prev_docs or {})
    docs: list[_Doc] = []
    seen_ids: dict[str, str] = {}
    for c in candidates:
        if c.name not in keepers:
            continue
        doc_id = c.path.stem
        if doc_id in seen_ids:
            skipped.append(
                SkippedFile(c.name, f"same document id as {seen_ids[doc_id]} (rename one of them)")
            )
            continue
        sidecar = sidecar_path(c.path)
        sidecar_bytes = sidecar.read_bytes() if sidecar.exists() else b""
        digest = hashlib.sha256(c.path.read_bytes() + b"\0" + sidecar_bytes).hexdigest()
        seen_ids[doc_id] = c.name
        docs.append(_Doc(doc_id, c.path, digest, c.raw))
    return docs


def _without_duplicates(
    candidates: list[_Candidate], skipped: list[SkippedFile], prev_docs: dict
) -> set[str]:
    """Names of the files to index: of files with the same text, the one already indexed keeps its
    place (and doc id), else the one with a sidecar, else the first by name; the others are skipped."""

    def rank(c: _Candidate) -> tuple:
        indexed = prev_docs.get(c.path.stem, {}).get("file") == c.path.name
        return (not indexed, not sidecar_path(c.path).exists(), c.name)

    groups: dict[str, list[_Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.text_digest, []).append(c)
    keepers = set()
    for group in groups.values():
        keeper = min(group, key=rank)
        keepers.add(keeper.name)
        for other in sorted(group, key=rank)[1:]:
            skipped.append(SkippedFile(other.name, f"same text as {keeper.name} (duplicate file)"))
    return keepers


def _check_vector_store(settings: Settings) -> str | None:
    """Fail early if the Chroma server is unreachable; set a damaged embedded store aside (→ what was wrong)."""
    try:
        store.chroma_client(settings).list_collections()
        return None
    except store.StoreUnavailable:
        raise
    except Exception as exc:  # the embedded store's files are damaged (e.g. a half-written chroma.sqlite3)
        if settings.chroma.mode == "server":
            raise store.StoreUnavailable(f"the Chroma server failed to list collections: {exc}") from None
        store.reset_chroma_clients()
        target = store.set_aside(store.chroma_path(settings))
        store.reset_chroma_clients()
        cause = str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__
        log.info(
            "vector store %s is damaged (%s); set aside as %s",
            store.chroma_path(settings),
            cause,
            target.name,
        )
        return f"the vector store {store.chroma_path(settings)} could not be read ({cause}; set aside as {target.name})"


def _previous(settings: Settings) -> tuple[str | None, dict, list[str]]:
    """The current generation, its manifest (if readable) and what is wrong with it (empty when sound)."""
    generation = store.current_generation(settings)
    if generation is None:
        return None, {}, []
    problems = store.verify_generation(settings, generation)
    try:
        manifest = store.read_manifest(store.index_root(settings) / generation)
    except store.IndexDamaged:
        manifest = {}
    if problems:
        log.info(
            "index generation %s is damaged (%s); rebuilding it from the corpus and the embedding cache",
            generation,
            "; ".join(problems),
        )
    return generation, manifest, problems


def ingest(
    settings: Settings,
    corpus_dir: Path | None = None,
    progress: bool = True,
    on_progress: Callable[[str, int, int], None] | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Bring the index up to date with the corpus folder; returns what was done.

    ``on_progress(stage, done, total)`` is called as paragraphs are embedded (for a UI's progress).
    While another ingest runs on the same data directory this one waits (``on_wait`` gets the
    message), or with ``wait=False`` raises ``IngestBusy``.
    """
    corpus_dir = corpus_dir or resolve_corpus(settings)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    with leases.writer_lock(settings.data_dir, wait=wait, on_wait=on_wait):
        return _ingest_locked(settings, corpus_dir, progress, on_progress)


def _ingest_locked(settings, corpus_dir, progress, on_progress) -> IngestSummary:
    started = time.perf_counter()
    store_problem = _check_vector_store(settings)
    prev_gen, prev_manifest, problems = _previous(settings)
    if store_problem:
        problems = [store_problem]
    fingerprint = config_fingerprint(settings)
    prev_docs = prev_manifest.get("documents", {}) if prev_manifest.get("config") == fingerprint else {}
    skipped: list[SkippedFile] = []
    docs = _read_corpus(corpus_dir, skipped, settings.index.max_file_mb * 1e6, prev_docs)
    summary = IngestSummary(generation=prev_gen, changed=True, skipped=skipped, repaired=problems)
    summary.added_docs = [d.doc_id for d in docs if d.doc_id not in prev_docs]
    summary.updated_docs = [
        d.doc_id for d in docs if d.doc_id in prev_docs and prev_docs[d.doc_id]["hash"] != d.digest
    ]
    summary.removed_docs = sorted(set(prev_docs) - {d.doc_id for d in docs})
    if problems:
        prev_gen, prev_docs = None, {}  # rebuild everything; the embedding cache spares the embedding
    elif prev_gen and prev_docs and not (summary.added_docs or summary.updated_docs or summary.removed_docs):
        summary.changed = False
        _fill_counts(summary, prev_manifest)
        summary.seconds = time.perf_counter() - started
        return summary

    paragraphs, sections, doc_entries = _build_records(settings, docs, prev_gen, prev_docs, summary, progress)
    if not paragraphs:
        raise NothingToIndex(summary)
    generation = datetime.now(UTC).strftime("g%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    _write_generation(
        settings, generation, paragraphs, sections, doc_entries, fingerprint, summary, progress, on_progress
    )
    store.publish(settings, generation)
    summary.kept_in_use = sorted(store.collect_garbage(settings, keep={generation}))
    summary.generation = generation
    summary.seconds = time.perf_counter() - started
    return summary


def _build_records(settings, docs, prev_gen, prev_docs, summary, progress):
    reuse = set(prev_docs) - set(summary.updated_docs) - set(summary.removed_docs)
    old_paragraphs: dict[str, list[dict]] = {}
    old_sections: dict[str, list[dict]] = {}
    if prev_gen and reuse:
        folder = store.index_root(settings) / prev_gen
        for row in store.read_jsonl(folder / "paragraphs.jsonl"):
            old_paragraphs.setdefault(row["doc_id"], []).append(row)
        for row in store.read_jsonl(folder / "sections.jsonl"):
            old_sections.setdefault(row["doc_id"], []).append(row)
    paragraphs: list[Paragraph] = []
    sections: list[SectionRecord] = []
    doc_entries: dict[str, dict] = {}
    for doc in tqdm(docs, desc="parse", unit="doc", disable=not progress):
        if doc.doc_id in reuse and doc.doc_id in old_paragraphs:
            doc_paragraphs = [Paragraph.from_dict(r) for r in old_paragraphs[doc.doc_id]]
            doc_sections = [SectionRecord(**r) for r in old_sections.get(doc.doc_id, [])]
            meta = prev_docs[doc.doc_id]["meta"]
            cleaning = prev_docs[doc.doc_id].get("cleaning", {})
        else:
            try:
                doc_paragraphs, doc_sections, meta, cleaning = _parse_one(doc, settings)
            except SidecarError as exc:
                summary.skipped.append(SkippedFile(doc.path.name, str(exc)))
                continue
            except Exception as exc:  # one document that cannot be parsed never fails the whole ingest
                log.warning("skipping %s: %s", doc.path.name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
                summary.skipped.append(
                    SkippedFile(doc.path.name, f"could not be parsed ({exc.__class__.__name__}: {exc})")
                )
                continue
        if meta.get("missing"):
            summary.missing_metadata[doc.doc_id] = meta["missing"]
        paragraphs.extend(doc_paragraphs)
        sections.extend(doc_sections)
        doc_entries[doc.doc_id] = {
            "file": doc.path.name,
            "hash": doc.digest,
            "meta": meta,
            "cleaning": cleaning,
            "counts": _counts(doc_paragraphs, doc_sections),
        }
    return paragraphs, sections, doc_entries


def _parse_one(doc: _Doc, settings: Settings):
    """One document → (units, section records, metadata dict, cleaning report dict)."""
    text, report = clean_text(doc.raw)
    meta_obj = load_meta(doc.path, doc.doc_id, doc.raw, report.page_metadata)
    tree = parse_document(doc.doc_id, meta_obj.title, text)
    doc_paragraphs, doc_sections = chunk_document(tree, settings.index.max_tokens)
    cleaning = {
        "removed_lines": report.removed_lines,
        "joined": len(report.joined),
        "spaces_removed": report.spaces_removed,
        "repeated": report.repeated,
    }
    return doc_paragraphs, doc_sections, meta_obj.to_dict(), cleaning


def _counts(paragraphs: list[Paragraph], sections: list[SectionRecord]) -> dict:
    kinds = [p.kind for p in paragraphs]
    return {
        "sections": len(sections),
        "paragraphs": kinds.count("paragraph"),
        "table_rows": kinds.count("table_row"),
        "notes": kinds.count("note"),
        "outlines": kinds.count("outline"),
    }


def _fill_counts(summary: IngestSummary, manifest: dict) -> None:
    summary.documents = len(manifest["documents"])
    for entry in manifest["documents"].values():
        for key, value in entry["counts"].items():
            setattr(summary, key, getattr(summary, key) + value)


def _embed_all(
    settings: Settings,
    texts: list[str],
    summary: IngestSummary,
    progress: bool,
    on_progress=None,
    stage: str = "embed",
):
    """Vectors of ``texts`` from the embedding cache, embedding only what it lacks; ``summary`` counts
    what was embedded (and, for the paragraphs, what was reused)."""
    cache = EmbeddingCache(
        settings.data_dir / "embeddings.sqlite", f"{settings.embed.backend}:{settings.embed.model}"
    )
    if cache.set_aside_as is not None:
        summary.cache_set_aside = f"{cache.set_aside_as.name} ({cache.damage})"
    try:
        cached = cache.get_many(texts)
        if cache.set_aside_as is not None:  # found damaged while reading
            summary.cache_set_aside = f"{cache.set_aside_as.name} ({cache.damage})"
        missing = sorted({t for t in texts if cache.key(t) not in cached})
        if stage == "sentences":
            summary.embedded_sentences = len(missing)
        else:
            summary.reused_embeddings = len(texts) - sum(1 for t in texts if cache.key(t) not in cached)
            summary.embedded = len(missing)
        if missing:
            embedder = build_embedder(settings.embed, settings.index.embed_batch_size)
            batch = settings.index.embed_batch_size
            if on_progress is not None:
                on_progress(stage, 0, len(missing))
            with tqdm(total=len(missing), desc=stage, unit="text", disable=not progress) as bar:
                for i in range(0, len(missing), batch):
                    chunk = missing[i : i + batch]
                    vectors = embedder.get_text_embedding_batch(chunk)
                    cache.put_many(chunk, vectors)
                    cached.update({cache.key(t): v for t, v in zip(chunk, vectors, strict=True)})
                    bar.update(len(chunk))
                    if on_progress is not None:
                        # not bar.n: a disabled tqdm (progress=False, as in the app) does not count
                        on_progress(stage, min(i + batch, len(missing)), len(missing))
        return [cached[cache.key(t)] for t in texts]
    finally:
        cache.close()


def _sentence_vectors(settings, paragraphs, summary, progress, on_progress=None) -> tuple[np.ndarray, dict]:
    """One vector per quotable unit (sentence, table row) of every paragraph, for the answerer to
    weigh sentences by meaning as well as by shared words; rows by paragraph id: [first, count, digest
    of the cut] (vectors of a paragraph cut otherwise since are not used)."""
    rows: dict[str, list] = {}
    texts: list[str] = []
    for p in paragraphs:
        units = p.units
        rows[p.id] = [len(texts), len(units), p.units_digest]
        texts.extend(units)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), rows
    vectors = _embed_all(settings, texts, summary, progress, on_progress, stage="sentences")
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1), rows


def _write_generation(
    settings, generation, paragraphs, sections, doc_entries, fingerprint, summary, progress, on_progress=None
):
    vectors = _embed_all(settings, [p.embed_text for p in paragraphs], summary, progress, on_progress)
    sentences = _sentence_vectors(settings, paragraphs, summary, progress, on_progress)
    folder = store.index_root(settings) / generation
    folder.mkdir(parents=True)
    leases.create_lease_file(folder)
    try:
        store.write_sentence_vectors(folder, *sentences)  # before the manifest lists the folder's files
        _write_files(
            settings,
            generation,
            folder,
            paragraphs,
            sections,
            vectors,
            doc_entries,
            fingerprint,
            summary,
            progress,
        )
    except BaseException:  # leave no half-written generation behind (a kill -9 leaves one for clean-up)
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(Exception):
            store.chroma_client(settings).delete_collection(store.collection_name(generation))
        raise


def _write_files(
    settings, generation, folder, paragraphs, sections, vectors, doc_entries, fingerprint, summary, progress
):
    from llama_index.vector_stores.chroma import ChromaVectorStore

    store.write_jsonl(folder / "paragraphs.jsonl", [p.to_dict() for p in paragraphs])
    store.write_jsonl(folder / "sections.jsonl", [s.to_dict() for s in sections])
    vocab = vocabulary(profile_of(settings))
    token_lists = [vocab.tokenize(p.embed_text) for p in paragraphs]
    save_bm25(build_bm25_from_tokens(token_lists), folder / "bm25")
    # Document frequencies for the answerer's term weights, so opening the index needs no re-tokenizing.
    term_df = Counter(t for tokens in token_lists for t in set(tokens))
    (folder / "term_df.json").write_text(json.dumps(term_df, ensure_ascii=False), encoding="utf-8")
    collection = store.create_collection(store.chroma_client(settings), generation)
    vector_store = ChromaVectorStore(chroma_collection=collection)
    nodes = [
        TextNode(
            id_=p.id,
            text=p.text,
            embedding=v,
            metadata=_chroma_metadata(p, doc_entries[p.doc_id]["meta"]),
            # The source document becomes ref_doc_id, which llama-index stores as the `doc_id` metadata key.
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=p.doc_id)},
        )
        for p, v in zip(paragraphs, vectors, strict=True)
    ]
    for i in tqdm(range(0, len(nodes), 1000), desc="store", disable=not progress or len(nodes) < 2000):
        vector_store.add(nodes[i : i + 1000])
    manifest = {
        "generation": generation,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": fingerprint,
        "documents": doc_entries,
        "skipped": [s.__dict__ for s in summary.skipped],
        "units": len(paragraphs),
        "files": store.file_entries(folder),  # checked when the generation is opened
    }
    _fill_counts(summary, manifest)
    store.write_atomic(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))


def _chroma_metadata(p: Paragraph, meta: dict) -> dict:
    """Flat, scalar metadata (Chroma's rule), enough for filtering by document or kind."""
    return {
        "doc_id": p.doc_id,
        "doc_title": meta.get("title", ""),
        "doc_number": meta.get("doc_number", ""),
        "kind": p.kind,
        "doc_kind": meta.get("kind", ""),
        "level": meta.get("level", ""),
        "section": p.section,
        "section_id": p.section_id,
        "ordinal": p.ordinal,
    }
