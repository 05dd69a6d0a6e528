"""The recordings repository: every write and state change of ``recordings``,
``analysis_steps`` and their tombstones, by the reactor and on the bot's users' behalf.

Leases are per delivery: ``owner`` names one delivery of one message (not a process), so two
copies of one event never both run. Every write of a result checks that the writer still holds
the recording (its own live lease, or nobody's) and that the row still exists; otherwise it
raises :class:`LeaseLostError` and changes nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from voxpersona.recordings.models import (
    AnalysisStepRow,
    Claim,
    CompletedTranscript,
    LeaseLostError,
    NewRecording,
    Recording,
)

COLUMNS = (
    "id, object_key, user_id, chat_id, message_id, status, attempts, failure_code, "
    "failure_reason, notified_at, analysis_status, analysis_code, analysis_notified_at,"
    " recording_language, scenario, force_token, lease_owner, audio_state,"
    " (lease_until IS NOT NULL AND lease_until > now()) AS leased"
)
# A recording is workable while its transcription or its analysis is outstanding.
_WORKABLE = "(status = 'processing' OR (status = 'done' AND analysis_status = 'pending'))"
# The writer ($2) holds the recording: its own lease, or nobody's live one.
_HELD = "(lease_owner = $2 OR lease_until IS NULL OR lease_until < now())"
_LEASE_FREE = "(lease_until IS NULL OR lease_until < now())"
# adopt_twin: the twin's analysis when the scenario is the same (or the default), else the
# recording's own, outstanding ($4: this reactor analyses) unless it declined one.
_SAME_SCENARIO = "(r.scenario IS NULL OR r.scenario IS NOT DISTINCT FROM t.scenario)"
_OWN_PENDING = f"(NOT {_SAME_SCENARIO} AND r.scenario <> 'none' AND $4)"
_ADOPT_ANALYSIS = (
    f"analysis_status = CASE WHEN {_SAME_SCENARIO} THEN t.analysis_status"
    f" WHEN {_OWN_PENDING} THEN 'pending' ELSE 'none' END,"
    f" analysis_text = CASE WHEN {_SAME_SCENARIO} THEN t.analysis_text END,"
    f" analysis_model = CASE WHEN {_SAME_SCENARIO} THEN t.analysis_model END,"
    f" analysis_code = CASE WHEN {_SAME_SCENARIO} THEN t.analysis_code END,"
    f" analysis_reason = CASE WHEN {_SAME_SCENARIO} THEN t.analysis_reason END,"
    f" scenario = CASE WHEN {_SAME_SCENARIO} THEN t.scenario ELSE r.scenario END,"
    f" lease_owner = CASE WHEN {_OWN_PENDING} THEN r.lease_owner END,"
    f" lease_until = CASE WHEN {_OWN_PENDING} THEN r.lease_until END"
)
_RESET_ANALYSIS = (
    "analysis_status = 'pending', analysis_text = NULL, analysis_code = NULL,"
    " analysis_reason = NULL, analysis_notified_at = NULL"
)


def _changed(status: str) -> bool:
    return status.split()[-1] != "0"


class Recordings:
    """Repository over an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # --- the reactor's claims and leases -------------------------------------------------

    async def claim(
        self,
        new: NewRecording,
        *,
        owner: str,
        lease: timedelta,
        force_token: str | None = None,
    ) -> Claim:
        """Insert the recording if unseen, then lease it to ``owner`` if nobody else holds it.

        A deleted recording (tombstone, or the user's "delete all" after the upload) is never
        recreated. ``force_token`` (an operator's replay or requeue) first resets a finished
        recording, once per token, so a redelivered forced event does not run it yet again.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            if await self._deleted(conn, new):
                return Claim(None, acquired=False, deleted=True)
            if new.file_unique_id is not None:
                # Serialises twin detection for one user's file across reactors.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    f"file:{new.user_id}:{new.file_unique_id}",
                )
            await self._insert(conn, new)
            if force_token is not None:
                await self._reset_for_force(conn, new.id, force_token)
            row = await conn.fetchrow(
                f"UPDATE recordings SET lease_owner = $2, lease_until = now() + $3,"
                f" attempts = attempts + 1, updated_at = now()"
                f" WHERE id = $1 AND {_WORKABLE} AND {_HELD} RETURNING {COLUMNS}",
                new.id,
                owner,
                lease,
            )
            acquired = row is not None
            if row is None:
                row = await conn.fetchrow(f"SELECT {COLUMNS} FROM recordings WHERE id = $1", new.id)
                assert row is not None  # inserted or present above, in this transaction
            recording = Recording.from_row(row)
            twin = await self._twin(conn, new.id) if acquired else None
            return Claim(recording, acquired=acquired, twin=twin)

    @staticmethod
    async def _deleted(conn: asyncpg.Connection, new: NewRecording) -> bool:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM recording_tombstones WHERE recording_id = $1)"
                " OR EXISTS (SELECT 1 FROM recording_purges WHERE user_id = $2"
                "            AND $3::timestamptz IS NOT NULL AND purged_at >= $3)",
                new.id,
                new.user_id,
                new.uploaded_at,
            )
        )

    @staticmethod
    async def _insert(conn: asyncpg.Connection, new: NewRecording) -> None:
        """Insert once; a recording of a Telegram file this user already sent (and that did
        not fail) remembers that one as its twin."""
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, version_id, sequencer,"
            " user_id, chat_id, message_id, original_name, content_type, size_bytes,"
            " duration_seconds, recording_language, scenario, file_unique_id, twin_of)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,"
            " (SELECT t.id FROM recordings t WHERE $16::text IS NOT NULL AND t.user_id = $7"
            "  AND t.file_unique_id = $16 AND t.twin_of IS NULL AND t.status <> 'failed'"
            "  AND t.id <> $1 ORDER BY t.created_at LIMIT 1))"
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
            new.file_unique_id,
        )

    @staticmethod
    async def _twin(conn: asyncpg.Connection, recording_id: uuid.UUID) -> Recording | None:
        row = await conn.fetchrow(
            f"SELECT {COLUMNS} FROM recordings WHERE id = ("
            " SELECT twin_of FROM recordings WHERE id = $1 AND status = 'processing')",
            recording_id,
        )
        return Recording.from_row(row) if row is not None else None

    @staticmethod
    async def _reset_for_force(
        conn: asyncpg.Connection, recording_id: uuid.UUID, token: str
    ) -> None:
        """Reset once per token. A finished transcript whose audio is gone (expired or deleted)
        cannot be made again: only its analysis is redone, the transcript stays."""
        reset = await conn.execute(
            "UPDATE recordings SET status = 'processing', force_token = $2, attempts = 0,"
            " failure_code = NULL, failure_reason = NULL, analysis_status = 'none',"
            " analysis_text = NULL, analysis_code = NULL, analysis_reason = NULL,"
            " notified_at = NULL, analysis_notified_at = NULL, completed_at = NULL,"
            " twin_of = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()"
            " WHERE id = $1 AND status <> 'processing' AND force_token IS DISTINCT FROM $2"
            f" AND NOT (status = 'done' AND audio_state <> 'present') AND {_LEASE_FREE}",
            recording_id,
            token,
        )
        if _changed(reset):
            await conn.execute("DELETE FROM analysis_steps WHERE recording_id = $1", recording_id)
            return
        await conn.execute(
            f"UPDATE recordings SET {_RESET_ANALYSIS}, force_token = $2, updated_at = now()"
            " WHERE id = $1 AND status = 'done' AND audio_state <> 'present'"
            " AND analysis_status IN ('done', 'failed') AND force_token IS DISTINCT FROM $2"
            f" AND {_LEASE_FREE}",
            recording_id,
            token,
        )

    async def claim_rerun(
        self,
        recording_id: uuid.UUID,
        *,
        user_id: int,
        scenario: str,
        token: str,
        owner: str,
        lease: timedelta,
    ) -> Claim:
        """A finished recording's analysis, outstanding again with ``scenario``, once per
        ``token`` (a command's id), leased to ``owner``. The token also makes the analysis
        result a new message rather than a duplicate of the first analysis's."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"UPDATE recordings SET scenario = $3, {_RESET_ANALYSIS}, force_token = $4,"
                " updated_at = now() WHERE id = $1 AND user_id = $2 AND status = 'done'"
                f" AND force_token IS DISTINCT FROM $4 AND {_LEASE_FREE}",
                recording_id,
                user_id,
                scenario,
                token,
            )
            row = await conn.fetchrow(
                "UPDATE recordings SET lease_owner = $2, lease_until = now() + $3,"
                " updated_at = now() WHERE id = $1 AND analysis_status = 'pending'"
                f" AND status = 'done' AND force_token = $4 AND {_HELD} RETURNING {COLUMNS}",
                recording_id,
                owner,
                lease,
                token,
            )
            if row is not None:
                return Claim(Recording.from_row(row), acquired=True)
            row = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM recordings WHERE id = $1 AND user_id = $2",
                recording_id,
                user_id,
            )
            recording = Recording.from_row(row) if row is not None else None
            return Claim(recording, acquired=False, deleted=recording is None)

    async def choose_scenario(self, user_id: int, object_key: str, scenario: str) -> str:
        """A scenario picked while the transcription runs: ``applied`` (the analysis will use
        it), ``done`` (the transcription finished: a re-run is needed), ``deleted`` (its user
        deleted it), ``unknown`` (no reactor has recorded the upload yet)."""
        row = await self._pool.fetchrow(
            "UPDATE recordings SET scenario = CASE WHEN status = 'processing' THEN $3"
            " ELSE scenario END, updated_at = now()"
            " WHERE object_key = $1 AND user_id = $2 RETURNING status",
            object_key,
            user_id,
            scenario,
        )
        if row is not None:
            return "applied" if row["status"] == "processing" else "done"
        deleted = await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM recording_tombstones"
            " WHERE object_key = $1 AND user_id = $2)",
            object_key,
            user_id,
        )
        return "deleted" if deleted else "unknown"

    async def renew_lease(self, recording_id: uuid.UUID, *, owner: str, lease: timedelta) -> None:
        await self._pool.execute(
            "UPDATE recordings SET lease_until = now() + $3 WHERE id = $1 AND lease_owner = $2",
            recording_id,
            owner,
            lease,
        )

    async def release(self, recording_id: uuid.UUID, *, owner: str) -> None:
        """Give the lease back so a redelivery can start at once."""
        await self._pool.execute(
            "UPDATE recordings SET lease_owner = NULL, lease_until = NULL"
            " WHERE id = $1 AND lease_owner = $2",
            recording_id,
            owner,
        )

    async def _lost(self, recording_id: uuid.UUID) -> LeaseLostError:
        exists = await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM recordings WHERE id = $1)", recording_id
        )
        return LeaseLostError(recording_id, deleted=not exists)

    # --- results, owner-checked ------------------------------------------------------------

    async def complete(
        self,
        recording_id: uuid.UUID,
        done: CompletedTranscript,
        *,
        owner: str,
        analysis_pending: bool,
    ) -> None:
        """Status ``done`` with the transcript. ``analysis_pending``: this reactor analyses,
        so the analysis is outstanding unless the recording's scenario (as chosen by now) is
        ``none``; the lease stays while it is."""
        status = await self._pool.execute(
            "UPDATE recordings SET status = 'done', transcript_text = $3,"
            " transcript_segments = $4::jsonb, transcript_language = $5,"
            " duration_seconds = COALESCE($6, duration_seconds), transcription_engine = $7,"
            " transcription_model = $8, result_key = $9, chunk_count = $10,"
            " timings = $11::jsonb, speaker_count = $13, diarization_model = $14,"
            " diarization_method = $15,"
            " analysis_status = CASE WHEN $12 AND scenario IS DISTINCT FROM 'none'"
            "   THEN 'pending' ELSE 'none' END,"
            " lease_owner = CASE WHEN $12 AND scenario IS DISTINCT FROM 'none'"
            "   THEN lease_owner END,"
            " lease_until = CASE WHEN $12 AND scenario IS DISTINCT FROM 'none'"
            "   THEN lease_until END,"
            " failure_code = NULL, failure_reason = NULL, twin_of = NULL,"
            f" completed_at = now(), updated_at = now()"
            f" WHERE id = $1 AND status = 'processing' AND {_HELD}",
            recording_id,
            owner,
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
            done.speaker_count,
            done.diarization_model,
            done.diarization_method,
        )
        if not _changed(status):
            raise await self._lost(recording_id)

    async def adopt_twin(
        self,
        recording_id: uuid.UUID,
        twin_id: uuid.UUID,
        *,
        owner: str,
        analysis_available: bool,
    ) -> None:
        """The same Telegram file was transcribed already: take over its transcript instead of
        transcribing again, and its analysis (steps included) when this recording asked for the
        same scenario (or the default). Another scenario leaves the analysis outstanding, still
        leased to ``owner``, when this reactor analyses."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE recordings r SET status = 'done', transcript_text = t.transcript_text,"
                " transcript_segments = t.transcript_segments,"
                " transcript_language = t.transcript_language,"
                " duration_seconds = COALESCE(t.duration_seconds, r.duration_seconds),"
                " transcription_engine = t.transcription_engine,"
                " transcription_model = t.transcription_model, result_key = t.result_key,"
                " chunk_count = t.chunk_count, timings = t.timings,"
                " speaker_count = t.speaker_count, diarization_model = t.diarization_model,"
                " diarization_method = t.diarization_method,"
                f" {_ADOPT_ANALYSIS},"
                " failure_code = NULL, failure_reason = NULL, completed_at = now(),"
                " updated_at = now()"
                " FROM recordings t WHERE r.id = $1 AND t.id = $3 AND t.status = 'done'"
                " AND t.analysis_status <> 'pending' AND r.status = 'processing'"
                " AND (r.lease_owner = $2 OR r.lease_until IS NULL OR r.lease_until < now())"
                " RETURNING r.analysis_status = 'pending' AS own_analysis",
                recording_id,
                owner,
                twin_id,
                analysis_available,
            )
            if row is None:
                raise await self._lost(recording_id)
            if not row["own_analysis"]:
                await conn.execute(
                    "INSERT INTO analysis_steps (recording_id, step_index, step_name, output,"
                    " model, chunks) SELECT $1, step_index, step_name, output, model, chunks"
                    " FROM analysis_steps WHERE recording_id = $2 ON CONFLICT DO NOTHING",
                    recording_id,
                    twin_id,
                )

    async def forget_twin(self, recording_id: uuid.UUID) -> None:
        """The twin failed or was deleted: this recording is transcribed on its own."""
        await self._pool.execute("UPDATE recordings SET twin_of = NULL WHERE id = $1", recording_id)

    async def transcript_text(self, recording_id: uuid.UUID) -> str:
        text: str | None = await self._pool.fetchval(
            "SELECT transcript_text FROM recordings WHERE id = $1", recording_id
        )
        return text or ""

    async def transcript_segments(self, recording_id: uuid.UUID) -> list[dict[str, Any]]:
        """The stored segments (``start``, ``end``, ``text`` and, when diarized, ``speaker``)."""
        value = await self._pool.fetchval(
            "SELECT transcript_segments FROM recordings WHERE id = $1", recording_id
        )
        segments = json.loads(value) if isinstance(value, str) else value
        return list(segments or [])

    async def name_speaker(
        self, recording_id: uuid.UUID, *, user_id: int, speaker: int, name: str | None
    ) -> bool:
        """Name speaker ``speaker`` of the user's recording (None or "" forgets the name);
        False when the user has no such finished recording or it has no such speaker."""
        key = str(speaker)
        status = await self._pool.execute(
            "UPDATE recordings SET speaker_names = CASE WHEN $4 = ''"
            " THEN speaker_names - $3 ELSE speaker_names || jsonb_build_object($3::text, $4::text)"
            " END, updated_at = now()"
            " WHERE id = $1 AND user_id = $2 AND status = 'done'"
            " AND transcript_segments @> jsonb_build_array(jsonb_build_object('speaker', $5::int))",
            recording_id,
            user_id,
            key,
            (name or "").strip(),
            speaker,
        )
        return _changed(status)

    async def complete_analysis(
        self,
        recording_id: uuid.UUID,
        steps: list[AnalysisStepRow],
        *,
        owner: str,
        scenario: str,
        timings: dict[str, float],
    ) -> None:
        """Store every step's output and the final one as the analysis, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "UPDATE recordings SET analysis_status = 'done', analysis_text = $3,"
                " analysis_model = $4, analysis_code = NULL, analysis_reason = NULL,"
                " timings = COALESCE(timings, '{}'::jsonb) || $5::jsonb, scenario = $6,"
                " lease_owner = NULL, lease_until = NULL, updated_at = now()"
                f" WHERE id = $1 AND analysis_status = 'pending' AND {_HELD}",
                recording_id,
                owner,
                steps[-1].output,
                steps[-1].model,
                json.dumps(timings),
                scenario,
            )
            if not _changed(status):
                raise await self._lost(recording_id)
            await conn.execute("DELETE FROM analysis_steps WHERE recording_id = $1", recording_id)
            await conn.executemany(
                "INSERT INTO analysis_steps (recording_id, step_index, step_name, output, model,"
                " chunks) VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    (recording_id, i, s.name, s.output, s.model, s.chunks)
                    for i, s in enumerate(steps)
                ],
            )

    async def fail_analysis(
        self, recording_id: uuid.UUID, *, owner: str, code: str, reason: str
    ) -> None:
        status = await self._pool.execute(
            "UPDATE recordings SET analysis_status = 'failed', analysis_code = $3,"
            " analysis_reason = $4, lease_owner = NULL, lease_until = NULL, updated_at = now()"
            f" WHERE id = $1 AND analysis_status = 'pending' AND {_HELD}",
            recording_id,
            owner,
            code,
            reason,
        )
        if not _changed(status):
            raise await self._lost(recording_id)

    async def fail(self, recording_id: uuid.UUID, *, owner: str, code: str, reason: str) -> None:
        status = await self._pool.execute(
            "UPDATE recordings SET status = 'failed', failure_code = $3, failure_reason = $4,"
            " twin_of = NULL, lease_owner = NULL, lease_until = NULL, completed_at = now(),"
            f" updated_at = now() WHERE id = $1 AND status = 'processing' AND {_HELD}",
            recording_id,
            owner,
            code,
            reason,
        )
        if not _changed(status):
            raise await self._lost(recording_id)

    async def mark_notified(self, recording_id: uuid.UUID, *, analysis_too: bool) -> None:
        """The transcript message went out (and with it the analysis's final state, if any)."""
        await self._pool.execute(
            "UPDATE recordings SET notified_at = COALESCE(notified_at, now()),"
            " analysis_notified_at = CASE WHEN $2 THEN COALESCE(analysis_notified_at, now())"
            " ELSE analysis_notified_at END WHERE id = $1",
            recording_id,
            analysis_too,
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group upgraded to a supergroup: its recordings' results go to the new chat id.
        Returns how many recordings moved."""
        status: str = await self._pool.execute(
            "UPDATE recordings SET chat_id = $2 WHERE chat_id = $1", old_chat_id, new_chat_id
        )
        return int(status.split()[-1])

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

    # --- deletion on the user's request --------------------------------------------------

    async def delete(self, user_id: int, recording_id: uuid.UUID) -> str | None:
        """Delete one finished recording (not while it is processed) and leave a tombstone so
        an event still in flight never recreates it; its object key, or None."""
        async with self._pool.acquire() as conn, conn.transaction():
            key: str | None = await conn.fetchval(
                "DELETE FROM recordings WHERE id = $1 AND user_id = $2"
                f" AND status <> 'processing' AND {_LEASE_FREE} RETURNING object_key",
                recording_id,
                user_id,
            )
            if key is not None:
                await conn.execute(
                    "INSERT INTO recording_tombstones (recording_id, user_id, object_key)"
                    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    recording_id,
                    user_id,
                    key,
                )
            return key

    async def delete_all(self, user_id: int) -> tuple[int, int]:
        """Delete every recording of the user, those still processing included (their work
        is dropped: the reactor's next write finds the tombstone). Events of uploads made
        before now are dropped too. Returns (deleted, of which still processing)."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "DELETE FROM recordings WHERE user_id = $1"
                " RETURNING id, object_key, status = 'processing' OR analysis_status = 'pending'"
                " OR (lease_until IS NOT NULL AND lease_until > now()) AS busy",
                user_id,
            )
            await conn.executemany(
                "INSERT INTO recording_tombstones (recording_id, user_id, object_key)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [(row["id"], user_id, row["object_key"]) for row in rows],
            )
            await conn.execute(
                "INSERT INTO recording_purges (user_id, purged_at) VALUES ($1, now())"
                " ON CONFLICT (user_id) DO UPDATE SET purged_at = EXCLUDED.purged_at",
                user_id,
            )
        return len(rows), sum(1 for row in rows if row["busy"])

    # --- reads the reactor and the operators need --------------------------------------------

    async def get(self, recording_id: uuid.UUID) -> Recording | None:
        row = await self._pool.fetchrow(
            f"SELECT {COLUMNS} FROM recordings WHERE id = $1", recording_id
        )
        return Recording.from_row(row) if row is not None else None

    async def id_by_key(self, user_id: int, object_key: str) -> uuid.UUID | None:
        """The newest recording of this user's object key."""
        value: uuid.UUID | None = await self._pool.fetchval(
            "SELECT id FROM recordings WHERE object_key = $1 AND user_id = $2"
            " ORDER BY created_at DESC LIMIT 1",
            object_key,
            user_id,
        )
        return value

    async def replay_states(
        self, recording_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, bool]]:
        """(status, audio still present) per recording id, for operators' replay."""
        rows = await self._pool.fetch(
            "SELECT id, status, audio_state = 'present' AS present FROM recordings"
            " WHERE id = ANY($1::uuid[])",
            recording_ids,
        )
        return {row["id"]: (row["status"], row["present"]) for row in rows}

    async def statuses(self, recording_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Status per recording id (for operators' replay selection)."""
        rows = await self._pool.fetch(
            "SELECT id, status FROM recordings WHERE id = ANY($1::uuid[])", recording_ids
        )
        return {row["id"]: row["status"] for row in rows}
