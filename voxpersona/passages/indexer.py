"""Indexing: a transcript cut into passages, embedded and stored (re-indexed when it changes).

The reactor calls :meth:`PassageIndexer.index_recording` after transcription (and diarization);
``voxpersona index rebuild`` calls :meth:`PassageIndexer.rebuild` over the transcripts already
in PostgreSQL, embedding passages of several recordings per batch.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from voxpersona.embeddings.base import Embedder, Vectors
from voxpersona.logging import get_logger
from voxpersona.passages.cutting import (
    CutRules,
    Passage,
    Segment,
    cut_passages,
    segments_from_json,
    transcript_fingerprint,
)
from voxpersona.passages.store import PassageStore

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TranscriptSource:
    """A finished recording's transcript, as the recordings table holds it."""

    recording_id: uuid.UUID
    user_id: int
    segments: list[Segment]
    text: str | None = None
    duration: float | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TranscriptSource:
        raw = row["transcript_segments"]
        loaded: Any = json.loads(raw) if isinstance(raw, str) else (raw or [])
        return cls(
            recording_id=row["id"],
            user_id=row["user_id"],
            segments=segments_from_json(item for item in loaded if isinstance(item, dict)),
            text=row["transcript_text"],
            duration=row["duration_seconds"],
        )

    def timed_segments(self) -> list[Segment]:
        """The segments, or the whole text as one (untimed transcripts still get indexed)."""
        if self.segments or not (self.text or "").strip():
            return self.segments
        return [Segment(0.0, self.duration or 0.0, (self.text or "").strip())]


@dataclass
class RebuildReport:
    """What a rebuild did: recordings (re)indexed and their passages, recordings already
    current, recordings deleted meanwhile. An embedding error stops the rebuild (raised);
    what was stored until then stays, and the next rebuild carries on from there."""

    indexed: int = 0
    passages: int = 0
    unchanged: int = 0
    gone: int = 0


_Pending = tuple[TranscriptSource, list[Passage], str]


_TO_INDEX = (
    "SELECT id, user_id, transcript_segments, transcript_text, duration_seconds FROM recordings"
    " WHERE status = 'done' AND audio_state = 'present' AND transcript_text IS NOT NULL"
    " AND ($1::bigint IS NULL OR user_id = $1) AND ($2::uuid IS NULL OR id > $2)"
    " ORDER BY id LIMIT $3"
)


_ONE_TO_INDEX = (
    "SELECT id, user_id, transcript_segments, transcript_text, duration_seconds FROM recordings"
    " WHERE id = $1 AND status = 'done' AND audio_state = 'present'"
    " AND transcript_text IS NOT NULL"
)


async def transcripts(
    pool: asyncpg.Pool, *, user_id: int | None = None, page: int = 200
) -> AsyncIterator[list[TranscriptSource]]:
    """Finished recordings with their audio present, a page at a time (read-only)."""
    after: uuid.UUID | None = None
    while True:
        rows = await pool.fetch(_TO_INDEX, user_id, after, page)
        if not rows:
            return
        yield [TranscriptSource.from_row(row) for row in rows]
        after = rows[-1]["id"]


