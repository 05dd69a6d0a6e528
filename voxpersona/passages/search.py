"""Searching one user's passages: vector similarity fused with full-text rank.

Every query starts with the user: no statement here reads a row of another user, and the
details of the chosen passages are fetched with the user in the ``WHERE`` clause again.

Vector similarity runs in PostgreSQL with pgvector where the column exists (an exact scan of
the user's rows), otherwise here: the user's vectors are read once into a float32 matrix and
scored with one matrix product; a per-user generation, bumped by a trigger on every change,
tells when a cached matrix is stale (the writer is another process).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from voxpersona.embeddings.base import Embedder, Vectors
from voxpersona.passages.ranking import reciprocal_rank_fusion, top_per_group

PassageKey = tuple[uuid.UUID, int]
CANDIDATES = 50

_TEXT_RANKING = (
    "WITH q AS (SELECT plainto_tsquery('russian'::regconfig, $3)"
    " || plainto_tsquery('english'::regconfig, $3) AS query)"
    " SELECT p.recording_id, p.seq FROM passages p, q"
    " WHERE p.user_id = $1 AND p.model_id = $2 AND numnode(q.query) > 0"
    " AND p.text_search @@ q.query"
    " ORDER BY ts_rank_cd(p.text_search, q.query) DESC, p.recording_id, p.seq LIMIT $4"
)
_VECTOR_RANKING = (
    "SELECT recording_id, seq FROM passages WHERE user_id = $1 AND model_id = $2"
    " ORDER BY embedding_vector <=> $3::float4[]::vector, recording_id, seq LIMIT $4"
)
_DETAILS = (
    "SELECT p.recording_id, p.seq, p.start_seconds, p.end_seconds, p.speaker, p.text,"
    " COALESCE(u.title, r.original_name) AS title, r.created_at"
    " FROM passages p JOIN recordings r ON r.id = p.recording_id"
    " LEFT JOIN bot_uploads u ON u.object_key = r.object_key"
    " WHERE p.user_id = $1 AND r.user_id = $1 AND (p.recording_id, p.seq) IN"
    " (SELECT * FROM unnest($2::uuid[], $3::int[]))"
)


@dataclass(frozen=True, slots=True)
class PassageHit:
    """One passage found, with what a citation needs (recording title and time)."""

    recording_id: uuid.UUID
    seq: int
    title: str | None
    created_at: datetime
    start: float
    end: float
    speaker: str | None
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class _Matrix:
    generation: int
    keys: list[PassageKey]
    vectors: Vectors

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes) + 64 * len(self.keys)


class VectorCache:
    """The most recently searched users' vectors, within a byte budget (least recent out)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str], _Matrix] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: int, model_id: str, generation: int) -> _Matrix | None:
        with self._lock:
            entry = self._entries.get((user_id, model_id))
            if entry is None or entry.generation != generation:
                return None
            self._entries.move_to_end((user_id, model_id))
            return entry

    def put(self, user_id: int, model_id: str, entry: _Matrix) -> None:
        with self._lock:
            self._entries[(user_id, model_id)] = entry
            self._entries.move_to_end((user_id, model_id))
            while sum(e.nbytes for e in self._entries.values()) > self.max_bytes:
                if len(self._entries) == 1:
                    break  # one user larger than the budget: keep it until the next one comes
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def best_rows(vectors: Vectors, query: Vectors, count: int) -> list[int]:
    """Indexes of the ``count`` rows most similar to ``query`` (unit vectors), best first."""
    if len(vectors) == 0:
        return []
    scores = vectors @ query
    count = min(count, len(scores))
    chosen = np.argpartition(-scores, count - 1)[:count]
    return [int(i) for i in chosen[np.argsort(-scores[chosen], kind="stable")]]


