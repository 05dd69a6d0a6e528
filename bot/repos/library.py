"""A user's recordings as the library shows them: pages, cards, transcripts, search, deletion.

Every statement is scoped by ``user_id``: a recording id from a button is only ever looked up
together with the id of the user who pressed it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from bot.search_query import SearchQuery


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


@dataclass(frozen=True, slots=True)
class TranscriptRow:
    text: str
    segments: list[dict[str, Any]]
    language: str | None
    name: str | None
    created_at: datetime


_CARD = (
    "r.id, r.object_key, r.bucket, COALESCE(u.title, r.original_name) AS name, u.notes,"
    " r.created_at, r.duration_seconds, r.size_bytes, r.status, r.audio_state,"
    " r.analysis_status, r.scenario, r.etag, r.chat_id,"
    " (r.lease_until IS NOT NULL AND r.lease_until > now()) AS leased"
)
_FROM = " FROM recordings r LEFT JOIN bot_uploads u ON u.object_key = r.object_key"


def _card(row: asyncpg.Record) -> Card:
    return Card(**dict(row))


class Library:
    """Repository over ``recordings`` (read, delete) for one user at a time."""

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

    async def search(self, user_id: int, query: SearchQuery, *, limit: int) -> list[Card]:
        """Full-text (Russian and English stemming) and date-range search, newest first."""
        clauses = ["r.user_id = $1"]
        args: list[Any] = [user_id]
        if query.words:
            args.append(" ".join(query.words))
            n = len(args)
            clauses.append(
                f"(r.transcript_search @@ (plainto_tsquery('russian'::regconfig, ${n})"
                f" || plainto_tsquery('english'::regconfig, ${n}))"
                f" OR strpos(lower(u.title), lower(${n})) > 0)"
            )
        if query.date_from is not None:
            args.append(query.date_from)
            clauses.append(f"r.created_at >= ${len(args)}")
        if query.date_to is not None:
            args.append(query.date_to)
            clauses.append(f"r.created_at < ${len(args)}")
        args.append(limit)
        rows = await self._pool.fetch(
            f"SELECT {_CARD}{_FROM} WHERE {' AND '.join(clauses)}"
            f" ORDER BY r.created_at DESC, r.id LIMIT ${len(args)}",
            *args,
        )
        return [_card(row) for row in rows]

    async def delete(self, user_id: int, recording_id: uuid.UUID) -> bool:
        """Remove the rows of one recording not being worked on; False if nothing was."""
        async with self._pool.acquire() as conn, conn.transaction():
            key = await conn.fetchval(
                "DELETE FROM recordings WHERE id = $1 AND user_id = $2"
                " AND (lease_until IS NULL OR lease_until < now()) RETURNING object_key",
                recording_id,
                user_id,
            )
            if key is None:
                return False
            await conn.execute(
                "DELETE FROM bot_uploads WHERE object_key = $1 AND user_id = $2", key, user_id
            )
            return True

    async def delete_all(self, user_id: int) -> tuple[int, int]:
        """Remove every recording of the user not being worked on; (deleted, still busy)."""
        async with self._pool.acquire() as conn, conn.transaction():
            deleted = await conn.fetch(
                "DELETE FROM recordings WHERE user_id = $1"
                " AND (lease_until IS NULL OR lease_until < now()) RETURNING id",
                user_id,
            )
            busy: int = await conn.fetchval(
                "SELECT count(*) FROM recordings WHERE user_id = $1", user_id
            )
            await conn.execute(
                "DELETE FROM bot_uploads u WHERE u.user_id = $1 AND NOT EXISTS"
                " (SELECT 1 FROM recordings r WHERE r.object_key = u.object_key)",
                user_id,
            )
        return len(deleted), busy

    async def count(self, user_id: int) -> int:
        value: int = await self._pool.fetchval(
            "SELECT count(*) FROM recordings WHERE user_id = $1", user_id
        )
        return value

    async def prepare_rerun(self, user_id: int, recording_id: uuid.UUID, scenario: str) -> bool:
        """Mark a finished recording's analysis outstanding again with ``scenario``.

        The fresh ``force_token`` makes the next analysis result a new message (not a duplicate
        of the first analysis's) when the reactor announces it.
        """
        result: str = await self._pool.execute(
            "UPDATE recordings SET scenario = $3, analysis_status = 'pending',"
            " analysis_text = NULL, analysis_code = NULL, analysis_reason = NULL,"
            " analysis_notified_at = NULL, force_token = 'rerun-' || md5(random()::text),"
            " updated_at = now()"
            " WHERE id = $1 AND user_id = $2 AND status = 'done'"
            " AND (lease_until IS NULL OR lease_until < now())",
            recording_id,
            user_id,
            scenario,
        )
        return result.endswith(" 1")

    async def choose_scenario(self, user_id: int, object_key: str, scenario: str) -> str:
        """Apply a scenario picked under the status message: ``applied`` while the
        transcription still runs, ``done`` when it finished (a re-run is needed), ``unknown``
        when no reactor has taken the recording yet."""
        row = await self._pool.fetchrow(
            "UPDATE recordings SET scenario = CASE WHEN status = 'processing'"
            " AND scenario IS DISTINCT FROM 'none' THEN $3 ELSE scenario END"
            " WHERE object_key = $1 AND user_id = $2 RETURNING status, scenario",
            object_key,
            user_id,
            scenario,
        )
        if row is None:
            return "unknown"
        return (
            "applied" if row["scenario"] == scenario and row["status"] == "processing" else "done"
        )

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

    async def ping(self) -> bool:
        try:
            return bool(await self._pool.fetchval("SELECT 1"))
        except (OSError, asyncpg.PostgresError):
            return False
