"""Read-only access to finished transcripts in PostgreSQL (the reactor owns the writes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class StoredTranscript:
    text: str
    original_name: str | None


class TranscriptReader:
    """Fetches a recording's transcript, only for the user who owns it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, recording_id: uuid.UUID, *, user_id: int) -> StoredTranscript | None:
        row = await self._pool.fetchrow(
            "SELECT transcript_text, original_name FROM recordings"
            " WHERE id = $1 AND user_id = $2 AND status = 'done'",
            recording_id,
            user_id,
        )
        if row is None or row["transcript_text"] is None:
            return None
        return StoredTranscript(text=row["transcript_text"], original_name=row["original_name"])
