"""The one place that builds OpenAI-compatible clients (chat LLM and embeddings) from settings."""

from __future__ import annotations

from openai import OpenAI


def openai_client(
    base_url: str | None, api_key: str | None, timeout_s: float, max_retries: int = 2
) -> OpenAI:
    """An ``openai.OpenAI`` client for any OpenAI-compatible server (OpenAI, DeepSeek, DashScope, vLLM, Ollama).

    Local servers often need no key; the SDK insists on one, so a placeholder is sent.
    """
    return OpenAI(
        base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries
    )
