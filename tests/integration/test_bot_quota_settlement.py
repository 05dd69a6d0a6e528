"""The daily audio quota: an estimate charged at upload, settled once to the real duration
the reactor measured (PostgreSQL, the bot's UsageLedger and Uploads repositories)."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from bot.repos.uploads import Upload, Uploads
from bot.repos.users import UsageLedger
from tests.stacks import Stack
from voxpersona.recordings.queries import LibraryQueries
from voxpersona.recordings.schema import migrate

_ids = itertools.count(740_000_001 + (os.getpid() % 1000) * 10_000)


@pytest_asyncio.fixture(loop_scope="session")
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = stack.database_settings().url.get_secret_value()
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    created = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    yield created
    await created.close()


def ledger_of(pool: asyncpg.Pool) -> UsageLedger:
    return UsageLedger(pool, LibraryQueries(pool).transcribed_durations)


async def upload(
    pool: asyncpg.Pool, user_id: int, charged: float, *, real: float | None, status: str
) -> str:
    """An upload charged ``charged`` seconds, and the reactor's row for it."""
    key = f"audio/{user_id}/2026/05/13/{uuid.uuid4()}.mp3"
    await Uploads(pool).record(
        Upload(key, user_id, user_id, 1, None, None, None, charged_seconds=charged)
    )
    await ledger_of(pool).add(user_id, audio_seconds=charged)
    await pool.execute(
        "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id,"
        " duration_seconds, status) VALUES ($1, 'voxpersona-audio', $2, 'e', $3, $3, $4, $5)",
        uuid.uuid4(),
        key,
        user_id,
        real,
        status,
    )
    return key


async def test_real_duration_replaces_the_estimate_once(pool: asyncpg.Pool) -> None:
    ledger = ledger_of(pool)
    user = next(_ids)
    # An MP3 document estimated at 10 minutes that holds 40, one still being transcribed,
    # and a WAV whose header was right.
    mp3 = await upload(pool, user, 600.0, real=2400.0, status="done")
    await upload(pool, user, 300.0, real=None, status="processing")
    await upload(pool, user, 120.0, real=120.0, status="done")
    assert await ledger.today(user) == (3, 1020.0)

    assert await ledger.settle(user) == 1800.0
    assert await ledger.today(user) == (3, 2820.0)
    assert await ledger.settle(user) == 0.0  # settled once, never counted twice
    assert await ledger.today(user) == (3, 2820.0)
    row = await pool.fetchrow(
        "SELECT charged_seconds, settled_at FROM bot_uploads WHERE object_key = $1", mp3
    )
    assert row is not None
    assert row["charged_seconds"] == 2400.0
    assert row["settled_at"] is not None


async def test_an_overestimate_gives_minutes_back_but_never_below_zero(
    pool: asyncpg.Pool,
) -> None:
    ledger = ledger_of(pool)
    user = next(_ids)
    await upload(pool, user, 3600.0, real=60.0, status="done")  # a dense WAV guess, mostly silence
    assert await ledger.settle(user) == -3540.0
    assert await ledger.today(user) == (1, 60.0)
    other = next(_ids)
    assert await ledger.settle(other) == 0.0  # nothing to settle, nothing written
    assert await ledger.today(other) == (0, 0.0)
