"""The passage index ("ask my recordings"): its size and how far it lags the transcripts."""

from __future__ import annotations

import contextlib

import asyncpg

from voxpersona.observability.health import Check, DependencyHealth, degraded, down, ok
from voxpersona.passages.store import IndexStats, index_stats

# A finished recording normally waits seconds for its passages; minutes mean indexing is stuck
# or the model changed and a rebuild is due.
LAG_LIMIT_SECONDS = 600.0


def judge_index(stats: IndexStats, *, lag_limit: float = LAG_LIMIT_SECONDS) -> tuple[Check, ...]:
    """Size is a fact; lag is degraded when a transcript has waited past ``lag_limit``."""
    size = ok(
        "size",
        f"{stats.passages} passages of {stats.recordings_indexed} recordings"
        f" ({stats.bytes_on_disk // 1024} KiB) for {stats.model_id}",
        passages=stats.passages,
        recordings=stats.recordings_indexed,
        bytes=stats.bytes_on_disk,
        model=stats.model_id,
        other_model_passages=stats.other_model_passages,
    )
    facts = {"waiting": stats.waiting, "oldest_wait_seconds": round(stats.oldest_wait_seconds, 1)}
    if stats.waiting == 0:
        return size, ok("lag", "every finished transcript is indexed", **facts)
    detail = f"{stats.waiting} transcript(s) waiting, oldest {stats.oldest_wait_seconds:.0f} s"
    if stats.oldest_wait_seconds > lag_limit:
        return size, degraded("lag", detail + " (run `voxpersona index rebuild`)", **facts)
    return size, ok("lag", detail, **facts)


async def probe_passage_index(
    dsn: str, model_id: str, *, timeout: float = 5.0, lag_limit: float = LAG_LIMIT_SECONDS
) -> DependencyHealth:
    """Connect, read :func:`~voxpersona.passages.store.index_stats`, judge it."""
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return DependencyHealth(
            "passages", (down("connect", f"cannot connect: {type(exc).__name__}"),)
        )
    try:
        stats = await index_stats(conn, model_id)
    except asyncpg.UndefinedTableError:
        return DependencyHealth(
            "passages",
            (degraded("schema", "no passage index yet (run `voxpersona index rebuild`)"),),
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return DependencyHealth("passages", (down("query", f"failed: {type(exc).__name__}"),))
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=timeout)
    return DependencyHealth("passages", judge_index(stats, lag_limit=lag_limit))
