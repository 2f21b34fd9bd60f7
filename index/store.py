"""Where an index lives, and how a finished one is switched in atomically.

An index is a *generation*: a folder ``<data>/index/<gen>/`` (paragraphs.jsonl, sections.jsonl,
bm25/, manifest.json) plus a Chroma collection ``paragraphs-<gen>``. Ingest writes a new generation
beside the one in use and only then replaces ``<data>/index/CURRENT`` (atomic rename). A crash or
kill at any point before that leaves the previous generation in use; leftovers are removed by the
next ingest. The previous generation is kept one round, so a running app is not cut off mid-query.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from policyqa.core.settings import Settings
from policyqa.index.chunk import Paragraph, SectionRecord
from policyqa.index.sparse import load_bm25

log = logging.getLogger(__name__)
COLLECTION_PREFIX = "paragraphs-"


class IndexMissing(Exception):
    """No finished index exists yet under the data directory."""


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


def chroma_client(settings: Settings):
    """Embedded PersistentClient under the data directory, or an HttpClient to a `chroma run` server."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma.mode == "server":
        return chromadb.HttpClient(
            host=settings.chroma.host, port=settings.chroma.port, settings=client_settings
        )
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings)


def collection_name(generation: str) -> str:
    return f"{COLLECTION_PREFIX}{generation}"


def create_collection(client, generation: str):
    # No embedding function: Chroma's default would download an ONNX model; we always pass vectors.
    return client.create_collection(
        collection_name(generation), embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def current_generation(settings: Settings) -> str | None:
    pointer = index_root(settings) / "CURRENT"
    try:
        value = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value if value and (index_root(settings) / value / "manifest.json").exists() else None


def write_atomic(path: Path, data: str) -> None:
    """Write a file so that readers see the old or the new content, never a torn one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(settings: Settings, generation: str) -> None:
    """Make a finished generation the one in use."""
    write_atomic(index_root(settings) / "CURRENT", generation + "\n")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def collect_garbage(settings: Settings, keep: set[str]) -> None:
    """Remove generations (folders and collections) other than those in ``keep``."""
    root = index_root(settings)
    for entry in root.iterdir() if root.exists() else []:
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
    try:
        client = chroma_client(settings)
        for col in client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(COLLECTION_PREFIX) and name[len(COLLECTION_PREFIX) :] not in keep:
                client.delete_collection(name)
    except Exception as exc:  # garbage left behind is harmless; the next ingest tries again
        log.warning("could not remove old collections: %s", exc)


@dataclass
class IndexSnapshot:
    """One finished generation, loaded for querying."""

    generation: str
    manifest: dict
    paragraphs: list[Paragraph]
    sections: dict[str, SectionRecord]
    bm25: object
    collection: object
    term_df: dict[str, int] | None = None  # BM25 token → number of units holding it (from ingest)
    by_id: dict[str, Paragraph] = field(init=False)
    by_section: dict[str, list[Paragraph]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.paragraphs}
        self.by_section = {}
        for p in self.paragraphs:
            self.by_section.setdefault(p.section_id, []).append(p)

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]


def open_index(settings: Settings) -> IndexSnapshot:
    generation = current_generation(settings)
    if generation is None:
        raise IndexMissing(f"no index under {settings.data_dir}; run `python -m assistant ingest` first")
    folder = index_root(settings) / generation
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    paragraphs = [Paragraph.from_dict(row) for row in read_jsonl(folder / "paragraphs.jsonl")]
    sections = {row["id"]: SectionRecord(**row) for row in read_jsonl(folder / "sections.jsonl")}
    collection = chroma_client(settings).get_collection(collection_name(generation), embedding_function=None)
    df_path = folder / "term_df.json"
    term_df = json.loads(df_path.read_text(encoding="utf-8")) if df_path.exists() else None
    return IndexSnapshot(
        generation, manifest, paragraphs, sections, load_bm25(folder / "bm25"), collection, term_df
    )
