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


def chat_llm(settings):
    """llama-index's OpenAI-like chat LLM for the configured endpoint (temperature 0), or None if unset.

    ``settings`` is ``LLMSettings``. OpenAI, DeepSeek, Qwen/DashScope, vLLM and Ollama all speak this API.
    """
    if not settings.model:
        return None
    from llama_index.llms.openai_like import OpenAILike

    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return OpenAILike(
        model=settings.model,
        api_base=settings.base_url or "https://api.openai.com/v1",
        api_key=key,
        is_chat_model=True,
        temperature=0.0,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
        context_window=32768,
        max_tokens=settings.max_tokens,
    )
