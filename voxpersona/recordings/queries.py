"""Read models of recordings for the bot: library pages, cards, transcripts, analyses, search,
counts. Read-only; every per-user query is scoped by ``user_id`` (a recording id from a button
is only ever looked up together with the id of the user who pressed it). Titles and notes come
from the bot's ``bot_uploads`` table, joined by object key."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class Card:
    """What a recording card shows, and what its buttons need."""

    id: uuid.UUID
    object_key: str
    bucket: str
    name: str | None
    notes: str | None
    created_at: datetime
    duration_seconds: float | None
    size_bytes: int | None
    status: str
    audio_state: str
    analysis_status: str
    scenario: str | None
    leased: bool
    etag: str
    chat_id: int

    @property
    def can_rerun(self) -> bool:
        """False when the server had no analysis for it (not declined by the user): a re-run
        would wait for an analysis stage that is not there."""
        return not (self.analysis_status == "none" and self.scenario != "none")

    @property
    def busy(self) -> bool:
        """Still being worked on: transcription or analysis outstanding, or leased."""
        return self.leased or self.status == "processing" or self.analysis_status == "pending"


@dataclass(frozen=True, slots=True)
class TranscriptRow:
    text: str
    segments: list[dict[str, Any]]
    language: str | None
    name: str | None
    created_at: datetime


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


_CARD = (
    "r.id, r.object_key, r.bucket, COALESCE(u.title, r.original_name) AS name, u.notes,"
    " r.created_at, r.duration_seconds, r.size_bytes, r.status, r.audio_state,"
    " r.analysis_status, r.scenario, r.etag, r.chat_id,"
    " (r.lease_until IS NOT NULL AND r.lease_until > now()) AS leased"
)
_FROM = " FROM recordings r LEFT JOIN bot_uploads u ON u.object_key = r.object_key"


def _card(row: asyncpg.Record) -> Card:
    return Card(**dict(row))


class LibraryQueries:
    """A user's recordings as the library shows them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(self, user_id: int, *, offset: int, limit: int) -> tuple[list[Card], int]:
        """Newest first; returns the page and the total count."""
        async with self._pool.acquire() as conn:
            total: int = await conn.fetchval(
                "SELECT count(*) FROM recordings WHERE user_id = $1", user_id
            )
            rows = await conn.fetch(
                f"SELECT {_CARD}{_FROM} WHERE r.user_id = $1"
                " ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3",
                user_id,
                limit,
                offset,
            )
        return [_card(row) for row in rows], total

    async def card(self, user_id: int, recording_id: uuid.UUID) -> Card | None:
        row = await self._pool.fetchrow(
            f"SELECT {_CARD}{_FROM} WHERE r.id = $1 AND r.user_id = $2", recording_id, user_id
        )
        return _card(row) if row is not None else None

    async def card_by_key(self, user_id: int, object_key: str) -> Card | None:
        row = await self._pool.fetchrow(
            f"SELECT {_CARD}{_FROM} WHERE r.object_key = $1 AND r.user_id = $2"
            " ORDER BY r.created_at DESC LIMIT 1",
            object_key,
            user_id,
        )
        return _card(row) if row is not None else None

    async def transcript(self, user_id: int, recording_id: uuid.UUID) -> TranscriptRow | None:
        row = await self._pool.fetchrow(
            "SELECT r.transcript_text, r.transcript_segments, r.transcript_language,"
            f" COALESCE(u.title, r.original_name) AS name, r.created_at{_FROM}"
            " WHERE r.id = $1 AND r.user_id = $2 AND r.status = 'done'",
            recording_id,
            user_id,
        )
        if row is None or row["transcript_text"] is None:
            return None
        segments = row["transcript_segments"]
        return TranscriptRow(
            text=row["transcript_text"],
            segments=json.loads(segments) if isinstance(segments, str) else (segments or []),
            language=row["transcript_language"],
            name=row["name"],
            created_at=row["created_at"],
        )

    async def search(
        self,
        user_id: int,
        *,
        words: tuple[str, ...],
        date_from: datetime | None,
        date_to: datetime | None,
        limit: int,
    ) -> list[Card]:
        """Full-text (Russian and English stemming) and date-range search, newest first."""
        clauses = ["r.user_id = $1"]
        args: list[Any] = [user_id]
        if words:
            args.append(" ".join(words))
            n = len(args)
            clauses.append(
                f"(r.transcript_search @@ (plainto_tsquery('russian'::regconfig, ${n})"
                f" || plainto_tsquery('english'::regconfig, ${n}))"
                f" OR strpos(lower(u.title), lower(${n})) > 0)"
            )
        if date_from is not None:
            args.append(date_from)
            clauses.append(f"r.created_at >= ${len(args)}")
        if date_to is not None:
            args.append(date_to)
            clauses.append(f"r.created_at < ${len(args)}")
        args.append(limit)
        rows = await self._pool.fetch(
            f"SELECT {_CARD}{_FROM} WHERE {' AND '.join(clauses)}"
            f" ORDER BY r.created_at DESC, r.id LIMIT ${len(args)}",
            *args,
        )
        return [_card(row) for row in rows]

    async def count(self, user_id: int) -> int:
        value: int = await self._pool.fetchval(
            "SELECT count(*) FROM recordings WHERE user_id = $1", user_id
        )
        return value

    async def stats(self) -> dict[str, Any]:
        """Counts for the admins' /stats (all users)."""
        row = await self._pool.fetchrow(
            "SELECT count(*) AS recordings,"
            " count(*) FILTER (WHERE created_at >= date_trunc('day', now())) AS today,"
            " count(*) FILTER (WHERE status = 'done') AS done,"
            " count(*) FILTER (WHERE status = 'failed') AS failed,"
            " count(*) FILTER (WHERE status = 'processing') AS processing,"
            " COALESCE(sum(duration_seconds), 0) AS seconds FROM recordings"
        )
        assert row is not None
        numbers = dict(row)
        numbers["hours"] = round(float(numbers.pop("seconds")) / 3600, 1)
        return numbers

    async def object_key(self, recording_id: uuid.UUID) -> tuple[int, str] | None:
        """(user id, object key) of a recording, to find the bot's upload of it."""
        row = await self._pool.fetchrow(
            "SELECT user_id, object_key FROM recordings WHERE id = $1", recording_id
        )
        return (row["user_id"], row["object_key"]) if row is not None else None

    async def transcribed_durations(self, user_id: int, object_keys: list[str]) -> dict[str, float]:
        """Real audio durations of this user's finished recordings among ``object_keys`` (the
        bot settles its quota estimates against them)."""
        if not object_keys:
            return {}
        rows = await self._pool.fetch(
            "SELECT object_key, duration_seconds FROM recordings WHERE user_id = $1"
            " AND object_key = ANY($2::text[]) AND status = 'done'"
            " AND duration_seconds IS NOT NULL",
            user_id,
            object_keys,
        )
        return {row["object_key"]: float(row["duration_seconds"]) for row in rows}

    async def newest_done(self, user_id: int, object_keys: list[str]) -> uuid.UUID | None:
        """The newest finished recording of this user among ``object_keys``."""
        if not object_keys:
            return None
        value: uuid.UUID | None = await self._pool.fetchval(
            "SELECT id FROM recordings WHERE user_id = $1 AND object_key = ANY($2::text[])"
            " AND status = 'done' ORDER BY completed_at DESC LIMIT 1",
            user_id,
            object_keys,
        )
        return value


class TranscriptReader:
    """Fetches a recording's transcript and analysis, only for the user who owns it."""

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