class PassageSearch:
    """Hybrid search over one user's passages. ``pgvector``: score in PostgreSQL (the column
    exists); otherwise the exact scan here, with ``cache``."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        embedder: Embedder,
        *,
        pgvector: bool,
        cache: VectorCache | None = None,
        text_weight: float = 1.0,
    ) -> None:
        self._pool = pool
        self._embedder = embedder
        self._pgvector = pgvector
        self._cache = cache if cache is not None else VectorCache()
        self._text_weight = text_weight

    async def search(
        self, user_id: int, question: str, *, limit: int = 8, per_recording: int = 2
    ) -> list[PassageHit]:
        """The user's best passages for ``question``, at most ``per_recording`` of each."""
        # The full-text ranking needs no vector: it runs while the question is embedded.
        by_text_task = asyncio.create_task(self._text_ranking_pooled(user_id, question))
        try:
            query = await self._embedder.embed_query(question)
            async with self._pool.acquire() as conn:
                by_vector = await self.vector_ranking(conn, user_id, query, CANDIDATES)
                by_text = await by_text_task
                fused = reciprocal_rank_fusion(
                    [by_vector, by_text], weights=[1.0, self._text_weight]
                )
                recording_of = {key: key[0] for key, _ in fused}
                chosen = top_per_group(fused, recording_of, per_recording)[:limit]
                return await self._details(conn, user_id, chosen)
        finally:
            if not by_text_task.done():
                by_text_task.cancel()

    async def search_recordings(
        self, user_id: int, question: str, *, limit: int = 10
    ) -> list[uuid.UUID]:
        """Recording ids in hybrid order (one entry per recording), for ``/search``."""
        hits = await self.search(user_id, question, limit=limit, per_recording=1)
        return [hit.recording_id for hit in hits]

    async def _text_ranking_pooled(self, user_id: int, question: str) -> list[PassageKey]:
        async with self._pool.acquire() as conn:
            return await self.text_ranking(conn, user_id, question, CANDIDATES)

    async def text_ranking(
        self, conn: asyncpg.Connection, user_id: int, question: str, count: int
    ) -> list[PassageKey]:
        """Full-text (Russian and English stems, any word) rank of the user's passages."""
        rows = await conn.fetch(_TEXT_RANKING, user_id, self._embedder.model_id, question, count)
        return [(row["recording_id"], row["seq"]) for row in rows]

    async def vector_ranking(
        self, conn: asyncpg.Connection, user_id: int, query: Vectors, count: int
    ) -> list[PassageKey]:
        """Cosine rank of the user's passages of the current model."""
        model_id = self._embedder.model_id
        if self._pgvector:
            rows = await conn.fetch(_VECTOR_RANKING, user_id, model_id, query.tolist(), count)
            return [(row["recording_id"], row["seq"]) for row in rows]
        matrix = await self._matrix(conn, user_id, model_id)
        if matrix.vectors.shape[1:] != query.shape:
            return []  # stored under this id with another width: nothing comparable
        return [matrix.keys[i] for i in best_rows(matrix.vectors, query, count)]

    async def _matrix(self, conn: asyncpg.Connection, user_id: int, model_id: str) -> _Matrix:
        # The generation is read before the rows: a change in between only makes the next
        # search reload, never keeps stale rows under a newer generation.
        generation: int = await conn.fetchval(
            "SELECT coalesce((SELECT generation FROM passage_users WHERE user_id = $1), 0)", user_id
        )
        cached = self._cache.get(user_id, model_id, generation)
        if cached is not None:
            return cached
        rows = await conn.fetch(
            "SELECT recording_id, seq, dim, embedding FROM passages"
            " WHERE user_id = $1 AND model_id = $2",
            user_id,
            model_id,
        )
        dim = rows[0]["dim"] if rows else 0
        usable = [row for row in rows if row["dim"] == dim]
        vectors = np.frombuffer(b"".join(row["embedding"] for row in usable), dtype="<f4")
        entry = _Matrix(
            generation,
            [(row["recording_id"], row["seq"]) for row in usable],
            vectors.reshape(len(usable), dim).astype(np.float32, copy=False),
        )
        self._cache.put(user_id, model_id, entry)
        return entry

    async def _details(
        self, conn: asyncpg.Connection, user_id: int, chosen: list[tuple[PassageKey, float]]
    ) -> list[PassageHit]:
        if not chosen:
            return []
        rows = await conn.fetch(
            _DETAILS, user_id, [key[0] for key, _ in chosen], [key[1] for key, _ in chosen]
        )
        found = {(row["recording_id"], row["seq"]): row for row in rows}
        return [
            PassageHit(
                recording_id=key[0],
                seq=key[1],
                title=found[key]["title"],
                created_at=found[key]["created_at"],
                start=found[key]["start_seconds"],
                end=found[key]["end_seconds"],
                speaker=found[key]["speaker"],
                text=found[key]["text"],
                score=score,
            )
            for key, score in chosen
            if key in found  # deleted between ranking and reading
        ]
