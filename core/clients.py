"""The one place that builds OpenAI-compatible clients (chat LLM and embeddings) from settings."""

from __future__ import annotations


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


def embedding_model(settings, batch_size: int = 64):
    """llama-index's OpenAI-like embedding model for an OpenAI-compatible ``/v1/embeddings`` endpoint.

    ``settings`` is ``EmbedSettings``; any model name is accepted (bge-m3, text-embedding-3-small, …).
    """
    from llama_index.embeddings.openai_like import OpenAILikeEmbedding

    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return OpenAILikeEmbedding(
        model_name=settings.model,
        api_base=settings.base_url or "https://api.openai.com/v1",
        api_key=key,
        embed_batch_size=batch_size,
        timeout=settings.timeout_s,
        max_retries=2,
    )
