"""The recordings repository: every SQL statement the reactor runs about recordings."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from voxpersona.contracts.results import RecordingStatus

# Fixed namespace: the same object version always maps to the same recording id, in every
# reactor process, which is what makes duplicate events converge on one row.
_RECORDING_NAMESPACE = uuid.UUID("5d0f8a52-3c7e-4f6b-9a1d-2e8b7c6f4a10")


def recording_id_for(bucket: str, key: str, etag: str) -> uuid.UUID:
    """The deterministic id of one object version."""
    return uuid.uuid5(_RECORDING_NAMESPACE, f"{bucket}/{key}@{etag}")


@dataclass(frozen=True, slots=True)
class NewRecording:
    """What the reactor knows about a recording when its event arrives."""

    bucket: str
    object_key: str
    etag: str
    version_id: str | None
    sequencer: str | None
    user_id: int
    chat_id: int
    message_id: int | None
    original_name: str | None
    content_type: str | None
    size_bytes: int | None
    duration_seconds: float | None

    @property
    def id(self) -> uuid.UUID:
        return recording_id_for(self.bucket, self.object_key, self.etag)


@dataclass(frozen=True, slots=True)
class Recording:
    """A row of ``recordings`` (the columns the pipeline reads)."""

    id: uuid.UUID
    object_key: str
    user_id: int
    chat_id: int
    message_id: int | None
    status: RecordingStatus
    attempts: int
    failure_code: str | None
    failure_reason: str | None
    notified: bool

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Recording:
        return cls(
            id=row["id"],
            object_key=row["object_key"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            message_id=row["message_id"],
            status=RecordingStatus(row["status"]),
            attempts=row["attempts"],
            failure_code=row["failure_code"],
            failure_reason=row["failure_reason"],
            notified=row["notified_at"] is not None,
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """Result of trying to take a recording for processing."""

    recording: Recording
    acquired: bool


_COLUMNS = (
    "id, object_key, user_id, chat_id, message_id, status, attempts, failure_code, "
    "failure_reason, notified_at"
)


class Recordings:
    """Repository over an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, new: NewRecording, *, owner: str, lease: timedelta) -> Claim:
        """Insert the recording if unseen, then lease it to ``owner`` if nobody else holds it.

        A lease (renewed with the JetStream heartbeats) keeps two reactors that received the same
        duplicate event from transcribing it twice; an expired lease is taken over after a crash.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO recordings (id, bucket, object_key, etag, version_id, sequencer,"
                " user_id, chat_id, message_id, original_name, content_type, size_bytes,"
                " duration_seconds) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
                " ON CONFLICT (bucket, object_key, etag) DO NOTHING",
                new.id,
                new.bucket,
                new.object_key,
                new.etag,
                new.version_id,
                new.sequencer,
                new.user_id,
                new.chat_id,
                new.message_id,
                new.original_name,
                new.content_type,
                new.size_bytes,
                new.duration_seconds,
            )
            row = await conn.fetchrow(
                f"UPDATE recordings SET lease_owner = $2, lease_until = now() + $3,"
                f" attempts = attempts + 1, updated_at = now()"
                f" WHERE id = $1 AND status = 'processing'"
                f" AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2)"
                f" RETURNING {_COLUMNS}",
                new.id,
                owner,
                lease,
            )
            if row is not None:
                return Claim(Recording.from_row(row), acquired=True)
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM recordings WHERE id = $1", new.id)
            assert row is not None  # inserted or present above, in this transaction
            return Claim(Recording.from_row(row), acquired=False)

    async def renew_lease(self, recording_id: uuid.UUID, *, owner: str, lease: timedelta) -> None:
        await self._pool.execute(
            "UPDATE recordings SET lease_until = now() + $3 WHERE id = $1 AND lease_owner = $2",
            recording_id,
            owner,
            lease,
        )

    async def complete(
        self,
        recording_id: uuid.UUID,
        *,
        text: str,
        segments: list[dict[str, Any]],
        language: str | None,
        duration_seconds: float | None,
        engine: str,
        model: str,
        result_key: str,
    ) -> None:
        await self._pool.execute(
            "UPDATE recordings SET status = 'done', transcript_text = $2,"
            " transcript_segments = $3::jsonb, transcript_language = $4,"
            " duration_seconds = COALESCE($5, duration_seconds), transcription_engine = $6,"
            " transcription_model = $7, result_key = $8, failure_code = NULL,"
            " failure_reason = NULL, lease_owner = NULL, lease_until = NULL,"
            " completed_at = now(), updated_at = now() WHERE id = $1",
            recording_id,
            text,
            json.dumps(segments, ensure_ascii=False),
            language,
            duration_seconds,
            engine,
            model,
            result_key,
        )

    async def fail(self, recording_id: uuid.UUID, *, code: str, reason: str) -> None:
        await self._pool.execute(
            "UPDATE recordings SET status = 'failed', failure_code = $2, failure_reason = $3,"
            " lease_owner = NULL, lease_until = NULL, completed_at = now(), updated_at = now()"
            " WHERE id = $1",
            recording_id,
            code,
            reason,
        )

    async def release(self, recording_id: uuid.UUID, *, owner: str) -> None:
        """Give the lease back so a redelivery can start at once (transient failure)."""
        await self._pool.execute(
            "UPDATE recordings SET lease_owner = NULL, lease_until = NULL"
            " WHERE id = $1 AND lease_owner = $2",
            recording_id,
            owner,
        )

    async def mark_notified(self, recording_id: uuid.UUID) -> None:
        await self._pool.execute(
            "UPDATE recordings SET notified_at = now() WHERE id = $1 AND notified_at IS NULL",
            recording_id,
        )

    async def mark_audio_removed(self, bucket: str, object_key: str, *, expired: bool) -> int:
        """Record that the audio object is gone; transcript and analysis stay."""
        result: str = await self._pool.execute(
            "UPDATE recordings SET audio_state = $3, audio_removed_at = now(), updated_at = now()"
            " WHERE bucket = $1 AND object_key = $2 AND audio_state = 'present'",
            bucket,
            object_key,
            "expired" if expired else "deleted",
        )
        return int(result.split()[-1])

    async def get(self, recording_id: uuid.UUID) -> Recording | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM recordings WHERE id = $1", recording_id
        )
        return Recording.from_row(row) if row is not None else None
