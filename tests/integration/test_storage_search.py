"""Search by metadata: PostgreSQL is the index of what the buckets hold."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio

from tests.stacks import Stack
from voxpersona.recordings.schema import migrate
from voxpersona.storage.search import RecordingFilter, RecordingSearch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    opened = await asyncpg.create_pool(
        stack.database_settings().url.get_secret_value(), min_size=1, max_size=2
    )
    async with opened.acquire() as conn:
        await migrate(conn)
    yield opened
    await opened.close()


async def insert(
    pool: asyncpg.Pool, user: int, name: str, *, days: int, state: str = "present"
) -> str:
    key = f"audio/{user}/2026/03/01/{uuid.uuid4()}.ogg"
    await pool.execute(
        "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id, original_name,"
        " content_type, size_bytes, status, audio_state, created_at)"
        " VALUES ($1, 'voxpersona-audio', $2, 'e', $3, $3, $4, 'audio/ogg', 10, 'done', $5, $6)",
        uuid.uuid4(),
        key,
        user,
        name,
        state,
        T0 + timedelta(days=days),
    )
    return key


async def test_search_filters_by_user_name_date_and_presence(pool: asyncpg.Pool) -> None:
    user = 990_000_000 + uuid.uuid4().int % 1_000_000
    budget = await insert(pool, user, "Бюджет 100%_final.ogg", days=0)
    later = await insert(pool, user, "планёрка.ogg", days=2)
    await insert(pool, user, "бюджет старый.ogg", days=1, state="expired")
    await insert(pool, user + 1, "Бюджет.ogg", days=0)
    search = RecordingSearch(pool)

    by_user = await search.search(RecordingFilter(user_id=user))
    assert [hit.object_key for hit in by_user] == [later, budget]  # newest first, present only
    # % and _ are literal. Case folding of non-ASCII letters follows the database's LC_CTYPE
    # (the test database uses C), so the Cyrillic part is matched in its own case here.
    by_name = await search.search(RecordingFilter(user_id=user, name_contains="Бюджет 100%_FIN"))
    assert [hit.object_key for hit in by_name] == [budget]
    assert await search.search(RecordingFilter(user_id=user, name_contains="100%x")) == []
    window = RecordingFilter(user_id=user, created_from=T0 + timedelta(days=1))
    assert [hit.object_key for hit in await search.search(window)] == [later]
    everything = await search.search(RecordingFilter(user_id=user, present_only=False))
    assert len(everything) == 3
    assert everything[0].original_name == "планёрка.ogg"
