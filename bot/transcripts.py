"""Read-only access to finished transcripts in PostgreSQL (the reactor owns the writes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class StoredTranscript:
    text: str
    original_name: str | None
    scenario: str | None = None
    analysis_status: str = "none"


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    text: str
    scenario: str | None
    original_name: str | None


class TranscriptReader:
    """Fetches a recording's transcript, only for the user who owns it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, recording_id: uuid.UUID, *, user_id: int) -> StoredTranscript | None:
        row = await self._pool.fetchrow(
            "SELECT transcript_text, original_name, scenario, analysis_status FROM recordings"
            " WHERE id = $1 AND user_id = $2 AND status = 'done'",
            recording_id,
            user_id,
        )
        if row is None or row["transcript_text"] is None:
            return None
        return StoredTranscript(
            text=row["transcript_text"],
            original_name=row["original_name"],
            scenario=row["scenario"],
            analysis_status=row["analysis_status"],
        )

    async def analysis(self, recording_id: uuid.UUID, *, user_id: int) -> StoredAnalysis | None:
        """The finished analysis of a recording (the last step of its scenario)."""
        row = await self._pool.fetchrow(
            "SELECT analysis_text, scenario, original_name FROM recordings"
            " WHERE id = $1 AND user_id = $2 AND analysis_status = 'done'",
            recording_id,
            user_id,
        )
        if row is None or row["analysis_text"] is None:
            return None
        return StoredAnalysis(
            text=row["analysis_text"], scenario=row["scenario"], original_name=row["original_name"]
        )
