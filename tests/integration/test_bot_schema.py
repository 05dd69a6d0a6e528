"""The bot requires the schema the reactor migrates: it waits for it, then fails clearly."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.schema import required_version, wait_for_schema
from tests.stacks import Stack
from voxpersona.lifecycle import StartupError
from voxpersona.recordings.schema import migrate


async def test_bot_waits_for_the_schema_and_names_what_is_missing(stack: Stack) -> None:
    dsn = stack.database_settings().url.get_secret_value()
    name = f"vp_schema_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    fresh = urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))
    pool = await asyncpg.create_pool(fresh, min_size=1, max_size=2)
    try:
        with pytest.raises(StartupError, match=r"schema is at version 0, the bot needs \d+"):
            await wait_for_schema(pool, timeout=0.3)
        async with pool.acquire() as conn:
            await migrate(conn)
        assert await wait_for_schema(pool, timeout=0.3) == required_version()
        assert required_version() >= 3
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE "{name}"')
        await admin.close()
