"""A group upgraded to a supergroup gets a new chat id (Telegram answers the old one with
``migrate_to_chat_id``); the chat ids the bot stored follow it."""

from __future__ import annotations

import asyncpg

from voxpersona.logging import get_logger

log = get_logger(__name__)


class ChatMoves:
    """Moves stored chat ids from a group to the supergroup it became."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            uploads = await conn.execute(
                "UPDATE bot_uploads SET chat_id = $2 WHERE chat_id = $1", old_chat_id, new_chat_id
            )
            recordings = await move_recordings_chat(conn, old_chat_id, new_chat_id)
        log.info(
            "chat.migrated",
            old_chat_id=old_chat_id,
            new_chat_id=new_chat_id,
            uploads=uploads,
            recordings=recordings,
        )


async def move_recordings_chat(conn: asyncpg.Connection, old_chat_id: int, new_chat_id: int) -> str:
    """Where later results of this chat's recordings go. The recordings table belongs to the
    recordings module: this is the bot's one write to it, to be routed through that module's
    API once it offers one."""
    status: str = await conn.execute(
        "UPDATE recordings SET chat_id = $2 WHERE chat_id = $1", old_chat_id, new_chat_id
    )
    return status
