"""Optional cross-encoder reranking through an HTTP rerank endpoint (off by default).

Speaks the common `/rerank` shape (Cohere, Jina, vLLM, Xinference, TEI behind a proxy):
POST {"model", "query", "documents", "top_n"} → {"results": [{"index", "relevance_score"}]};
a bare list of {"index", "score"} (TEI) is accepted too. If the endpoint fails, the fused order is
kept and the caller is told, so a reranker outage never stops answers.
"""

from __future__ import annotations

import logging

import httpx
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import Field

log = logging.getLogger(__name__)


class RerankUnavailable(Exception):
    """The rerank endpoint did not answer usefully."""


class HTTPReranker(BaseNodePostprocessor):
    url: str = Field(description="Full URL of the rerank endpoint, e.g. http://127.0.0.1:8080/v1/rerank.")
    model: str = Field(default="bge-reranker-v2-m3")
    top_n: int = Field(default=20, description="How many fused candidates are rescored.")
    timeout_s: float = Field(default=10.0)
    api_key: str | None = Field(default=None, exclude=True)

    @classmethod
    def class_name(cls) -> str:
        return "HTTPReranker"

    def _postprocess_nodes(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None):
        if not nodes or query_bundle is None:
            return nodes
        head, tail = nodes[: self.top_n], nodes[self.top_n :]
        scores = self._scores(query_bundle.query_str, [n.node.get_content() for n in head])
        ranked = sorted(range(len(head)), key=lambda i: scores.get(i, float("-inf")), reverse=True)
        out = []
        for i in ranked:
            node = head[i]
            node.node.metadata["rerank"] = scores.get(i)
            out.append(node)
        return out + tail

    def _scores(self, query: str, documents: list[str]) -> dict[int, float]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "query": query, "documents": documents, "top_n": len(documents)}
        try:
            response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RerankUnavailable(f"{exc.__class__.__name__}") from exc
        results = data.get("results", data) if isinstance(data, dict) else data
        try:
            return {int(r["index"]): float(r.get("relevance_score", r.get("score"))) for r in results}
        except (KeyError, TypeError, ValueError) as exc:
            raise RerankUnavailable("unexpected response shape") from exc