async def count_transcripts(pool: asyncpg.Pool, *, user_id: int | None = None) -> int:
    """How many recordings :func:`transcripts` yields."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM recordings WHERE status = 'done' AND audio_state = 'present'"
        " AND transcript_text IS NOT NULL AND ($1::bigint IS NULL OR user_id = $1)",
        user_id,
    )
    return count


class PassageIndexer:
    """Cuts, embeds and stores; one model (the embedder's) at a time."""

    def __init__(
        self,
        store: PassageStore,
        embedder: Embedder,
        *,
        rules: CutRules | None = None,
        batch_passages: int = 32,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._rules = rules or CutRules()
        self._batch = max(1, batch_passages)

    @property
    def model_id(self) -> str:
        """The embedding model the passages are indexed with."""
        return self._embedder.model_id

    def cut(self, source: TranscriptSource) -> tuple[list[Passage], str]:
        segments = source.timed_segments()
        return cut_passages(segments, self._rules), transcript_fingerprint(segments)

    async def index_recording(self, source: TranscriptSource) -> int | None:
        """Index one recording now; the passage count, or None when it is gone."""
        passages, fingerprint = self.cut(source)
        vectors = await self._embedder.embed_passages([p.embedding_text() for p in passages])
        stored = await self._store.replace_recording(
            recording_id=source.recording_id,
            user_id=source.user_id,
            passages=passages,
            vectors=vectors,
            model_id=self._embedder.model_id,
            fingerprint=fingerprint,
        )
        return len(passages) if stored else None

    async def index_recording_by_id(
        self, pool: asyncpg.Pool, recording_id: uuid.UUID, *, only_changed: bool = False
    ) -> int | None:
        """Index a finished recording from its row (the reactor's call after transcription and
        diarization); None when it is gone, unfinished or its audio was removed.
        ``only_changed``: 0 without embedding anything when the stored passages are of this
        model and this very transcript (a redelivered event)."""
        row = await pool.fetchrow(_ONE_TO_INDEX, recording_id)
        if row is None:
            return None
        source = TranscriptSource.from_row(row)
        if only_changed:
            _, fingerprint = self.cut(source)
            state = (await self._store.states([recording_id])).get(recording_id)
            if (
                state is not None
                and state.model_id == self._embedder.model_id
                and state.fingerprint == fingerprint
            ):
                return 0
        return await self.index_recording(source)

    async def rebuild(
        self,
        pool: asyncpg.Pool,
        *,
        user_id: int | None = None,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> RebuildReport:
        """(Re)index the transcripts in PostgreSQL: those never indexed, indexed with another
        model or from a transcript that has changed since (all of them with ``force``)."""
        report = RebuildReport()
        previous: tuple[list[_Pending], asyncio.Task[Vectors]] | None = None
        try:
            async for batch in self._batches(pool, user_id, force, report, progress):
                # Embed this batch (in a worker thread) while the previous one is stored.
                embedding = asyncio.create_task(self._embed(batch))
                if previous is not None:
                    await self._store_batch(previous[0], await previous[1], report, progress)
                previous = (batch, embedding)
            if previous is not None:
                await self._store_batch(previous[0], await previous[1], report, progress)
        finally:
            if previous is not None and not previous[1].done():
                previous[1].cancel()
        return report

    async def _batches(
        self,
        pool: asyncpg.Pool,
        user_id: int | None,
        force: bool,
        report: RebuildReport,
        progress: Callable[[int], None] | None,
    ) -> AsyncIterator[list[_Pending]]:
        """Recordings to (re)index, about ``batch_passages`` passages at a time."""
        pending: list[_Pending] = []
        async for page in transcripts(pool, user_id=user_id):
            states = await self._store.states([s.recording_id for s in page])
            for source in page:
                passages, fingerprint = self.cut(source)
                state = states.get(source.recording_id)
                current = (
                    state is not None
                    and state.model_id == self._embedder.model_id
                    and state.fingerprint == fingerprint
                )
                if current and not force:
                    report.unchanged += 1
                    if progress:
                        progress(1)
                    continue
                pending.append((source, passages, fingerprint))
                if sum(len(p) for _, p, _ in pending) >= self._batch:
                    yield pending
                    pending = []
        if pending:
            yield pending

    async def _embed(self, pending: Sequence[_Pending]) -> Vectors:
        texts = [p.embedding_text() for _, passages, _ in pending for p in passages]
        if not texts:
            return np.zeros((0, 0), np.float32)
        return await self._embedder.embed_passages(texts)

    async def _store_batch(
        self,
        pending: Sequence[_Pending],
        vectors: Vectors,
        report: RebuildReport,
        progress: Callable[[int], None] | None,
    ) -> None:
        offset = 0
        for source, passages, fingerprint in pending:
            mine = vectors[offset : offset + len(passages)]
            offset += len(passages)
            stored = await self._store.replace_recording(
                recording_id=source.recording_id,
                user_id=source.user_id,
                passages=passages,
                vectors=mine.astype(np.float32, copy=False),
                model_id=self._embedder.model_id,
                fingerprint=fingerprint,
            )
            if stored:
                report.indexed += 1
                report.passages += len(passages)
            else:
                report.gone += 1
            if progress:
                progress(1)
