"""The recordings repository: every SQL statement the reactor runs about recordings."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from voxpersona.contracts.results import AnalysisState, RecordingStatus

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
    recording_language: str | None = None
    scenario: str | None = None

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
    analysis_status: AnalysisState = "none"
    analysis_code: str | None = None
    analysis_notified: bool = False
    recording_language: str | None = None
    scenario: str | None = None
    force_token: str | None = None
    leased: bool = False  # some reactor holds a live lease on it

    @property
    def analysis_pending(self) -> bool:
        return self.status is RecordingStatus.DONE and self.analysis_status == "pending"

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
            analysis_status=row["analysis_status"],
            analysis_code=row["analysis_code"],
            analysis_notified=row["analysis_notified_at"] is not None,
            recording_language=row["recording_language"],
            scenario=row["scenario"],
            force_token=row["force_token"],
            leased=row["leased"],
        )


@dataclass(frozen=True, slots=True)
class CompletedTranscript:
    """What ``complete`` writes about a finished transcription."""

    text: str
    segments: list[dict[str, Any]]
    language: str | None
    duration_seconds: float | None
    engine: str
    model: str
    result_key: str
    chunk_count: int
    timings: dict[str, float]


@dataclass(frozen=True, slots=True)
class AnalysisStepRow:
    """One stored step of an analysis scenario."""

    name: str
    output: str
    model: str
    chunks: int


@dataclass(frozen=True, slots=True)
class Claim:
    """Result of trying to take a recording for processing."""

    recording: Recording
    acquired: bool


_COLUMNS = (
    "id, object_key, user_id, chat_id, message_id, status, attempts, failure_code, "
    "failure_reason, notified_at, analysis_status, analysis_code, analysis_notified_at,"
    " recording_language, scenario, force_token,"
    " (lease_until IS NOT NULL AND lease_until > now()) AS leased"
)
# A recording is workable while its transcription or its analysis is outstanding.
_WORKABLE = "(status = 'processing' OR (status = 'done' AND analysis_status = 'pending'))"


class Recordings:
    """Repository over an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(
        self,
        new: NewRecording,
        *,
        owner: str,
        lease: timedelta,
        force_token: str | None = None,
    ) -> Claim:
        """Insert the recording if unseen, then lease it to ``owner`` if nobody else holds it.

        A lease (renewed with the JetStream heartbeats) keeps two reactors that received the same
        duplicate event from transcribing it twice; an expired lease is taken over after a crash.
        ``force_token`` (an operator's replay or requeue) first resets a finished recording, once
        per token, so a redelivered forced event does not run it yet again.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            await self._insert(conn, new)
            if force_token is not None:
                await self._reset_for_force(conn, new.id, force_token)
            row = await conn.fetchrow(
                f"UPDATE recordings SET lease_owner = $2, lease_until = now() + $3,"
                f" attempts = attempts + 1, updated_at = now()"
                f" WHERE id = $1 AND {_WORKABLE}"
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

    @staticmethod
    async def _insert(conn: asyncpg.Connection, new: NewRecording) -> None:
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, version_id, sequencer,"
            " user_id, chat_id, message_id, original_name, content_type, size_bytes,"
            " duration_seconds, recording_language, scenario)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
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
            new.recording_language,
            new.scenario,
        )

    @staticmethod
    async def _reset_for_force(
        conn: asyncpg.Connection, recording_id: uuid.UUID, token: str
    ) -> None:
        reset = await conn.execute(
            "UPDATE recordings SET status = 'processing', force_token = $2, attempts = 0,"
            " failure_code = NULL, failure_reason = NULL, analysis_status = 'none',"
            " analysis_text = NULL, analysis_code = NULL, analysis_reason = NULL,"
            " notified_at = NULL, analysis_notified_at = NULL, completed_at = NULL,"
            " lease_owner = NULL, lease_until = NULL, updated_at = now()"
            " WHERE id = $1 AND status <> 'processing' AND force_token IS DISTINCT FROM $2",
            recording_id,
            token,
        )
        if reset.endswith(" 1"):
            await conn.execute("DELETE FROM analysis_steps WHERE recording_id = $1", recording_id)

    async def renew_lease(self, recording_id: uuid.UUID, *, owner: str, lease: timedelta) -> None:
        await self._pool.execute(
            "UPDATE recordings SET lease_until = now() + $3 WHERE id = $1 AND lease_owner = $2",
            recording_id,
            owner,
            lease,
        )

    async def complete(
        self, recording_id: uuid.UUID, done: CompletedTranscript, *, analysis_pending: bool
    ) -> None:
        """Status ``done`` with the transcript; the lease stays while an analysis follows."""
        await self._pool.execute(
            "UPDATE recordings SET status = 'done', transcript_text = $2,"
            " transcript_segments = $3::jsonb, transcript_language = $4,"
            " duration_seconds = COALESCE($5, duration_seconds), transcription_engine = $6,"
            " transcription_model = $7, result_key = $8, chunk_count = $9, timings = $10::jsonb,"
            " analysis_status = CASE WHEN $11 THEN 'pending' ELSE 'none' END,"
            " lease_owner = CASE WHEN $11 THEN lease_owner END,"
            " lease_until = CASE WHEN $11 THEN lease_until END,"
            " failure_code = NULL, failure_reason = NULL,"
            " completed_at = now(), updated_at = now() WHERE id = $1",
            recording_id,
            done.text,
            json.dumps(done.segments, ensure_ascii=False),
            done.language,
            done.duration_seconds,
            done.engine,
            done.model,
            done.result_key,
            done.chunk_count,
            json.dumps(done.timings),
            analysis_pending,
        )

    async def transcript_text(self, recording_id: uuid.UUID) -> str:
        text: str | None = await self._pool.fetchval(
            "SELECT transcript_text FROM recordings WHERE id = $1", recording_id
        )
        return text or ""

    async def complete_analysis(
        self,
        recording_id: uuid.UUID,
        steps: list[AnalysisStepRow],
        *,
        scenario: str,
        timings: dict[str, float],
    ) -> None:
        """Store every step's output and the final one as the analysis, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM analysis_steps WHERE recording_id = $1", recording_id)
            await conn.executemany(
                "INSERT INTO analysis_steps (recording_id, step_index, step_name, output, model,"
                " chunks) VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    (recording_id, i, s.name, s.output, s.model, s.chunks)
                    for i, s in enumerate(steps)
                ],
            )
            await conn.execute(
                "UPDATE recordings SET analysis_status = 'done', analysis_text = $2,"
                " analysis_model = $3, analysis_code = NULL, analysis_reason = NULL,"
                " timings = COALESCE(timings, '{}'::jsonb) || $4::jsonb, scenario = $5,"
                " lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1",
                recording_id,
                steps[-1].output,
                steps[-1].model,
                json.dumps(timings),
                scenario,
            )

    async def fail_analysis(self, recording_id: uuid.UUID, *, code: str, reason: str) -> None:
        await self._pool.execute(
            "UPDATE recordings SET analysis_status = 'failed', analysis_code = $2,"
            " analysis_reason = $3, lease_owner = NULL, lease_until = NULL, updated_at = now()"
            " WHERE id = $1",
            recording_id,
            code,
            reason,
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

    async def mark_notified(self, recording_id: uuid.UUID, *, analysis_too: bool) -> None:
        """The transcript message went out (and with it the analysis's final state, if any)."""
        await self._pool.execute(
            "UPDATE recordings SET notified_at = COALESCE(notified_at, now()),"
            " analysis_notified_at = CASE WHEN $2 THEN COALESCE(analysis_notified_at, now())"
            " ELSE analysis_notified_at END WHERE id = $1",
            recording_id,
            analysis_too,
        )

    async def mark_analysis_notified(self, recording_id: uuid.UUID) -> None:
        await self._pool.execute(
            "UPDATE recordings SET analysis_notified_at = now()"
            " WHERE id = $1 AND analysis_notified_at IS NULL",
            recording_id,
        )

    async def mark_audio_removed(
        self, bucket: str, object_key: str, *, expired: bool, sequencer: str | None = None
    ) -> int:
        """Record that the audio object is gone; transcript and analysis stay.

        MinIO's ``sequencer`` is the event's time in hex nanoseconds: a removal older than a
        recording (a replayed delete of an earlier object at the same key) leaves it alone.
        """
        result: str = await self._pool.execute(
            "UPDATE recordings SET audio_state = $3, audio_removed_at = now(), updated_at = now()"
            " WHERE bucket = $1 AND object_key = $2 AND audio_state = 'present'"
            " AND ($4::text IS NULL OR sequencer IS NULL"
            "      OR (length(sequencer), sequencer) <= (length($4::text), $4::text))",
            bucket,
            object_key,
            "expired" if expired else "deleted",
            sequencer or None,
        )
        return int(result.split()[-1])

    async def get(self, recording_id: uuid.UUID) -> Recording | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM recordings WHERE id = $1", recording_id
        )
        return Recording.from_row(row) if row is not None else None

    async def statuses(self, recording_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Status per recording id (for operators' replay selection)."""
        rows = await self._pool.fetch(
            "SELECT id, status FROM recordings WHERE id = ANY($1::uuid[])", recording_ids
        )
        return {row["id"]: row["status"] for row in rows}
