"""The indexing stage: a committed transcript cut into passages, embedded and stored for
``/ask`` and ``/search``; the passages of removed audio removed with it.

Indexing runs after the recording is settled (the user already has the transcript): a transient
failure (embedding service down, database unreachable) redelivers the event, whose next run
finds the recording done and indexes it then; a permanent one is logged with the object key and
left for ``voxpersona index rebuild`` — it never fails the user's transcript.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from reactor.errors import TransientError
from voxpersona.embeddings import EmbeddingError, EmbeddingSettings, build_embedder
from voxpersona.logging import get_logger
from voxpersona.passages import PassageIndexer, PassageStore, ensure_schema

log = get_logger(__name__)


@dataclass(frozen=True)
class Indexing:
    """What the stage needs: the pool, the store and the indexer (one embedding model)."""

    pool: asyncpg.Pool
    store: PassageStore
    indexer: PassageIndexer
    pgvector: bool


async def open_indexing(pool: asyncpg.Pool, settings: EmbeddingSettings) -> Indexing:
    """Apply the passages schema (after the recordings migrations) and build the indexer;
    pgvector is used where the server has it, an exact scan otherwise."""
    async with pool.acquire() as conn:
        pgvector = await ensure_schema(conn)
    store = PassageStore(pool, pgvector=pgvector)
    embedder = build_embedder(settings)
    log.info("passages.ready", model=embedder.model_id, pgvector=pgvector)
    return Indexing(
        pool=pool, store=store, indexer=PassageIndexer(store, embedder), pgvector=pgvector
    )


async def index_transcript(indexing: Indexing | None, recording_id: uuid.UUID, key: str) -> None:
    """(Re)index a finished recording's transcript when it changed since it was indexed;
    nothing for a recording that is gone, failed or without audio."""
    if indexing is None:
        return
    try:
        count = await indexing.indexer.index_recording_by_id(
            indexing.pool, recording_id, only_changed=True
        )
    except EmbeddingError as exc:
        if exc.transient:
            raise TransientError(exc.code, str(exc)) from exc
        log.error("passages.index_failed", key=key, code=exc.code, reason=str(exc))
        return
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        raise TransientError("indexing_database", f"{type(exc).__name__}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        log.error("passages.index_failed", key=key, code="database", reason=str(exc))
        return
    if count:
        log.info("passages.indexed", key=key, passages=count)


async def remove_passages(indexing: Indexing | None, bucket: str, key: str) -> None:
    """The audio is gone (lifecycle expiry, an operator's delete): its passages go too."""
    if indexing is None:
        return
    removed = await indexing.store.delete_object(bucket, key, gone_only=True)
    if removed:
        log.info("passages.removed", key=key, passages=removed)
