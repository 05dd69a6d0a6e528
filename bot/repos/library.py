"""A user's recordings as the library shows them: pages, cards, transcripts, search, deletion.

Reads come from the recordings module's read models and deletions go through its repository
(it owns ``recordings``); the bot only cleans up its own ``bot_uploads`` rows here. Every call
is scoped by ``user_id``.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from bot.search_query import SearchQuery
from voxpersona.recordings import Recordings
from voxpersona.recordings.queries import Card, LibraryQueries, TranscriptRow

__all__ = ["Card", "Library", "TranscriptRow"]


class Library:
    """The library of one user at a time, over the recordings module."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._queries = LibraryQueries(pool)
        self._recordings = Recordings(pool)

    async def page(self, user_id: int, *, offset: int, limit: int) -> tuple[list[Card], int]:
        """Newest first; returns the page and the total count."""
        return await self._queries.page(user_id, offset=offset, limit=limit)

    async def card(self, user_id: int, recording_id: uuid.UUID) -> Card | None:
        return await self._queries.card(user_id, recording_id)

    async def card_by_key(self, user_id: int, object_key: str) -> Card | None:
        return await self._queries.card_by_key(user_id, object_key)

    async def transcript(self, user_id: int, recording_id: uuid.UUID) -> TranscriptRow | None:
        return await self._queries.transcript(user_id, recording_id)

    async def search(self, user_id: int, query: SearchQuery, *, limit: int) -> list[Card]:
        """Full-text (Russian and English stemming) and date-range search, newest first."""
        return await self._queries.search(
            user_id,
            words=query.words,
            date_from=query.date_from,
            date_to=query.date_to,
            limit=limit,
        )

    async def delete(self, user_id: int, recording_id: uuid.UUID) -> bool:
        """Delete one recording not being worked on; False if nothing was."""
        key = await self._recordings.delete(user_id, recording_id)
        if key is None:
            return False
        await self._pool.execute(
            "DELETE FROM bot_uploads WHERE object_key = $1 AND user_id = $2", key, user_id
        )
        return True

    async def delete_all(self, user_id: int) -> tuple[int, int]:
        """Delete every recording of the user, those still processing included (their
        processing stops); returns (deleted, of which were still processing)."""
        deleted, stopped = await self._recordings.delete_all(user_id)
        await self._pool.execute("DELETE FROM bot_uploads WHERE user_id = $1", user_id)
        return deleted, stopped

    async def count(self, user_id: int) -> int:
        return await self._queries.count(user_id)

    async def stats(self) -> dict[str, Any]:
        """Counts for the admins' /stats (all users)."""
        return await self._queries.stats()

    async def ping(self) -> bool:
        try:
            return bool(await self._pool.fetchval("SELECT 1"))
        except (OSError, asyncpg.PostgresError):
            return False
