"""The one module that writes the passages tables (``passage_recordings``, ``passages``).

Readers elsewhere use :mod:`voxpersona.passages.search` and the read models here; nobody else
writes these tables. Recordings are read, never written: the recordings module owns them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from voxpersona.embeddings.base import Vectors
from voxpersona.passages.cutting import Passage

_INSERT_PASSAGE = (
    "INSERT INTO passages (recording_id, seq, user_id, start_seconds, end_seconds, speaker,"
    " text, model_id, dim, embedding{vector_column})"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{vector_value})"
)


@dataclass(frozen=True, slots=True)
class IndexedState:
    """What is indexed for one recording."""

    recording_id: uuid.UUID
    model_id: str
    fingerprint: str
    passage_count: int


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Index size and lag, for ``health`` and the status page. ``waiting``: finished
    recordings with a transcript not indexed with ``model_id`` (new, or another model);
    ``oldest_wait_seconds``: how long the oldest of them has waited."""

    model_id: str
    passages: int
    recordings_indexed: int
    bytes_on_disk: int
    waiting: int
    oldest_wait_seconds: float
    other_model_passages: int


def vector_bytes(vector: Vectors) -> bytes:
    """float32 little-endian, as the ``embedding`` column stores it."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


class PassageStore:
    """Writes and deletes passages; reads the index state."""

    def __init__(self, pool: asyncpg.Pool, *, pgvector: bool) -> None:
        self._pool = pool
        self._pgvector = pgvector
        self._insert = _INSERT_PASSAGE.format(
            vector_column=", embedding_vector" if pgvector else "",
            vector_value=", $11::float4[]::vector" if pgvector else "",
        )

    async def replace_recording(
        self,
        *,
        recording_id: uuid.UUID,
        user_id: int,
        passages: Sequence[Passage],
        vectors: Vectors,
        model_id: str,
        fingerprint: str,
    ) -> bool:
        """Swap the recording's passages for these in one transaction. False (nothing written)
        when the recording is gone meanwhile: a deleted recording is never re-indexed."""
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        dim = int(vectors.shape[1]) if len(passages) else 0
        rows = [
            self._row(recording_id, user_id, p, v, model_id, dim)
            for p, v in zip(passages, vectors, strict=True)
        ]
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                # Two indexers of one recording (a redelivery, a rebuild) take turns: otherwise
                # both delete nothing and the second insert collides with the first.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 15))", str(recording_id)
                )
                await conn.execute(
                    "DELETE FROM passage_recordings WHERE recording_id = $1", recording_id
                )
                status = await conn.execute(
                    "INSERT INTO passage_recordings"
                    " (recording_id, user_id, model_id, dim, fingerprint, passage_count)"
                    " SELECT id, $2, $3, $4, $5, $6 FROM recordings WHERE id = $1 AND user_id = $2",
                    recording_id,
                    user_id,
                    model_id,
                    dim,
                    fingerprint,
                    len(rows),
                )
                if status == "INSERT 0 0":
                    return False  # the recording is gone (or is not this user's)
                if rows:
                    await conn.executemany(self._insert, rows)
        except asyncpg.ForeignKeyViolationError:
            return False
        return True

    def _row(
        self,
        recording_id: uuid.UUID,
        user_id: int,
        passage: Passage,
        vector: Vectors,
        model_id: str,
        dim: int,
    ) -> tuple[object, ...]:
        row: tuple[object, ...] = (
            recording_id,
            passage.seq,
            user_id,
            passage.start,
            passage.end,
            passage.speaker,
            passage.text,
            model_id,
            dim,
            vector_bytes(vector),
        )
        return (*row, vector.tolist()) if self._pgvector else row

    async def delete_recording(self, user_id: int, recording_id: uuid.UUID) -> int:
        """Remove one recording's passages (delete, lifecycle expiry); how many went."""
        removed: int | None = await self._pool.fetchval(
            "DELETE FROM passage_recordings WHERE recording_id = $1 AND user_id = $2"
            " RETURNING passage_count",
            recording_id,
            user_id,
        )
        return removed or 0

    async def delete_object(self, bucket: str, object_key: str, *, gone_only: bool = False) -> int:
        """Remove the passages of every recording of an object whose audio is gone (MinIO's
        lifecycle expiry arrives as a bucket and key); how many went. ``gone_only``: only of
        recordings the recordings module has marked as without audio (a stale removal event
        leaves a recording whose object came back alone)."""
        removed: int = await self._pool.fetchval(
            "WITH gone AS (DELETE FROM passage_recordings pr USING recordings r"
            " WHERE pr.recording_id = r.id AND r.bucket = $1 AND r.object_key = $2"
            " AND (NOT $3 OR r.audio_state <> 'present')"
            " RETURNING pr.passage_count) SELECT coalesce(sum(passage_count), 0) FROM gone",
            bucket,
            object_key,
            gone_only,
        )
        return removed

    async def delete_user(self, user_id: int) -> int:
        """Remove every passage of the user (delete-all); how many went."""
        removed: int = await self._pool.fetchval(
            "WITH gone AS (DELETE FROM passage_recordings WHERE user_id = $1"
            " RETURNING passage_count) SELECT coalesce(sum(passage_count), 0) FROM gone",
            user_id,
        )
        return removed

    async def states(self, recording_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, IndexedState]:
        """What is indexed for these recordings (absent: nothing yet)."""
        rows = await self._pool.fetch(
            "SELECT recording_id, model_id, fingerprint, passage_count FROM passage_recordings"
            " WHERE recording_id = ANY($1::uuid[])",
            list(recording_ids),
        )
        return {row["recording_id"]: IndexedState(**dict(row)) for row in rows}

    async def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk (re)index: with stale ones it may
        pick the full-text filter over the user index, or the reverse, badly."""
        await self._pool.execute("ANALYZE passages, passage_recordings")

    async def stats(self, model_id: str, *, now: datetime | None = None) -> IndexStats:
        """Size and lag of the index for ``model_id``."""
        return await index_stats(self._pool, model_id, now=now)


async def index_stats(
    pool: asyncpg.Pool | asyncpg.Connection, model_id: str, *, now: datetime | None = None
) -> IndexStats:
    """See :class:`IndexStats`. Reads the recordings table (finished, audio present)."""
    row = await pool.fetchrow(
        "SELECT"
        " (SELECT count(*) FROM passages WHERE model_id = $1) AS passages,"
        " (SELECT count(*) FROM passages WHERE model_id <> $1) AS other_model_passages,"
        " (SELECT count(*) FROM passage_recordings WHERE model_id = $1) AS recordings_indexed,"
        " pg_total_relation_size('passages') AS bytes_on_disk,"
        " count(r.id) AS waiting,"
        " extract(epoch FROM coalesce($2, now()) - min(coalesce(r.completed_at, r.updated_at)))"
        "   AS oldest_wait_seconds"
        " FROM recordings r LEFT JOIN passage_recordings pr"
        "   ON pr.recording_id = r.id AND pr.model_id = $1"
        " WHERE r.status = 'done' AND r.audio_state = 'present'"
        "   AND r.transcript_text IS NOT NULL AND pr.recording_id IS NULL",
        model_id,
        now,
    )
    assert row is not None
    return IndexStats(
        model_id=model_id,
        passages=row["passages"],
        recordings_indexed=row["recordings_indexed"],
        bytes_on_disk=row["bytes_on_disk"],
        waiting=row["waiting"],
        oldest_wait_seconds=max(0.0, float(row["oldest_wait_seconds"] or 0.0)),
        other_model_passages=row["other_model_passages"],
    )
