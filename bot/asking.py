"""``/ask`` and the hybrid ``/search`` over the user's passages, for the bot.

The passages schema is the reactor's to apply: whether pgvector scores the search is read
from the database on first use (not at start-up, when the reactor may not have run yet).
The answer model is the shared analysis LLM (:mod:`voxpersona.llm`); without a key ``/ask``
answers with the passages themselves.
"""

from __future__ import annotations

import uuid

import asyncpg
import openai

from voxpersona.answers import Answer, Asker
from voxpersona.embeddings import Embedder, build_embedder
from voxpersona.llm import ChatModel, OpenAIChat
from voxpersona.logging import get_logger
from voxpersona.passages import PassageSearch, VectorCache
from voxpersona.passages.schema import has_vector_column
from voxpersona.settings import BotSettings

log = get_logger(__name__)


class AskService:
    """The user's passages: questions answered, recordings ranked."""

    def __init__(self, pool: asyncpg.Pool, embedder: Embedder, model: ChatModel | None) -> None:
        self._pool = pool
        self._embedder = embedder
        self._model = model
        self._cache = VectorCache()
        self._search: PassageSearch | None = None

    @property
    def has_model(self) -> bool:
        return self._model is not None

    async def search(self) -> PassageSearch:
        if self._search is None:
            async with self._pool.acquire() as conn:
                pgvector = await has_vector_column(conn)
            self._search = PassageSearch(
                self._pool, self._embedder, pgvector=pgvector, cache=self._cache
            )
        return self._search

    async def ask(self, user_id: int, question: str, *, language: str) -> Answer:
        asker = Asker(await self.search(), self._model)
        return await asker.ask(user_id, question, fallback_language=language)

    async def recordings(self, user_id: int, question: str, *, limit: int) -> list[uuid.UUID]:
        """Recording ids in hybrid order, for ``/search``."""
        search = await self.search()
        return await search.search_recordings(user_id, question, limit=limit)


def build_ask_service(settings: BotSettings, pool: asyncpg.Pool) -> AskService:
    """The service with the configured embedder and, when a key is set, the analysis LLM."""
    model: ChatModel | None = None
    key = settings.openai.api_key
    vox = settings.vox
    if key is not None and vox.analysis_enabled:
        client = openai.AsyncOpenAI(
            api_key=key.get_secret_value(),
            base_url=vox.analysis_base_url or settings.openai.base_url,
            timeout=min(settings.openai.timeout, 60.0),
            max_retries=1,
        )
        model = OpenAIChat(client, model=vox.analysis_model)
    embedder = build_embedder(settings.embedding)
    log.info("ask.ready", model=model.model if model else None, embedder=embedder.model_id)
    return AskService(pool, embedder, model)
