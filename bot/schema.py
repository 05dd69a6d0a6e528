"""The bot needs the database schema the reactor migrates; it waits for it at start-up."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from voxpersona.lifecycle import StartupError
from voxpersona.logging import get_logger
from voxpersona.recordings.schema import current_version, load_migrations

log = get_logger(__name__)
POLL_SECONDS = 0.5


def required_version() -> int:
    """The newest migration shipped with this code (the bot's tables come with it)."""
    return load_migrations()[-1].version


async def wait_for_schema(pool: asyncpg.Pool, *, timeout: float) -> int:
    """Until the schema is at least :func:`required_version`; StartupError after ``timeout``."""
    needed = required_version()
    deadline = time.monotonic() + timeout
    logged = False
    while True:
        async with pool.acquire() as conn:
            version = await current_version(conn)
        if version >= needed:
            return version
        if time.monotonic() >= deadline:
            raise StartupError(
                f"database schema is at version {version}, the bot needs {needed}: start the "
                "reactor (it applies the migrations) against the same DATABASE_URL"
            )
        if not logged:
            log.info("bot.waiting_for_schema", version=version, needed=needed)
            logged = True
        await asyncio.sleep(POLL_SECONDS)
